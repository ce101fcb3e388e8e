package work

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// rollback carries out `/rollback <app> <stage> [to <target>]` for a
// commenter already allowed to change the stage: the stage is held first,
// then the engine opens the PR that restores the earlier image, and the
// reply links it and says how to release the stage.
//
// The hold comes first so that no automatic promotion can take the stage's
// one living PR back between the rollback opening it and the hold; the
// engine never refuses a rollback for a hold. When nothing is proposed
// (a refusal, the stage runs it already, or a failure) the stage's hold is
// put back as it was, since the person was told of no rollback.
func (h *Handler) rollback(ctx context.Context, act queue.Action, target string) (string, error) {
	prev, wasHeld, err := h.opts.Store.HoldOn(ctx, act.App, act.Stage)
	if err != nil {
		return "", err
	}
	hold := queue.Hold{App: act.App, Stage: act.Stage, By: act.Actor, At: time.Now(), Rollback: true}
	if wasHeld {
		hold.Reason = prev.Reason // the reason someone held it still stands
	}
	if err := h.opts.Store.PlaceHold(ctx, hold); err != nil {
		return "", err
	}

	o, err := h.opts.Engine.Rollback(ctx, act.App, act.Stage, target)
	h.report(h.log.With("actor", act.Actor, "source", "comment", "rollback", true), o)
	act.FromTag, act.FromDigest, act.ToTag, act.ToDigest, act.Result, act.Reason = o.From.Tag, o.From.Digest, o.To.Tag, o.To.Digest, string(o.Result), o.Reason
	if err == nil && proposed(o.Result) {
		act.PR = o.PR
		msg := fmt.Sprintf("rollback of %s in %s to `%s` (`%s`): %s %s\n\n%s; %s is held; `/release %s %s` to let promotions move again. Merging the PR is left to a person.",
			act.App, act.Stage, o.To.Tag, o.To.Digest, o.Result, o.PRURL, o.Reason, act.App, act.App, act.Stage)
		return msg, h.record(ctx, act)
	}

	if rerr := h.restoreHold(ctx, act.App, act.Stage, prev, wasHeld); rerr != nil || err != nil {
		return "", errors.Join(err, rerr)
	}
	if o.Result == promote.AlreadyThere {
		return fmt.Sprintf("nothing to roll back: %s.", o.Reason), h.record(ctx, act)
	}
	return fmt.Sprintf("stagehand did not roll back %s in %s: %s.", act.App, act.Stage, o.Reason), h.record(ctx, act)
}

// proposed reports whether a rollback left an open PR that proposes it.
func proposed(r promote.Result) bool {
	switch r {
	case promote.Opened, promote.Updated, promote.Unchanged:
		return true
	}
	return false
}

// restoreHold puts a stage's hold back as it was before a rollback held it.
func (h *Handler) restoreHold(ctx context.Context, app, stage string, prev queue.Hold, wasHeld bool) error {
	if wasHeld {
		return h.opts.Store.PlaceHold(ctx, prev)
	}
	_, err := h.opts.Store.ReleaseHold(ctx, app, stage)
	return err
}
