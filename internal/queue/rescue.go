package queue

import (
	"context"
	"fmt"
)

// rescueOrphans makes jobs that a dead process left "running" available at
// once. SQLite serves one replica, so any job running when the queue starts
// was running in a process that died (a SIGKILL, a crash, a lost machine).
// With PostgreSQL other replicas may really be running them; leases tell.
func (q *Queue) rescueOrphans(ctx context.Context) error {
	if q.db.SQL() == nil {
		return nil
	}
	n, err := q.db.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec')
		WHERE state = 'running'`)
	if err != nil {
		return fmt.Errorf("rescue jobs left running: %w", err)
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM stagehand_job_leases`); err != nil {
		return fmt.Errorf("drop leases: %w", err)
	}
	if n > 0 {
		q.log.Warn("jobs left running by a stopped process run again", "jobs", n)
	}
	return nil
}
