package work

import (
	"context"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// Scheduler runs a chain later: when a soak time ends.
type Scheduler interface {
	ScheduleChain(ctx context.Context, app, from string, at time.Time) error
}

// Chain moves app on from stage `from`. When the next stage's soak time has
// not passed, nothing moves now and the chain is scheduled for when it has.
func (h *Handler) Chain(ctx context.Context, app, from string) error {
	_, err := h.chain(ctx, app, from)
	return classify(err)
}

func (h *Handler) chain(ctx context.Context, app, from string) (promote.Outcome, error) {
	var wait time.Duration
	soak := func(ctx context.Context, fromSt, to config.Stage, want promote.Want) (string, error) {
		refusal, err := h.soaked(app)(ctx, fromSt, to, want)
		if refusal != "" {
			if d, ok, _ := h.opts.Store.LastDone(ctx, app, fromSt.Name); ok && d.Digest == want.Digest {
				wait = gate.Soaked(fromSt.Name, to.Name, to.Soak, d.At, time.Now()).Wait
			}
		}
		return refusal, err
	}
	o, err := h.opts.Engine.ChainIf(ctx, app, from, soak)
	h.report(h.log.With("chain_from", from), o)
	if err != nil || wait <= 0 || h.opts.Scheduler == nil {
		return o, err
	}
	at := time.Now().Add(wait)
	h.log.Info("promotion waits for the soak time", "app", app, "stage", o.Stage, "at", at)
	return o, h.opts.Scheduler.ScheduleChain(ctx, app, from, at)
}
