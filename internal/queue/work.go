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

	"github.com/stagehand-dev/stagehand/internal/db"
)

// worker adapts one job kind to River.
type worker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	q    *Queue
	work func(ctx context.Context, args T) error
}

func (w *worker[T]) Timeout(*river.Job[T]) time.Duration { return w.q.riverTimeout() }

func (w *worker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	return w.q.run(ctx, job.JobRow, func(ctx context.Context) error {
		return w.work(ctx, job.Args)
	})
}

// run works one job under a lease and turns the outcome into River's terms.
func (q *Queue) run(ctx context.Context, row *rivertype.JobRow, work func(context.Context) error) error {
	start := time.Now()
	if firstStart(row) {
		q.metrics.started(row.Kind, start.Sub(row.CreatedAt))
	}
	release := q.leases.hold(row.ID)
	err := q.call(ctx, work)
	release()
	outcome, err := q.settle(ctx, row, err)
	q.metrics.observe(row.Kind, outcome, time.Since(start))
	return err
}

// call runs work under JobTimeout. A panic becomes the job's error, so it
// is retried, counted and logged like any other.
func (q *Queue) call(ctx context.Context, work func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("job panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	workCtx, cancel := context.WithTimeout(ctx, q.opts.JobTimeout)
	defer cancel()
	// What the work writes for people (records, holds, history) is synced
	// once, when it ends, not commit by commit: a push's job writes about
	// eight times, and a sync each was most of stagehand's own time per
	// push. Until the job is done River has not recorded it done (that
	// commit comes after the sync), so a power cut before the sync loses
	// the job's records and the job's end together, and the job runs
	// again, as it does when the process dies halfway; accepts and
	// everything a person's request writes outside a job stay synced.
	err = work(db.Relaxed(workCtx))
	if err != nil && ctx.Err() == nil && errors.Is(workCtx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s: %w", q.opts.JobTimeout, err)
	}
	sctx, cancel := bookkeeping(ctx)
	defer cancel()
	if serr := q.db.Sync(sctx); serr != nil && err == nil {
		err = fmt.Errorf("sync the job's records: %w", serr)
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
	case errors.Is(err, db.ErrLockBusy):
		return outcomeSnoozed, river.JobSnooze(time.Second)
	case errors.As(err, &perm):
		log.Error("job failed for good: refused, a person must act", "error", err)
		return outcomeFailed, river.JobCancel(err)
	}
	if d := retryAfter(err); d > 0 {
		log.Warn("job asked to wait; will retry", "retry_after", d, "error", err)
		return outcomeSnoozed, river.JobSnooze(d)
	}
	if row.Attempt >= row.MaxAttempts {
		log.Error("job failed for good: out of attempts", "error", err)
		return outcomeFailed, err
	}
	log.Warn("job failed; will retry", "retry_in", backoff(row.Attempt, q.opts.MaxBackoff), "error", err)
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

// workPush hands every push of the image waiting to the handler, and
// forgets them once it succeeded.
func (q *Queue) workPush(ctx context.Context, a pushArgs) error {
	// One job of an image at a time: a job waiting here takes, when its
	// turn comes, everything that arrived while the one before it ran.
	release, err := q.db.Lock(ctx, "push/"+a.Image, q.opts.JobTimeout)
	if err != nil {
		return err
	}
	defer release()
	// Taking and finishing commit unsynced, as all of a job's writes
	// (call): lost with the power, the pushes are handed over again.
	tk, ok, err := pendingPushes.take(ctx, q.db, a.Image)
	if err != nil {
		return fmt.Errorf("take pending pushes of %s: %w", a.Image, err)
	}
	if !ok {
		return nil
	}
	pushes, err := arrivals(ctx, q.db, a.Image, tk.seq)
	if err != nil {
		return fmt.Errorf("read pending pushes of %s: %w", a.Image, err)
	}
	if len(pushes) > 0 {
		if err := q.h.Pushes(ctx, imageOf(a.Image), pushes); err != nil {
			return err
		}
	}
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if err := pushesDone(bctx, q.db, tk, time.Now()); err != nil {
		// Retrying hands the same pushes over again, which the handler
		// must take in its stride (senders redeliver too).
		return fmt.Errorf("record the pushes of %s handled: %w", a.Image, err)
	}
	return nil
}

func (q *Queue) workChecks(ctx context.Context, a checksArgs) error {
	release, err := q.db.Lock(ctx, "checks/"+a.SHA, q.opts.JobTimeout)
	if err != nil {
		return err
	}
	defer release()
	tk, ok, err := pendingChecks.take(ctx, q.db, a.SHA)
	if err != nil {
		return fmt.Errorf("take pending checks of %s: %w", a.SHA, err)
	}
	if !ok {
		return nil
	}
	var c Checks
	if err := json.Unmarshal(tk.payload, &c); err != nil {
		return Permanent(fmt.Errorf("stored checks unreadable: %w", err))
	}
	if err := q.h.Checks(ctx, c); err != nil {
		return err
	}
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if err := pendingChecks.done(bctx, q.db, tk, time.Now()); err != nil {
		return fmt.Errorf("record the checks of %s handled: %w", a.SHA, err)
	}
	return nil
}

// bookkeeping is a context for recording a call's end: it must happen even
// when the call used up its own.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (q *Queue) workPRClosed(ctx context.Context, a prClosedArgs) error {
	return q.h.PRClosed(ctx, a.prClosed())
}

func (q *Queue) workComment(ctx context.Context, a commentArgs) error {
	return q.h.Comment(ctx, a.Comment)
}

func (q *Queue) workRequest(ctx context.Context, a requestArgs) error {
	return q.h.Request(ctx, a.Payload)
}

// workChain runs a soak-time chain of an older version as the request it
// now is.
func (q *Queue) workChain(ctx context.Context, a chainArgs) error {
	payload, err := json.Marshal(map[string]string{"kind": "chain", "source": "soak", "app": a.App, "from": a.From})
	if err != nil {
		return err
	}
	return q.h.Request(ctx, payload)
}

// workConfig has the configuration at a commit checked; the waiting work
// was woken when the change was accepted (wake).
func (q *Queue) workConfig(ctx context.Context, a configArgs) error {
	if w, ok := q.h.(ConfigWatcher); ok {
		return w.ConfigChanged(ctx, ConfigChanged{SHA: a.SHA, Repo: a.Repo})
	}
	return nil
}

func (q *Queue) workInstallation(ctx context.Context, _ installationArgs) error {
	if w, ok := q.h.(InstallationWatcher); ok {
		return w.InstallationChanged(ctx)
	}
	return nil
}

func (q *Queue) workReconcile(ctx context.Context, _ reconcileArgs) error {
	return q.h.Reconcile(ctx)
}

// workPrune forgets delivery ids, handled pending rows and old leases.
func (q *Queue) workPrune(ctx context.Context, _ pruneArgs) error {
	before := time.Now().Add(-deliveryRetention)
	deliveries, err := q.db.Exec(ctx, `DELETE FROM stagehand_deliveries WHERE accepted_at < ?`, before.UnixNano())
	if err != nil {
		return fmt.Errorf("prune deliveries: %w", err)
	}
	var rows int64
	for _, t := range []pendingTable{pendingPushes, pendingChecks} {
		n, err := t.prune(ctx, q.db, before)
		if err != nil {
			return fmt.Errorf("prune %s: %w", t.table, err)
		}
		rows += n
	}
	if q.opts.Prune != nil {
		if err := q.opts.Prune(ctx, before); err != nil {
			return err
		}
	}
	if deliveries+rows > 0 {
		q.log.Info("queue pruned", "deliveries", deliveries, "pending_rows", rows)
	}
	return nil
}
