package promote

import (
	"context"
	"fmt"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// Chain moves an app on after its PR for stage `from` was merged: the next
// stage gets exactly what `from` now pins on the base branch (which may
// differ from the PR if a person edited it before merging). An auto-merge or
// pull-request stage gets its PR; a manual stage gets nothing, and the
// outcome says how to promote it (Result Manual).
func (e *Engine) Chain(ctx context.Context, appName, from string) (Outcome, error) {
	return e.ChainIf(ctx, appName, from, nil)
}

// ChainIf is Chain with a gate (the next stage's soak time) decided on the
// same snapshot.
func (e *Engine) ChainIf(ctx context.Context, appName, from string, allow Allow) (Outcome, error) {
	snap, err := e.snapshot(ctx)
	if err != nil {
		return Outcome{}, err
	}
	next, ok := snap.cfg.Next(from)
	if !ok {
		return Outcome{App: appName, Stage: from, Result: Ignored, Reason: from + " is the last stage"}, nil
	}
	if o, stop, err := e.rolledBack(ctx, appName, from, next.Name); stop {
		return o, err
	}
	if next.Mode == config.Manual {
		return Outcome{App: appName, Stage: next.Name, Result: Manual,
			Reason: fmt.Sprintf("%s is a manual stage: nothing moves until someone promotes %s there, with a comment `/promote %s to %s` or `stagehand promote --app %s --to %s`", next.Name, appName, appName, next.Name, appName, next.Name)}, nil
	}
	return e.promoteIn(ctx, snap, appName, next.Name, allow)
}
