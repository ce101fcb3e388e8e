package work

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Requests puts requests made outside the queue's own events (a link
// confirmation, the CLI, a chain waiting for a soak time) into the queue,
// so that they go the one way every promotion goes, and tells how they
// ended.
type Requests struct {
	DB    *db.DB
	Queue *queue.Queue
	Store *store.Store
}

// Submit records r as queued and queues it, in one transaction.
func (q Requests) Submit(ctx context.Context, r promote.Request) error {
	payload, err := r.Encode()
	if err != nil {
		return err
	}
	err = q.DB.InTx(ctx, func(tx db.Tx) error {
		if r.ID != "" {
			if _, err := q.Store.AddRequest(ctx, tx, store.Request{ID: r.ID, Kind: string(r.Kind), App: r.App, Stage: r.Stage,
				Actor: r.Actor.Name(r.Source), Source: string(r.Source), Created: time.Now()}); err != nil {
				return err
			}
		}
		return q.Queue.SubmitTx(ctx, tx, r.ID, summary(r), payload, time.Time{})
	})
	if err != nil {
		return fmt.Errorf("%w: submit %s: %w", db.ErrUnavailable, summary(r), err)
	}
	q.Queue.Nudge()
	return nil
}

// Schedule queues r to run at at: a chain waiting for a soak time.
func (q Requests) Schedule(ctx context.Context, r promote.Request, at time.Time) error {
	payload, err := r.Encode()
	if err != nil {
		return err
	}
	return q.Queue.Submit(ctx, r.ID, summary(r), payload, at)
}

// Outcome is how request id ended, or that it is still queued.
func (q Requests) Outcome(ctx context.Context, id string) (store.Request, bool, error) {
	return q.Store.RequestByID(ctx, id)
}

func summary(r promote.Request) string {
	switch r.Kind {
	case promote.Chain:
		return fmt.Sprintf("%s %s from %s (%s)", r.Kind, r.App, r.From, r.Source)
	case promote.Push:
		if r.Group != "" {
			return fmt.Sprintf("%s of group %s (%s)", r.Kind, r.App, r.Source)
		}
		return fmt.Sprintf("%s %s:%s (%s)", r.Kind, r.App, r.Tag, r.Source)
	}
	return fmt.Sprintf("%s %s to %s (%s)", r.Kind, r.App, r.Stage, r.Source)
}
