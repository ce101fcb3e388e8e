package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// TestAJobsRecordsAreSyncedOnceAtItsEnd: on SQLite what a job writes
// commits without a sync of its own (synchronous=NORMAL), and one synced
// commit follows the job before River records it done, so a power cut
// loses a job's records only together with its end, and the job runs
// again.
func TestAJobsRecordsAreSyncedOnceAtItsEnd(t *testing.T) {
	t.Parallel()
	log, _ := newLogger()
	var d *db.DB
	levels := make(chan int64, 1)
	syncs := func(ctx context.Context) int64 {
		var n int64
		err := d.QueryRow(ctx, `SELECT COALESCE(MAX(value), 0) FROM stagehand_counters WHERE name = 'sync'`).Scan(&n)
		if err != nil {
			t.Error(err)
		}
		return n
	}
	h := &fakeHandler{request: func(ctx context.Context, _ []byte, _ int) error {
		before := syncs(ctx)
		var level int64
		err := d.InTx(ctx, func(tx db.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO stagehand_counters (name, value) VALUES ('job', 1)`); err != nil {
				return err
			}
			return tx.QueryRow(ctx, "PRAGMA synchronous").Scan(&level)
		})
		if err != nil {
			t.Error(err)
		}
		if syncs(ctx) != before {
			t.Error("a job's write was followed by a sync before the job ended")
		}
		levels <- level
		return nil
	}}
	d, q := startQueue(t, freshSQLite(t), h, testOptions(log))
	ctx := context.Background()
	if err := q.Submit(ctx, "r-1", "now", []byte(`{}`), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if level := <-levels; level != 1 {
		t.Errorf("a job's write committed with synchronous = %d, want 1 (NORMAL)", level)
	}
	eventually(t, "the sync after the job", func() bool { return syncs(ctx) >= 1 })
}
