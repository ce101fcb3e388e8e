package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Options tune a Queue; zero values take the defaults.
type Options struct {
	// Workers is how many jobs one process works at once; default 16.
	Workers int
	// JobTimeout bounds one handler call; default 2m.
	JobTimeout time.Duration
	// ReconcileInterval is the period of Handler.Reconcile (not run at
	// start); default 10m; negative disables it.
	ReconcileInterval time.Duration
	// MaxAttempts before a failing job is given up and listed by Failures;
	// default 200 (with MaxBackoff, about half an hour of trying).
	MaxAttempts int
	// MaxBackoff caps the wait between tries of a failing job; default
	// 10s, so that work lands within seconds of the trouble clearing.
	MaxBackoff time.Duration
	// PollInterval is how often workers look for new jobs when no
	// notification wakes them; default 50ms.
	PollInterval time.Duration
	// LeaseBeat is how often a running job's worker says it is alive, and
	// LeaseStale how long a lease may go unrenewed before another worker
	// runs the job again; defaults 3s and 15s.
	LeaseBeat, LeaseStale time.Duration
	// Prune, when set, runs with the hourly prune: forget what is older
	// than before (the store's used links and request outcomes).
	Prune func(ctx context.Context, before time.Time) error
	// Deliver, when set, delivers the notifications queued with Notify.
	Deliver Deliverer
	// Registerer, when set, receives the queue's metrics.
	Registerer prometheus.Registerer
	// Logger defaults to the database's.
	Logger *slog.Logger
}

const (
	failureRetention  = 7 * 24 * time.Hour // how long Failures remembers
	deliveryRetention = 7 * 24 * time.Hour // how long a delivery id dedupes
	pruneInterval     = time.Hour
)

