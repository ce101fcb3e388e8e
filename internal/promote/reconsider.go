package promote

import (
	"context"
	"fmt"
	"sort"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// Reconsider brings the open PR of app in stage up to date with the base
// branch and merges it if its stage auto-merges and its checks now pass. A
// check, status or review event calls it for the stagehand branch it names;
// it is what retries an auto-merge that waited. A branch with no open
// stagehand PR is left alone.
func (e *Engine) Reconsider(ctx context.Context, appName, stageName string) (Outcome, error) {
	out := Outcome{App: appName, Stage: stageName}
	pr, err := e.gh.FindOpenPR(ctx, Branch(appName, stageName), e.base)
	if err != nil {
		return failed(out, fmt.Errorf("find the open PR of %s: %w", Branch(appName, stageName), err))
	}
	if pr == nil {
		out.Result, out.Reason = Ignored, "no open stagehand PR for "+appName+" in "+stageName
		return out, nil
	}
	m, ok, err := ParseMarker(pr.Body)
	if err != nil || !ok || m.App != appName || m.Stage != stageName {
		out.Result, out.Reason = Ignored, fmt.Sprintf("PR #%d on %s carries no stagehand marker for %s/%s", pr.Number, pr.Head, appName, stageName)
		return out, nil
	}
	if m.Rollback {
		out.Result, out.Reason = Ignored, fmt.Sprintf("PR #%d is a rollback, which a person merges", pr.Number)
		return out, nil
	}
	snap, err := e.snapshot(ctx)
	if err != nil {
		return out, err
	}
	app, okApp := snap.cfg.App(appName)
	stage, okStage := snap.cfg.Stage(stageName)
	if !okApp || !okStage {
		out.Result, out.Reason = Refused, fmt.Sprintf("%s no longer has app %s in stage %s; close PR #%d by hand", config.FileName, appName, stageName, pr.Number)
		return out, nil
	}
	target, err := e.readStage(ctx, snap, app, stageName)
	if err != nil {
		var errs []error
		out.Result, out.Reason = refusedOrFailed(err, &errs)
		if len(errs) > 0 {
			return out, errs[0]
		}
		return out, nil
	}
	return e.propose(ctx, snap, app, stage, target, Want{Image: m.Image, Tag: m.Tag, Digest: m.Digest, From: m.From})
}

// TagLister lists an image's tags in the registry, for Reconcile.
type TagLister interface {
	Tags(ctx context.Context, image string) ([]string, error)
}

// Reconcile heals pushes whose webhook never arrived: for every app with a
// semver policy it finds the newest accepted tag in the registry and
// handles it as a push (a no-op when the first stage has it). Pattern
// policies have no order, so there is no "newest" to find; they are skipped.
func (e *Engine) Reconcile(ctx context.Context, tags TagLister) ([]Outcome, error) {
	snap, err := e.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	type push struct{ image, tag string }
	var pushes []push
	seen := map[push]bool{}
	for _, app := range snap.cfg.Apps {
		if !app.Tags.Ordered() {
			continue
		}
		all, err := tags.Tags(ctx, app.Image)
		if err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", app.Image, err)
		}
		best := ""
		for _, t := range all {
			if app.Tags.Accepts(t) && (best == "" || app.Tags.Older(best, t)) {
				best = t
			}
		}
		if p := (push{app.Image, best}); best != "" && !seen[p] {
			seen[p] = true
			pushes = append(pushes, p)
		}
	}
	sort.Slice(pushes, func(i, j int) bool { return pushes[i].image+" "+pushes[i].tag < pushes[j].image+" "+pushes[j].tag })
	var outs []Outcome
	for _, p := range pushes {
		o, err := e.ImagePushed(ctx, p.image, p.tag)
		outs = append(outs, o...)
		if err != nil {
			return outs, err
		}
	}
	return outs, nil
}
