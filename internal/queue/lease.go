package queue

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Leases let a job survive its worker within seconds. A worker holds a
// lease on each job it runs and renews it every LeaseBeat; every replica
// looks, as often, for running jobs whose lease went stale for LeaseStale
// (their worker's process died, or lost its machine or its database) and
// makes them available again. River's own rescuer would wait for the job
// timeout and more.
//
// Running a job twice is safe (work is at least once, and the engine locks
// what it writes); a job is rescued only while River still says it runs,
// so a finished job is never run again.
//
// A lease is written at the first beat after the job started, not when it
// starts: the rescue leaves a job alone for LeaseStale after River picked
// it (attempted_at) lease or not, and a beat comes within LeaseBeat, a third
// of that at most. Most jobs end within a beat and so cost no lease writes
// at all; writing one at the start and deleting it at the end were two
// round trips and two commits of every job, one of them before the handler
// was called.
type leases struct {
	db    *db.DB
	owner string
	opts  Options
	log   *slog.Logger

	mu     sync.Mutex
	held   map[int64]struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func newLeases(d *db.DB, owner string, opts Options, log *slog.Logger) *leases {
	return &leases{db: d, owner: owner, opts: opts, log: log, held: map[int64]struct{}{}}
}

// hold holds the lease on job id until release; the next beat writes it.
// Release only stops renewing it: the row stays fresh while River records
// the job's end (a deleted lease left a finished job looking abandoned
// until then, and another replica ran it again), goes stale after
// LeaseStale, and the rescue deletes it. SQLite serves one replica, whose
// restart rescues what it left (rescue.go): no leases.
func (l *leases) hold(id int64) (release func()) {
	if l.db.Pool() == nil {
		return func() {}
	}
	l.mu.Lock()
	l.held[id] = struct{}{}
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.held, id)
		l.mu.Unlock()
	}
}

func (l *leases) start(ctx context.Context) {
	if l.db.Pool() == nil {
		return
	}
	ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.opts.LeaseBeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				l.beat(ctx)
				l.rescue(ctx)
			}
		}
	}()
}

func (l *leases) stop() {
	if l.cancel != nil {
		l.cancel()
		<-l.done
	}
}

// beat writes the leases of the jobs this worker holds, new ones and
// renewals alike, in one statement.
func (l *leases) beat(ctx context.Context) {
	l.mu.Lock()
	ids := make([]int64, 0, len(l.held))
	for id := range l.held {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	now := time.Now().UnixNano()
	for chunk := range slices.Chunk(ids, rowsPerStatement) {
		args := make([]any, 0, 3*len(chunk))
		for _, id := range chunk {
			args = append(args, id, l.owner, now)
		}
		if _, err := l.db.Exec(ctx, `INSERT INTO stagehand_job_leases (job_id, owner, beat_at) VALUES `+rows(len(chunk), "(?, ?, ?)")+`
			ON CONFLICT (job_id) DO UPDATE SET owner = excluded.owner, beat_at = excluded.beat_at`, args...); err != nil {
			l.log.Warn("could not renew job leases", "err", err)
			return
		}
	}
}

// rescue makes running jobs with a stale lease, or none for as long, available
// again, and drops the leases of jobs that no longer run.
func (l *leases) rescue(ctx context.Context) {
	stale := time.Now().Add(-l.opts.LeaseStale)
	job := l.db.Table("river_job")
	staleAt := "datetime(?, 'unixepoch', 'subsec')"
	now := "datetime('now', 'subsec')"
	arg := any(float64(stale.UnixNano()) / 1e9)
	if l.db.Pool() != nil {
		staleAt, now, arg = "?", "now()", stale
	}
	// A job runs without a lease for a moment after River picks it;
	// attempted_at tells how long.
	n, err := l.db.Exec(ctx, `UPDATE `+job+` SET state = 'available', scheduled_at = `+now+`
		WHERE state = 'running' AND attempted_at < `+staleAt+` AND id NOT IN (
			SELECT job_id FROM stagehand_job_leases WHERE beat_at >= ?)`, arg, stale.UnixNano())
	if err != nil {
		l.log.Warn("could not look for jobs whose worker stopped", "err", err)
		return
	}
	if n > 0 {
		l.log.Warn("jobs whose worker stopped run again", "jobs", n)
	}
	if _, err := l.db.Exec(ctx, `DELETE FROM stagehand_job_leases WHERE beat_at < ?`, stale.UnixNano()); err != nil {
		l.log.Warn("could not drop stale leases", "err", err)
	}
}
