package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// rescueOrphans makes jobs that a dead process left "running" available at
// once. SQLite serves one replica, so any job running when the queue starts
// was running in a process that died (a SIGKILL, a crash, a lost machine);
// River's own rescuer would wait for the job timeout plus an hour. With
// PostgreSQL other replicas may really be running them, so River's rescuer
// is left to do its work there.
func (q *Queue) rescueOrphans(ctx context.Context) error {
	if q.store.sqlDB == nil {
		return nil
	}
	exec := riversqlite.New(q.store.sqlDB).GetExecutor()
	now := time.Now().UTC()
	stuck, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{Max: 10000, StuckHorizon: now.Add(time.Minute)})
	if err != nil || len(stuck) == 0 {
		return err
	}
	p := riverdriver.JobRescueManyParams{StuckHorizon: now.Add(time.Minute)}
	for _, job := range stuck {
		msg, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(job.Attempt, 0), Error: "the process running this job stopped; rescued at start"})
		if err != nil {
			return err
		}
		p.ID = append(p.ID, job.ID)
		p.Error = append(p.Error, msg)
		p.FinalizedAt = append(p.FinalizedAt, nil)
		p.ScheduledAt = append(p.ScheduledAt, now)
		p.State = append(p.State, string(rivertype.JobStateAvailable))
	}
	if _, err := exec.JobRescueMany(ctx, &p); err != nil {
		return fmt.Errorf("rescue %d jobs left running: %w", len(stuck), err)
	}
	q.log.Warn("jobs left running by a stopped process run again", "jobs", len(stuck))
	return nil
}
