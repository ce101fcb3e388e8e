package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// worker adapts one job kind to River.
type worker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	q *Queue
	// serialised: the work calls the Handler, so it takes the handler lock.
	serialised bool
	work       func(ctx context.Context, args T) error
}

func (w *worker[T]) Timeout(*river.Job[T]) time.Duration { return w.q.riverTimeout() }

func (w *worker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	return w.q.run(ctx, job.JobRow, w.serialised, func(ctx context.Context) error {
		return w.work(ctx, job.Args)
	})
}

// run works one job and turns the outcome into River's terms.
func (q *Queue) run(ctx context.Context, row *rivertype.JobRow, serialised bool, work func(context.Context) error) error {
	start := time.Now()
	if firstStart(row) {
		q.metrics.started(row.Kind, start.Sub(row.CreatedAt))
	}
	err := q.call(ctx, serialised, work)
	outcome, err := q.settle(ctx, row, err)
	q.metrics.observe(row.Kind, outcome, time.Since(start))
	return err
}

// call takes the handler lock if asked and runs work under JobTimeout. A
// panic becomes the job's error, so it is retried, counted and logged like
// any other.
func (q *Queue) call(ctx context.Context, serialised bool, work func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("job panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	if serialised {
		release, err := q.store.lockHandlers(ctx, q.opts.JobTimeout)
		if err != nil {
			return err
		}
		defer release()
	}
	workCtx, cancel := context.WithTimeout(ctx, q.opts.JobTimeout)
	defer cancel()
	err = work(workCtx)
	if err != nil && ctx.Err() == nil && errors.Is(workCtx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s: %w", q.opts.JobTimeout, err)
	}
	return err
}

// settle classifies a job's error: the outcome for metrics, and the error
// River acts on (nil, a snooze, a cancel, or a plain error to retry).
func (q *Queue) settle(ctx context.Context, row *rivertype.JobRow, err error) (string, error) {
	if err == nil {
		return outcomeOK, nil
	}
	log := q.log.With("job_id", row.ID, "kind", row.Kind, "job", summarize(row), "attempt", row.Attempt)
	var perm *permanentError
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		// Stop (or a cancel from River's UI) cut the job short. Wrapping
		// context.Canceled lets River tell a shutdown from a failure: the job
		// goes back to waiting without spending an attempt.
		if !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%w (%w)", err, context.Canceled)
		}
		return outcomeRetry, err
	case errors.Is(err, errLockBusy):
		return outcomeSnoozed, river.JobSnooze(time.Second)
	case errors.As(err, &perm):
		log.Error("job failed for good: refused, a person must act", "error", err)
		return outcomeFailed, river.JobCancel(err)
	}
	if d := retryAfter(err, time.Now()); d > 0 {
		log.Warn("job asked to wait; will retry", "retry_after", d, "error", err)
		return outcomeSnoozed, river.JobSnooze(d)
	}
	if row.Attempt >= row.MaxAttempts {
		log.Error("job failed for good: out of attempts", "error", err)
		return outcomeFailed, err
	}
	log.Warn("job failed; will retry", "retry_in", backoff(row.Attempt), "error", err)
	return outcomeRetry, err
}

// firstStart: the job has not run before (a snooze gives back its attempt,
// so look at its snooze count too).
func firstStart(row *rivertype.JobRow) bool {
	if row.Attempt != 1 || len(row.Errors) > 0 {
		return false
	}
	var meta struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(row.Metadata, &meta)
	return meta.Snoozes == 0
}

func (q *Queue) workPush(ctx context.Context, a pushArgs) error {
	return q.workPending(ctx, pendingPushes, a.Image, func(ctx context.Context, payload []byte) error {
		var p Push
		if err := json.Unmarshal(payload, &p); err != nil {
			return Permanent(fmt.Errorf("stored push unreadable: %w", err))
		}
		return q.h.Push(ctx, p)
	})
}

func (q *Queue) workChecks(ctx context.Context, a checksArgs) error {
	return q.workPending(ctx, pendingChecks, a.SHA, func(ctx context.Context, payload []byte) error {
		var c Checks
		if err := json.Unmarshal(payload, &c); err != nil {
			return Permanent(fmt.Errorf("stored checks unreadable: %w", err))
		}
		return q.h.Checks(ctx, c)
	})
}

// workPending hands the newest waiting payload of key to handle; when an
// earlier job already handled it, there is nothing to do.
func (q *Queue) workPending(ctx context.Context, t pendingTable, key string, handle func(context.Context, []byte) error) error {
	db := q.store.db()
	tk, ok, err := t.take(ctx, db, key)
	if err != nil {
		return fmt.Errorf("take pending %s: %w", t.key, err)
	}
	if !ok {
		return nil
	}
	herr := handle(ctx, tk.payload)
	// Bookkeeping must happen even when the call used up its context.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if herr != nil {
		if err := t.release(bctx, db, tk); err != nil {
			// The payload still waits and the retry takes it; at worst a
			// later arrival gets a job of its own.
			q.log.Warn("could not release pending work after a failed call", t.key, key, "error", err)
		}
		return herr
	}
	if err := t.done(bctx, db, tk, time.Now()); err != nil {
		// Retrying calls the handler again with the same payload, which it
		// must take in its stride (senders redeliver too).
		return fmt.Errorf("record pending %s handled: %w", t.key, err)
	}
	return nil
}

func (q *Queue) workPRClosed(ctx context.Context, a prClosedArgs) error {
	return q.h.PRClosed(ctx, a.prClosed())
}

func (q *Queue) workComment(ctx context.Context, a commentArgs) error {
	return q.h.Comment(ctx, a.Comment)
}

func (q *Queue) workChain(ctx context.Context, a chainArgs) error {
	return q.h.Chain(ctx, a.App, a.From)
}

func (q *Queue) workReconcile(ctx context.Context, _ reconcileArgs) error {
	return q.h.Reconcile(ctx)
}

// workPrune forgets delivery ids and pending rows untouched for a week.
func (q *Queue) workPrune(ctx context.Context, _ pruneArgs) error {
	db := q.store.db()
	before := time.Now().Add(-deliveryRetention)
	deliveries, err := db.exec(ctx, `DELETE FROM stagehand_deliveries WHERE accepted_at < ?`, before.UnixNano())
	if err != nil {
		return fmt.Errorf("prune deliveries: %w", err)
	}
	// A used link older than this can be forgotten: its token expired long
	// before (links live a day), so a replay is refused as expired anyway.
	links, err := db.exec(ctx, `DELETE FROM stagehand_used_links WHERE used_at < ?`, before.UnixNano())
	if err != nil {
		return fmt.Errorf("prune used links: %w", err)
	}
	rows := links
	for _, t := range []pendingTable{pendingPushes, pendingChecks} {
		n, err := t.prune(ctx, db, before)
		if err != nil {
			return fmt.Errorf("prune %s: %w", t.table, err)
		}
		rows += n
	}
	if deliveries+rows > 0 {
		q.log.Info("queue pruned", "deliveries", deliveries, "pending_rows", rows)
	}
	return nil
}
