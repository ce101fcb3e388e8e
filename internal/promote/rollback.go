package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// RollbackDepth bounds the history a rollback reads: one listing of the
// commits that changed the stage's file, and at most this many file reads.
const RollbackDepth = 30

// Rollback opens a PR that restores an earlier image in one stage of an app,
// taken from the git history of the stage's kustomization: by default the
// newest digest the stage ran other than the current one; otherwise the
// newest pin with the target digest or tag, or the pin a target commit
// made. No other stage changes.
//
// A rollback is a person's explicit act, so the PR is never merged by
// stagehand, whatever the stage's mode, and holds do not refuse it: the
// caller holds the stage (before calling, so that no promotion slips in
// meanwhile) and a hold must not stop the rollback it protects. The PR's
// body says whether the stage is held and how to release it.
func (e *Engine) Rollback(ctx context.Context, appName, stageName, target string) (Outcome, error) {
	out := Outcome{App: appName, Stage: stageName}
	snap, err := e.snapshot(ctx)
	if err != nil {
		return out, err
	}
	app, stage, v := decideRollbackStage(snap.cfg, appName, stageName)
	if !v.ok {
		out.Result, out.Reason = Refused, v.reason
		return out, nil
	}
	out.Path = app.Path(stage.Name)
	var errs []error
	cur, err := e.readStage(ctx, snap, app, stage.Name)
	if err != nil {
		out.Result, out.Reason = refusedOrFailed(err, &errs)
		return out, errors.Join(errs...)
	}
	out.From, out.Before = cur.pinned, cur.data

	point, v, err := e.restorePoint(ctx, snap, app, stage.Name, cur.pinned, target)
	if err != nil {
		return failed(out, err)
	}
	if !v.ok {
		out.Result, out.Reason = Refused, v.reason
		return out, nil
	}
	want := Want{Image: app.Image, Tag: point.Pin.Tag, Digest: point.Pin.Digest}
	out.To = want
	if decideTarget(cur.pinned, want) == alreadyThere {
		out.Result = AlreadyThere
		out.Reason = fmt.Sprintf("%s already runs %s@%s, which commit %s pinned; nothing to roll back", stage.Name, cur.pinned.Tag, short(want.Digest), shortSHA(point.Commit.SHA))
		return out, nil
	}
	rw, err := manifest.Rewrite(cur.path, cur.data, manifest.Image{Name: app.Image, Tag: want.Tag, Digest: want.Digest})
	if err != nil {
		out.Result, out.Reason = Refused, fmt.Sprintf("cannot set %s's image in %s: %v", app.Name, cur.path, err)
		return out, nil
	}
	out.After, out.Reformatted = rw.Out, rw.Reformatted
	out.Reason = fmt.Sprintf("restores what commit %s pinned in %s", shortSHA(point.Commit.SHA), stage.Name)
	if e.dryRun {
		out.Result = Planned
		return out, nil
	}

	r := rollback{app: app, stage: stage, base: e.base, path: cur.path, from: cur.pinned, want: want, point: point, reformat: rw.Reformatted}
	if next, ok := snap.cfg.Next(stage.Name); ok {
		r.next = &next
	}
	if e.holds != nil {
		h, held, err := e.holds.HoldOn(ctx, app.Name, stage.Name)
		if err != nil {
			return failed(out, fmt.Errorf("read holds: %w", err))
		}
		if held {
			r.hold = &h
		}
	}
	head, err := e.gh.CreateCommit(ctx, snap.base, r.commitMessage(), map[string][]byte{cur.path: rw.Out})
	if err != nil {
		return failed(out, fmt.Errorf("commit %s: %w", cur.path, err))
	}
	pr, res, err := e.publishRollback(ctx, head, r)
	if err != nil {
		return failed(out, err)
	}
	out.Result, out.PR, out.PRURL, out.HeadSHA = res, pr.Number, pr.URL, pr.HeadSHA
	e.log.Info("rollback proposed", "app", app.Name, "stage", stage.Name, "digest", want.Digest, "result", res, "pr", pr.Number, "restores", point.Commit.SHA)
	return out, nil
}

// restorePoint walks the stage file's history, newest first, reading each
// commit's file at most once and only as far back as the decision needs.
func (e *Engine) restorePoint(ctx context.Context, snap snapshot, app config.App, stage string, current manifest.Pinned, target string) (restorePoint, verdict, error) {
	h := rollbackHistory{App: app.Name, Stage: stage, Image: app.Image, Path: app.Path(stage), Base: e.base, Limit: RollbackDepth}
	var err error
	if h.Commits, err = e.gh.PathCommits(ctx, h.Path, snap.base.SHA, h.Limit); err != nil {
		return restorePoint{}, verdict{}, fmt.Errorf("list the history of %s: %w", h.Path, err)
	}
	for {
		p, v, more := decideRestore(h, current, target)
		if !more {
			return p, v, nil
		}
		next, err := e.readPoint(ctx, h.Path, app.Image, h.Commits[len(h.Points)])
		if err != nil {
			return restorePoint{}, verdict{}, err
		}
		h.Points = append(h.Points, next)
	}
}

// readPoint reads what a stage file pinned at one commit. A file that is
// missing, broken or pins nothing there is a point with a Problem, not an
// error: history may hold such commits, and only choosing one is refused.
func (e *Engine) readPoint(ctx context.Context, path, image string, c githubapp.Commit) (restorePoint, error) {
	p := restorePoint{Commit: c}
	data, err := e.gh.ReadFile(ctx, path, c.SHA)
	switch {
	case errors.Is(err, githubapp.ErrNotFound):
		p.Problem = "the file did not exist"
		return p, nil
	case err != nil:
		return p, fmt.Errorf("read %s at %s: %w", path, shortSHA(c.SHA), err)
	}
	if p.Pin, err = manifest.Current(path, data, image); err != nil {
		p.Problem = fmt.Sprintf("the file could not be read (%v)", err)
	} else if !p.Pin.Found {
		p.Problem = "the file had no images: entry for " + image
	}
	return p, nil
}

// publishRollback points the app's one branch for the stage at head and
// makes its PR the rollback: a PR that already is this rollback is left as
// it is; any other open PR there (a pending promotion) becomes the
// rollback, since the stage cannot both move on and go back.
func (e *Engine) publishRollback(ctx context.Context, head string, r rollback) (*githubapp.PullRequest, Result, error) {
	keep := func(pr *githubapp.PullRequest) bool {
		m, ok, err := ParseMarker(pr.Body)
		return err == nil && ok && m.Rollback && m.Digest == r.want.Digest && m.Tag == r.want.Tag
	}
	return e.publishPR(ctx, Branch(r.app.Name, r.stage.Name), head, Labels(r.app.Name, r.stage.Name), r.title(), r.body(), keep)
}

// rolledBack stops the chain out of a stage that is held after a
// rollback: what it runs is an earlier image put back on purpose, not a
// new one to pass on, until someone releases the stage.
func (e *Engine) rolledBack(ctx context.Context, app, from, next string) (Outcome, bool, error) {
	out := Outcome{App: app, Stage: next}
	if e.holds == nil {
		return out, false, nil
	}
	h, held, err := e.holds.HoldOn(ctx, app, from)
	if err != nil {
		out.Result, out.Reason = Refused, err.Error()
		return out, true, fmt.Errorf("read holds: %w", err)
	}
	if !held || !h.Rollback {
		return out, false, nil
	}
	out.Result = Refused
	out.Reason = fmt.Sprintf("%s was rolled back and is held by @%s, so nothing moves on from it to %s until `/release %s %s`", from, h.By, next, app, from)
	return out, true, nil
}
