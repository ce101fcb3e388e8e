package queue

import (
	"context"
	"log/slog"
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
type leases struct {
	db    *db.DB
	owner string
	opts  Options
	log   *slog.Logger

	mu     sync.Mutex
	held   map[int64]bool
	cancel context.CancelFunc
	done   chan struct{}
}

func newLeases(d *db.DB, owner string, opts Options, log *slog.Logger) *leases {
	return &leases{db: d, owner: owner, opts: opts, log: log, held: map[int64]bool{}}
}

// hold takes the lease on job id until release. SQLite serves one
// replica, whose restart rescues what it left (rescue.go): no leases.
func (l *leases) hold(ctx context.Context, id int64) (release func()) {
	if l.db.Pool() == nil {
		return func() {}
	}
	bctx, cancel := bookkeeping(ctx)
	_, err := l.db.Exec(bctx, `INSERT INTO stagehand_job_leases (job_id, owner, beat_at) VALUES (?, ?, ?)
		ON CONFLICT (job_id) DO UPDATE SET owner = excluded.owner, beat_at = excluded.beat_at`, id, l.owner, time.Now().UnixNano())
	cancel()
	if err != nil {
		// Without a lease the job is rescued only once it looks stale;
		// the work itself is not at risk.
		l.log.Warn("could not take a job's lease", "job_id", id, "err", err)
	}
	l.mu.Lock()
	l.held[id] = true
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.held, id)
		l.mu.Unlock()
		bctx, cancel := bookkeeping(ctx)
		defer cancel()
		if _, err := l.db.Exec(bctx, `DELETE FROM stagehand_job_leases WHERE job_id = ? AND owner = ?`, id, l.owner); err != nil {
			l.log.Warn("could not drop a job's lease; it is pruned later", "job_id", id, "err", err)
		}
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

// beat renews the leases this worker holds.
func (l *leases) beat(ctx context.Context) {
	l.mu.Lock()
	n := len(l.held)
	l.mu.Unlock()
	if n == 0 {
		return
	}
	if _, err := l.db.Exec(ctx, `UPDATE stagehand_job_leases SET beat_at = ? WHERE owner = ?`, time.Now().UnixNano(), l.owner); err != nil {
		l.log.Warn("could not renew job leases", "err", err)
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
