package main

import (
	"context"
	"time"

	"github.com/stagehand-dev/stagehand/internal/promote"
)

// clockKey carries the clock serve decides by. Only this package can set
// it (a test of serve through run, to stand in a freeze window's hour);
// the command line has no way to, so the product always runs on time.Now.
type clockKey struct{}

// withClock returns ctx with now as serve's clock.
func withClock(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, clockKey{}, now)
}

// clockOf is serve's clock: time.Now unless ctx carries another, and the
// scheduler to use with it: sched itself on time.Now, so that the product
// schedules exactly as it always has.
func clockOf(ctx context.Context, sched promote.Scheduler) (func() time.Time, promote.Scheduler) {
	if now, ok := ctx.Value(clockKey{}).(func() time.Time); ok && now != nil {
		return now, onClock{sched, now}
	}
	return time.Now, sched
}

// onClock schedules by the engine's clock: a request the engine wants
// again at its time `at` is queued for as long from now as `at` is from
// the engine's now. With time.Now it changes nothing.
type onClock struct {
	promote.Scheduler
	now func() time.Time
}

func (s onClock) Schedule(ctx context.Context, r promote.Request, at time.Time) error {
	if !at.IsZero() {
		at = time.Now().Add(at.Sub(s.now()))
	}
	return s.Scheduler.Schedule(ctx, r, at)
}
