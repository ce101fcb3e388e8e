package promote

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// propose brings the living PR of app in stage to want: no PR when the
// stage runs it already (closing a stale one), else one commit on the
// current base head, on the one branch the app and stage have, with at most
// one PR, merged at once where the stage auto-merges and checks allow.
func (e *Engine) propose(ctx context.Context, snap snapshot, app config.App, stage config.Stage, target stageFile, want Want) (Outcome, error) {
	out := Outcome{App: app.Name, Stage: stage.Name, Path: target.path, From: target.pinned, To: want, Before: target.data}
	branch := Branch(app.Name, stage.Name)
	log := e.log.With("app", app.Name, "stage", stage.Name, "digest", want.Digest)

	if decideTarget(target.pinned, want) == alreadyThere {
		out.Result = AlreadyThere
		out.Reason = fmt.Sprintf("%s already runs %s@%s", stage.Name, target.pinned.Tag, short(want.Digest))
		if e.dryRun {
			return out, nil
		}
		return out, e.closeStale(ctx, branch, stage.Name, target.pinned, log)
	}

	if e.holds != nil {
		h, held, err := e.holds.HoldOn(ctx, app.Name, stage.Name)
		if err != nil {
			return failed(out, fmt.Errorf("read holds: %w", err))
		}
		if held {
			if v := gate.NotHeld(app.Name, stage.Name, &h); !v.OK {
				out.Result, out.Reason = Refused, v.Reason
				return out, nil
			}
		}
	}

	rw, err := manifest.Rewrite(target.path, target.data, manifest.Image{Name: app.Image, Tag: want.Tag, Digest: want.Digest})
	if err != nil {
		out.Result, out.Reason = Refused, fmt.Sprintf("cannot set %s's image in %s: %v", app.Name, target.path, err)
		return out, nil
	}
	out.After, out.Reformatted = rw.Out, rw.Reformatted
	if e.dryRun {
		out.Result = Planned
		return out, nil
	}

	p := proposal{app: app, stage: stage, base: e.base, path: target.path, from: target.pinned, want: want, reformat: rw.Reformatted}
	if next, ok := snap.cfg.Next(stage.Name); ok {
		p.next = &next
	}
	p.link = p.nextLink(e.links, e.signIn)
	if stage.Mode == config.AutoMerge {
		// Read before the PR is written so that its body can name them; a
		// failure here means no merge, so it is an error, not "none".
		if p.required, err = e.gh.RequiredChecks(ctx, e.base); err != nil {
			return failed(out, fmt.Errorf("read required checks of %s: %w", e.base, err))
		}
	}

	head, err := e.gh.CreateCommit(ctx, snap.base, p.commitMessage(), map[string][]byte{target.path: rw.Out})
	if err != nil {
		return failed(out, fmt.Errorf("commit %s: %w", target.path, err))
	}
	pr, res, err := e.publish(ctx, branch, head, app, want, p)
	if err != nil {
		return failed(out, err)
	}
	out.Result, out.PR, out.PRURL, out.HeadSHA = res, pr.Number, pr.URL, pr.HeadSHA
	log.Info("proposed", "result", res, "pr", pr.Number, "tag", want.Tag)

	if stage.Mode != config.AutoMerge {
		return out, nil
	}
	var rebuild func(context.Context) (string, error)
	if res == Unchanged {
		// The open PR may have been built on an older main that has since
		// changed the same lines; head is the same change on today's main.
		rebuild = func(ctx context.Context) (string, error) {
			if err := e.gh.MoveBranch(ctx, branch, head); err != nil {
				return "", fmt.Errorf("rebuild branch %s on %s: %w", branch, e.base, err)
			}
			return head, nil
		}
	}
	return e.merge(ctx, out, pr, p.required, rebuild, log)
}

// publish points the branch at head and makes its PR say so. A branch that
// did not exist has no open PR, which saves looking for one.
func (e *Engine) publish(ctx context.Context, branch, head string, app config.App, want Want, p proposal) (*githubapp.PullRequest, Result, error) {
	keep := func(pr *githubapp.PullRequest) bool {
		step, _ := decideExisting(pr, app, want)
		return step == keepOpen
	}
	return e.publishPR(ctx, branch, head, Labels(app.Name, p.stage.Name), p.title(), p.body(), keep)
}

// publishPR is what every proposal does on GitHub: create the branch at
// head, or, when it exists, keep its open PR as it is (keep) or move the
// branch and update the PR; open and label a PR when there is none.
func (e *Engine) publishPR(ctx context.Context, branch, head string, labels []string, title, body string, keep func(*githubapp.PullRequest) bool) (*githubapp.PullRequest, Result, error) {
	created, err := e.gh.CreateBranch(ctx, branch, head)
	if err != nil {
		return nil, "", fmt.Errorf("create branch %s: %w", branch, err)
	}
	var existing *githubapp.PullRequest
	if !created {
		if existing, err = e.gh.FindOpenPR(ctx, branch, e.base); err != nil {
			return nil, "", fmt.Errorf("find the open PR of %s: %w", branch, err)
		}
		if existing != nil && keep(existing) {
			return existing, Unchanged, nil
		}
		if err := e.gh.MoveBranch(ctx, branch, head); err != nil {
			return nil, "", fmt.Errorf("move branch %s: %w", branch, err)
		}
	}
	if existing != nil {
		if err := e.gh.UpdatePR(ctx, existing.Number, title, body); err != nil {
			return nil, "", fmt.Errorf("update PR #%d: %w", existing.Number, err)
		}
		existing.Title, existing.Body, existing.HeadSHA = title, body, head
		return existing, Updated, nil
	}
	pr, err := e.gh.OpenPR(ctx, branch, e.base, title, body)
	if err != nil {
		return nil, "", fmt.Errorf("open PR for %s: %w", branch, err)
	}
	if err := e.gh.AddLabels(ctx, pr.Number, labels...); err != nil {
		return nil, "", fmt.Errorf("label PR #%d: %w", pr.Number, err)
	}
	pr.HeadSHA = head
	return pr, Opened, nil
}

// closeStale closes the open PR of a stage that already runs what the PR
// proposes, saying why, and removes its branch.
func (e *Engine) closeStale(ctx context.Context, branch, stage string, current manifest.Pinned, log *slog.Logger) error {
	pr, err := e.gh.FindOpenPR(ctx, branch, e.base)
	if err != nil {
		return fmt.Errorf("find the open PR of %s: %w", branch, err)
	}
	if !isStale(pr, current) {
		return nil
	}
	if err := e.gh.Comment(ctx, pr.Number, staleComment(stage, current)); err != nil {
		return fmt.Errorf("comment on stale PR #%d: %w", pr.Number, err)
	}
	if err := e.gh.ClosePR(ctx, pr.Number); err != nil {
		return fmt.Errorf("close stale PR #%d: %w", pr.Number, err)
	}
	log.Info("closed stale PR", "pr", pr.Number)
	return e.gh.DeleteBranch(ctx, branch)
}

func failed(out Outcome, err error) (Outcome, error) {
	out.Result, out.Reason = Refused, err.Error()
	return out, err
}
