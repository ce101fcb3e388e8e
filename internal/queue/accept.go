package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Accept stores the work of d in one transaction: its id (a duplicate id
// returns duplicate=true and writes nothing else), the pending rows and
// River's jobs. Once it returns nil the work survives a crash; answer the
// sender 2xx only then. Database failures wrap db.ErrUnavailable (answer
// 503); an incomplete Delivery wraps ErrInvalid.
func (q *Queue) Accept(ctx context.Context, d Delivery) (duplicate bool, err error) {
	if err := d.validate(); err != nil {
		return false, err
	}
	now := time.Now()
	err = q.db.InTx(ctx, func(tx db.Tx) error {
		n, err := tx.Exec(ctx, `INSERT INTO stagehand_deliveries (id, source, accepted_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, d.ID, d.Source, now.UnixNano())
		if err != nil {
			return err
		}
		if n == 0 {
			duplicate = true
			return nil
		}
		jobs, err := q.stage(ctx, tx, d, now)
		if err != nil || len(jobs) == 0 {
			return err
		}
		_, err = q.client.insertTx(ctx, tx, jobs)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("%w: accept delivery %s: %w", db.ErrUnavailable, d.ID, err)
	}
	return duplicate, nil
}

// stage writes d's pending rows and returns the jobs to insert.
func (q *Queue) stage(ctx context.Context, tx db.Tx, d Delivery, now time.Time) ([]river.InsertManyParams, error) {
	var jobs []river.InsertManyParams
	var images []string // in the pushes' order, so that jobs are inserted in a fixed order too
	gens := map[string]int64{}
	for _, p := range d.pushes(now) {
		gen, err := putPush(ctx, tx, p, now)
		if err != nil {
			return nil, fmt.Errorf("pending push %s:%s: %w", p.Image, p.Tag, err)
		}
		if _, ok := gens[p.Image]; !ok {
			images = append(images, p.Image)
		}
		gens[p.Image] = gen
	}
	for _, image := range images {
		jobs = append(jobs, river.InsertManyParams{Args: pushArgs{Image: image, Gen: gens[image]}})
	}
	if c := d.Checks; c != nil {
		payload, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		_, gen, err := pendingChecks.put(ctx, tx, c.SHA, payload, now)
		if err != nil {
			return nil, fmt.Errorf("pending checks %s: %w", c.SHA, err)
		}
		jobs = append(jobs, river.InsertManyParams{Args: checksArgs{SHA: c.SHA, Gen: gen}})
	}
	if pr := d.PRClosed; pr != nil {
		jobs = append(jobs, river.InsertManyParams{Args: newPRClosedArgs(*pr)})
	}
	if c := d.Comment; c != nil {
		jobs = append(jobs, river.InsertManyParams{Args: commentArgs{Comment: *c}})
	}
	if c := d.ConfigChanged; c != nil {
		woken, err := wake(ctx, tx)
		if err != nil {
			return nil, fmt.Errorf("wake the waiting work: %w", err)
		}
		jobs = append(jobs, river.InsertManyParams{Args: configArgs{SHA: c.SHA}})
		jobs = append(jobs, woken...)
	}
	return jobs, nil
}

// wake returns a job for every image and commit whose work waits: a push
// held back by a broken config waits, snoozed, for a minute or more, but
// a job of the current generation (pending.go) runs at once and takes the
// work over; the snoozed one finds nothing left when it wakes. A key whose
// job of this generation waits already is skipped by River's uniqueness.
func wake(ctx context.Context, tx db.Tx) ([]river.InsertManyParams, error) {
	var jobs []river.InsertManyParams
	for _, t := range []pendingTable{pendingPushes, pendingChecks} {
		keys, err := t.waiting(ctx, tx)
		if err != nil {
			return nil, err
		}
		// Sorted, as Accept's other inserts are, so that concurrent
		// transactions take River's unique keys in one order.
		for _, key := range slices.Sorted(maps.Keys(keys)) {
			var args river.JobArgs = pushArgs{Image: key, Gen: keys[key]}
			if t == pendingChecks {
				args = checksArgs{SHA: key, Gen: keys[key]}
			}
			jobs = append(jobs, river.InsertManyParams{Args: args})
		}
	}
	return jobs, nil
}

// Submit queues a request (payload as its maker encoded it) for
// Handler.Request, at once or at a given time; with an id, submitting it
// again while the first is not finished does nothing. Use SubmitTx to
// record the request in the same transaction.
func (q *Queue) Submit(ctx context.Context, id, summary string, payload []byte, at time.Time) error {
	err := q.db.InTx(ctx, func(tx db.Tx) error { return q.SubmitTx(ctx, tx, id, summary, payload, at) })
	if err != nil {
		return fmt.Errorf("%w: submit %s: %w", db.ErrUnavailable, summary, err)
	}
	return nil
}

// SubmitTx is Submit inside the caller's transaction.
func (q *Queue) SubmitTx(ctx context.Context, tx db.Tx, id, summary string, payload []byte, at time.Time) error {
	args := requestArgs{ID: id, Summary: summary, Payload: payload}
	if id == "" {
		// Without an id every submission is its own; the time tells two apart.
		args.ID = fmt.Sprintf("%s@%d", summary, time.Now().UnixNano())
	}
	opts := &river.InsertOpts{}
	if !at.IsZero() {
		opts.ScheduledAt = at.UTC().Truncate(time.Millisecond)
	}
	_, err := q.client.insertTx(ctx, tx, []river.InsertManyParams{{Args: args, InsertOpts: opts}})
	return err
}
