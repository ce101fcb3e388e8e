package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Options tune a Queue; zero values take the defaults.
type Options struct {
	// JobTimeout bounds one handler call; default 2m. A job may also wait as
	// long again for the handler lock.
	JobTimeout time.Duration
	// ReconcileInterval is the period of Handler.Reconcile (not run at
	// start); default 10m; negative disables it.
	ReconcileInterval time.Duration
	// MaxAttempts before a failing job is given up and listed by Failures;
	// default 12.
	MaxAttempts int
	// PollInterval is how often workers look for new jobs when no
	// notification wakes them; default 50ms.
	PollInterval time.Duration
	// Registerer, when set, receives the queue's metrics.
	Registerer prometheus.Registerer
	// Logger defaults to the Store's.
	Logger *slog.Logger
}

const (
	failureRetention  = 7 * 24 * time.Hour // how long Failures remembers
	deliveryRetention = 7 * 24 * time.Hour // how long a delivery id dedupes
	pruneInterval     = time.Hour
)

func (o Options) withDefaults(log *slog.Logger) (Options, error) {
	var problems []string
	if o.JobTimeout < 0 {
		problems = append(problems, fmt.Sprintf("JobTimeout %s is negative", o.JobTimeout))
	}
	if o.MaxAttempts < 0 {
		problems = append(problems, fmt.Sprintf("MaxAttempts %d is negative", o.MaxAttempts))
	}
	if o.PollInterval < 0 || (o.PollInterval > 0 && o.PollInterval < time.Millisecond) {
		problems = append(problems, fmt.Sprintf("PollInterval %s is under 1ms", o.PollInterval))
	}
	if len(problems) > 0 {
		return o, fmt.Errorf("queue options: %s", strings.Join(problems, "; "))
	}
	if o.JobTimeout == 0 {
		o.JobTimeout = 2 * time.Minute
	}
	if o.ReconcileInterval == 0 {
		o.ReconcileInterval = 10 * time.Minute
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 12
	}
	if o.PollInterval == 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = log
	}
	return o, nil
}

// Queue accepts deliveries durably and works them with River, one handler
// call at a time: across replicas on PostgreSQL, within the process on
// SQLite (which is for one replica only).
type Queue struct {
	store   *Store
	h       Handler
	opts    Options
	log     *slog.Logger
	client  riverClient
	metrics *metrics
}

// New builds a Queue over s. Accept works at once; jobs run after Start.
func New(s *Store, h Handler, opts Options) (*Queue, error) {
	if s == nil || h == nil {
		return nil, errors.New("queue: New needs a Store and a Handler")
	}
	opts, err := opts.withDefaults(s.log)
	if err != nil {
		return nil, err
	}
	q := &Queue{store: s, h: h, opts: opts, log: opts.Logger}

	workers := river.NewWorkers()
	river.AddWorker(workers, &worker[pushArgs]{q: q, serialised: true, work: q.workPush})
	river.AddWorker(workers, &worker[checksArgs]{q: q, serialised: true, work: q.workChecks})
	river.AddWorker(workers, &worker[prClosedArgs]{q: q, serialised: true, work: q.workPRClosed})
	river.AddWorker(workers, &worker[commentArgs]{q: q, serialised: true, work: q.workComment})
	river.AddWorker(workers, &worker[chainArgs]{q: q, serialised: true, work: q.workChain})
	river.AddWorker(workers, &worker[reconcileArgs]{q: q, serialised: true, work: q.workReconcile})
	river.AddWorker(workers, &worker[pruneArgs]{q: q, work: q.workPrune})

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

	q.client, err = s.newRiverClient(&river.Config{
		Logger:       riverLogger(opts.Logger),
		Workers:      workers,
		PeriodicJobs: periodic,
		// One worker: handler calls are serialised anyway, and a second
		// would only wait for the lock.
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		MaxAttempts:       opts.MaxAttempts,
		FetchPollInterval: opts.PollInterval,
		FetchCooldown:     min(opts.PollInterval, river.FetchCooldownDefault),
		JobTimeout:        q.riverTimeout(),
		// A job whose process died mid-call is retried this long after it
		// started, not River's default of an hour later.
		RescueStuckJobsAfter:        q.riverTimeout() + time.Minute,
		RetryPolicy:                 retryPolicy{},
		CancelledJobRetentionPeriod: failureRetention,
		DiscardedJobRetentionPeriod: failureRetention,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: river client: %w", err)
	}
	q.metrics, err = newMetrics(opts.Registerer, q.Depth)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// riverTimeout is River's per-job timeout: the lock wait and the handler
// call, each up to JobTimeout, and a margin for bookkeeping.
func (q *Queue) riverTimeout() time.Duration { return 2*q.opts.JobTimeout + 30*time.Second }

// Start starts working jobs. Jobs run under ctx: cancelling it cancels them
// at once, so pass a context that lives as long as the process and call Stop.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.rescueOrphans(ctx); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones until ctx is done; then
// it cancels them, and they run again after the next Start.
func (q *Queue) Stop(ctx context.Context) error {
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
	err := q.store.db().queryRow(ctx, `SELECT COUNT(*) FROM `+q.store.riverTable("river_job")+
		` WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("%w: queue depth: %w", ErrUnavailable, err)
	}
	return int(n), nil
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
		return nil, fmt.Errorf("%w: list failures: %w", ErrUnavailable, err)
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

// riverTable names one of River's tables as River placed it.
func (s *Store) riverTable(name string) string {
	if s.schema == "" {
		return name
	}
	return pgx.Identifier{s.schema, name}.Sanitize()
}

// retryPolicy: 1s, 2s, 4s … capped at 5 minutes, for every kind.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(backoff(job.Attempt))
}

var _ river.ClientRetryPolicy = retryPolicy{}