func (o Options) withDefaults(log *slog.Logger) (Options, error) {
	var problems []string
	if o.JobTimeout < 0 || o.Workers < 0 || o.MaxAttempts < 0 || o.MaxBackoff < 0 || o.LeaseBeat < 0 || o.LeaseStale < 0 {
		problems = append(problems, "durations and counts must not be negative")
	}
	if o.PollInterval < 0 || (o.PollInterval > 0 && o.PollInterval < time.Millisecond) {
		problems = append(problems, fmt.Sprintf("PollInterval %s is under 1ms", o.PollInterval))
	}
	if o.LeaseBeat > 0 && o.LeaseStale > 0 && o.LeaseStale < 3*o.LeaseBeat {
		problems = append(problems, fmt.Sprintf("LeaseStale %s must be at least three LeaseBeats (%s)", o.LeaseStale, o.LeaseBeat))
	}
	if len(problems) > 0 {
		return o, fmt.Errorf("queue options: %s", strings.Join(problems, "; "))
	}
	o.Workers = cmpOr(o.Workers, 16)
	o.JobTimeout = cmpOr(o.JobTimeout, 2*time.Minute)
	o.ReconcileInterval = cmpOr(o.ReconcileInterval, 10*time.Minute)
	o.MaxAttempts = cmpOr(o.MaxAttempts, 200)
	o.MaxBackoff = cmpOr(o.MaxBackoff, 10*time.Second)
	o.PollInterval = cmpOr(o.PollInterval, 50*time.Millisecond)
	o.LeaseBeat = cmpOr(o.LeaseBeat, 3*time.Second)
	o.LeaseStale = cmpOr(o.LeaseStale, 15*time.Second)
	if o.Logger == nil {
		o.Logger = log
	}
	return o, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Queue accepts deliveries durably and works them with River, several at a
// time, on one database shared by every replica.
type Queue struct {
	db       *db.DB
	h        Handler
	opts     Options
	log      *slog.Logger
	client   riverClient
	metrics  *metrics
	leases   *leases
	due      dueTimers
	group    acceptGroup
	sqlite   *sqliteDriver // SQLite only: its listener wakes on Nudge (nudge.go)
	issueGen issueGen
}

// New builds a Queue over d. Accept works at once; jobs run after Start.
func New(d *db.DB, h Handler, opts Options) (*Queue, error) {
	if d == nil || h == nil {
		return nil, errors.New("queue: New needs a database and a Handler")
	}
	return newQueue(d, h, opts)
}

// Submitter is a Queue that only submits and accepts, and works nothing:
// for a process that is not stagehand serve (the CLI).
func Submitter(d *db.DB, opts Options) (*Queue, error) {
	if d == nil {
		return nil, errors.New("queue: Submitter needs a database")
	}
	return newQueue(d, nil, opts)
}

func newQueue(d *db.DB, h Handler, opts Options) (*Queue, error) {
	opts, err := opts.withDefaults(d.Logger())
	if err != nil {
		return nil, err
	}
	q := &Queue{db: d, h: h, opts: opts, log: opts.Logger}
	if h == nil {
		q.client, q.sqlite, err = newRiverClient(d, &river.Config{Logger: db.RiverLogger(opts.Logger)})
		if err != nil {
			return nil, fmt.Errorf("queue: river client: %w", err)
		}
		return q, nil
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &worker[pushArgs]{q: q, work: q.workPush})
	river.AddWorker(workers, &worker[checksArgs]{q: q, work: q.workChecks})
	river.AddWorker(workers, &worker[prClosedArgs]{q: q, work: q.workPRClosed})
	river.AddWorker(workers, &worker[commentArgs]{q: q, work: q.workComment})
	river.AddWorker(workers, &worker[requestArgs]{q: q, work: q.workRequest})
	river.AddWorker(workers, &worker[chainArgs]{q: q, work: q.workChain})
	river.AddWorker(workers, &worker[configArgs]{q: q, work: q.workConfig})
	river.AddWorker(workers, &worker[installationArgs]{q: q, work: q.workInstallation})
	river.AddWorker(workers, &worker[reconcileArgs]{q: q, work: q.workReconcile})
	river.AddWorker(workers, &worker[pruneArgs]{q: q, work: q.workPrune})
	river.AddWorker(workers, &notifyWorker{q: q})
	river.AddWorker(workers, &worker[issueArgs]{q: q, work: q.workIssue})
	river.AddWorker(workers, &worker[issueEditArgs]{q: q, work: q.workIssueEdit})
	// Notifications have workers of their own, so that a slow receiver
	// never holds up a promotion.
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}, notifyQueue: {MaxWorkers: NotifyWorkers}}

	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(pruneInterval),
			func() (river.JobArgs, *river.InsertOpts) { return pruneArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindPrune, RunOnStart: true}),
	}
	if opts.ReconcileInterval > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(opts.ReconcileInterval),
			func() (river.JobArgs, *river.InsertOpts) { return reconcileArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindReconcile}))
	}

	q.client, q.sqlite, err = newRiverClient(d, &river.Config{
		Logger:            db.RiverLogger(opts.Logger),
		Workers:           workers,
		PeriodicJobs:      periodic,
		Queues:            queues,
		MaxAttempts:       opts.MaxAttempts,
		FetchPollInterval: opts.PollInterval,
		FetchCooldown:     fetchCooldown,
		JobTimeout:        q.riverTimeout(),
		// River's own rescuer is the backstop; leases (lease.go) rescue a
		// job whose worker died within seconds.
		RescueStuckJobsAfter:        q.riverTimeout() + time.Minute,
		RetryPolicy:                 retryPolicy{most: opts.MaxBackoff},
		CancelledJobRetentionPeriod: failureRetention,
		DiscardedJobRetentionPeriod: failureRetention,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: river client: %w", err)
	}
	q.leases = newLeases(d, q.client.ID(), opts, q.log)
	q.metrics, err = newMetrics(opts.Registerer, q.Depth)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// fetchCooldown is the least time between two fetches of jobs. River's
// default (100 ms) makes work accepted just after a fetch wait that long;
// a fetch is one indexed query, and fetches are triggered by inserts (a
// group commit's, not each delivery's), so a short cooldown costs little.
const fetchCooldown = time.Millisecond

// riverTimeout is River's per-job timeout: the handler call and a margin
// for bookkeeping.
func (q *Queue) riverTimeout() time.Duration { return q.opts.JobTimeout + 30*time.Second }

// Start starts working jobs. Jobs run under ctx: cancelling it cancels them
// at once, so pass a context that lives as long as the process and call Stop.
func (q *Queue) Start(ctx context.Context) error {
	if q.h == nil {
		return errors.New("queue: a Submitter works no jobs")
	}
	if err := q.rescueOrphans(ctx); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	// River's own writes (fetching, completing) are bookkeeping: a job
	// whose completion is lost with the power runs again (db.Relaxed).
	if err := q.client.Start(db.Relaxed(ctx)); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	q.leases.start(ctx)
	return nil
}

// Stop stops fetching jobs and waits for running ones until ctx is done; then
// it cancels them, and they run again after the next Start.
func (q *Queue) Stop(ctx context.Context) error {
	defer q.leases.stop()
	q.stopWakes()
	err := q.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	q.log.Warn("queue stop deadline reached; cancelling running jobs, which will run again after restart")
	hardCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := q.client.StopAndCancel(hardCtx); err != nil {
		return fmt.Errorf("queue: stop: jobs did not return after cancellation: %w", err)
	}
	return nil
}

// Depth counts jobs not yet finished.
func (q *Queue) Depth(ctx context.Context) (int, error) {
	var n int64
	err := q.db.QueryRow(ctx, `SELECT COUNT(*) FROM `+q.db.Table("river_job")+
		` WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("%w: queue depth: %w", db.ErrUnavailable, err)
	}
	return int(n), nil
}

// Working reports whether a stagehand serve works this queue: River elects
// a leader among the running clients and renews its term every few
// seconds, so a current leader means someone will pick up a Submit.
func (q *Queue) Working(ctx context.Context) (bool, error) {
	return Working(ctx, q.db)
}

// Working is Queue.Working for a database no Queue was built on (the CLI).
func Working(ctx context.Context, d *db.DB) (bool, error) {
	var n int64
	now := "datetime('now', 'subsec')"
	if d.Pool() != nil {
		now = "now()"
	}
	err := d.QueryRow(ctx, `SELECT COUNT(*) FROM `+d.Table("river_leader")+` WHERE expires_at > `+now).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("%w: read the queue's leader: %w", db.ErrUnavailable, err)
	}
	return n > 0, nil
}

// Failure is a job given up for good: Permanent, or out of attempts.
type Failure struct {
	JobID    int64
	Kind     string // KindPush, KindPRClosed, …
	Summary  string // what the job was about: the image, the PR, the commit
	Error    string // the last error
	Attempts int
	At       time.Time
}

// Failures lists up to limit (default 20) failed jobs of the last week,
// newest first.
func (q *Queue) Failures(ctx context.Context, limit int) ([]Failure, error) {
	if limit <= 0 {
		limit = 20
	}
	params := river.NewJobListParams().
		States(rivertype.JobStateCancelled, rivertype.JobStateDiscarded).
		OrderBy(river.JobListOrderByFinalizedAt, river.SortOrderDesc).
		First(min(limit, 1000))
	res, err := q.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("%w: list failures: %w", db.ErrUnavailable, err)
	}
	out := make([]Failure, 0, len(res.Jobs))
	for _, row := range res.Jobs {
		f := Failure{JobID: row.ID, Kind: row.Kind, Summary: summarize(row), Attempts: row.Attempt}
		if row.FinalizedAt != nil {
			f.At = *row.FinalizedAt
		}
		if n := len(row.Errors); n > 0 {
			f.Error = strings.TrimPrefix(row.Errors[n-1].Error, "JobCancelError: ")
		}
		out = append(out, f)
	}
	return out, nil
}

// retryPolicy: 1s, 2s, 4s … capped at most, for every kind.
type retryPolicy struct{ most time.Duration }

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(backoff(job.Attempt, p.most))
}

var _ river.ClientRetryPolicy = retryPolicy{}
