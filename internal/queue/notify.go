package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Outgoing notifications are jobs of their own kind on a River queue of
// their own: a receiver that is slow or down holds at most NotifyWorkers
// workers of each process, never the ones promotions run on.
const (
	KindNotify = "notify"
	// notifyQueue is the River queue notifications run on.
	notifyQueue = "notify"
	// NotifyWorkers is how many notifications one process delivers at once.
	NotifyWorkers = 4
	// NotifyAttempts is how often a delivery is tried before it is given
	// up: with notifyBackoff, about twenty minutes of trying.
	NotifyAttempts = 12
	// notifyBackoff caps the wait between tries of a delivery: 1s, 2s, 4s …
	// then every five minutes.
	notifyBackoff = 5 * time.Minute
)

// Notification is an outgoing notification to deliver: Payload as its
// maker encoded it, handed back to Options.Deliver. ID makes it unique:
// queuing one ID again while the first is not finished does nothing.
type Notification struct {
	ID      string
	Summary string // what it is about, for logs and Failures
	Payload []byte
}

// Deliverer delivers one notification; final says this is the last try,
// so that a failure is the delivery's end. An error is retried (Permanent
// ends it at once).
type Deliverer func(ctx context.Context, payload []byte, final bool) error

type notifyArgs struct {
	ID      string          `json:"id" river:"unique"`
	Summary string          `json:"summary"`
	Payload json.RawMessage `json:"payload"`
}

func (notifyArgs) Kind() string { return KindNotify }
func (notifyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: notifyQueue, MaxAttempts: NotifyAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
func (a notifyArgs) summary() string { return a.Summary }

// notifyWorker delivers notifications, with a backoff longer than other
// jobs': a receiver's outage tends to last minutes, and nothing waits for
// the delivery.
type notifyWorker struct {
	river.WorkerDefaults[notifyArgs]
	q *Queue
}

func (w *notifyWorker) Timeout(*river.Job[notifyArgs]) time.Duration { return w.q.riverTimeout() }

func (w *notifyWorker) Work(ctx context.Context, job *river.Job[notifyArgs]) error {
	return w.q.run(ctx, job.JobRow, func(ctx context.Context) error {
		return w.q.workNotify(ctx, job.Args, job.Attempt, job.MaxAttempts)
	})
}

func (w *notifyWorker) NextRetry(job *river.Job[notifyArgs]) time.Time {
	return time.Now().Add(backoff(job.Attempt, notifyBackoff))
}

func (q *Queue) workNotify(ctx context.Context, a notifyArgs, attempt, of int) error {
	if q.opts.Deliver == nil {
		return Permanent(errors.New("this process delivers no notifications"))
	}
	return q.opts.Deliver(ctx, a.Payload, attempt >= of)
}

// Notify queues notifications for delivery. It is quick (one insert) and
// never waits for a receiver.
func (q *Queue) Notify(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	jobs := make([]river.InsertManyParams, 0, len(ns))
	seen := map[string]bool{}
	for _, n := range ns {
		if n.ID == "" || !json.Valid(n.Payload) {
			return fmt.Errorf("%w: notification %q without id or JSON payload", ErrInvalid, n.Summary)
		}
		if seen[n.ID] {
			continue // River refuses a batch that repeats a unique key
		}
		seen[n.ID] = true
		jobs = append(jobs, river.InsertManyParams{Args: notifyArgs{ID: n.ID, Summary: n.Summary, Payload: n.Payload}})
	}
	err := q.db.InTx(ctx, func(tx db.Tx) error {
		_, err := q.client.insertTx(ctx, tx, jobs)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: queue %d notifications: %w", db.ErrUnavailable, len(ns), err)
	}
	q.Nudge()
	return nil
}
