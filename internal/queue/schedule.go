package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// ScheduleChain asks for Handler.Chain(app, from) at time at: a promotion
// that waits for a soak time to end. It survives restarts like any job.
func (q *Queue) ScheduleChain(ctx context.Context, app, from string, at time.Time) error {
	at = at.UTC().Truncate(time.Second)
	err := q.store.inTx(ctx, func(tx dbTx) error {
		_, err := q.client.insertTx(ctx, tx, []river.InsertManyParams{{Args: chainArgs{App: app, From: from, At: at}, InsertOpts: &river.InsertOpts{ScheduledAt: at}}})
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: schedule %s after %s at %s: %v", ErrUnavailable, app, from, at.Format(time.RFC3339), err)
	}
	return nil
}
