package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// Accept stores the work of d in one transaction: its id (a duplicate id
// returns duplicate=true and writes nothing else), the coalescing rows and
// River's jobs. Once it returns nil the work survives a crash; answer the
// sender 2xx only then. Database failures wrap ErrUnavailable (answer 503);
// an incomplete Delivery wraps ErrInvalid.
func (q *Queue) Accept(ctx context.Context, d Delivery) (duplicate bool, err error) {
	if err := d.validate(); err != nil {
		return false, err
	}
	now := time.Now()
	err = q.store.inTx(ctx, func(tx dbTx) error {
		n, err := tx.exec(ctx, `INSERT INTO stagehand_deliveries (id, source, accepted_at) VALUES (?, ?, ?)
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
		return false, fmt.Errorf("%w: accept delivery %s: %w", ErrUnavailable, d.ID, err)
	}
	return duplicate, nil
}

// stage writes d's coalescing rows and returns the jobs to insert.
func (q *Queue) stage(ctx context.Context, tx dbTx, d Delivery, now time.Time) ([]river.InsertManyParams, error) {
	var jobs []river.InsertManyParams
	for _, p := range d.latestPushes(now) {
		payload, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		gen, err := pendingPushes.put(ctx, tx, p.Image, payload, now)
		if err != nil {
			return nil, fmt.Errorf("pending push %s: %w", p.Image, err)
		}
		jobs = append(jobs, river.InsertManyParams{Args: pushArgs{Image: p.Image, Gen: gen}})
	}
	if c := d.Checks; c != nil {
		payload, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		gen, err := pendingChecks.put(ctx, tx, c.SHA, payload, now)
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
	return jobs, nil
}
