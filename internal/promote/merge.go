package promote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// merge merges an auto-merge PR if the base branch's required checks pass on
// its head, pinning that head so that nothing pushed since gets merged
// unseen. Otherwise the PR stays open with the reason in the outcome, for a
// later check event to retry. When GitHub finds the PR unmergeable and
// rebuild is set, the branch is rebuilt on the current base once and
// evaluated again (its checks start over).
//
// early, when not nil, are checks read already, used if they are the
// checks of the PR's head.
func (e *Engine) merge(ctx context.Context, out Outcome, pr *githubapp.PullRequest, required []string, rebuild func(context.Context) (string, error), early func(context.Context) (checksAt, error), log *slog.Logger) (Outcome, error) {
	var checks []githubapp.Check
	if len(required) > 0 {
		if early == nil {
			early = e.checksAside(ctx, pr.HeadSHA)
		}
		read, err := early(ctx)
		if err == nil && read.sha != pr.HeadSHA {
			read, err = e.checksAside(ctx, pr.HeadSHA)(ctx)
		}
		if err != nil {
			return out, fmt.Errorf("read checks of PR #%d: %w", pr.Number, err)
		}
		checks = read.checks
	}
	step, reason := decideMerge(e.base, required, checks)
	switch step {
	case waitCheck:
		out.Reason = reason
		return out, nil
	case blocked:
		out.Reason = reason
		return out, e.gh.Comment(ctx, pr.Number, "stagehand did not merge this PR: "+reason+".")
	}

	sha, err := e.gh.Merge(ctx, pr.Number, pr.HeadSHA, fmt.Sprintf("%s (#%d)", pr.Title, pr.Number))
	if errors.Is(err, githubapp.ErrNotMergeable) {
		// A merge whose answer was lost and is tried again meets a PR that
		// is merged already; that is a merge, not a refusal.
		if cur, gerr := e.gh.GetPR(ctx, pr.Number); gerr == nil && cur.Merged && cur.HeadSHA == pr.HeadSHA {
			sha, err = cur.MergeSHA, nil
		}
	}
	switch {
	case errors.Is(err, githubapp.ErrHeadMoved):
		out.Reason = "the PR's head changed while stagehand was merging it; it was not merged, and the next event re-evaluates it"
		return out, nil
	case errors.Is(err, githubapp.ErrNotMergeable) && rebuild != nil:
		head, err := rebuild(ctx)
		if err != nil {
			return out, err
		}
		log.Info("rebuilt on the current base after GitHub refused the merge", "pr", pr.Number)
		pr.HeadSHA = head
		out.Result, out.HeadSHA = Updated, head
		return e.merge(ctx, out, pr, required, nil, nil, log)
	case errors.Is(err, githubapp.ErrNotMergeable):
		out.Reason = fmt.Sprintf("GitHub refused the merge (%v); if %s changed the same lines since this PR was built, the next push or promotion rebuilds it on the new %s", err, e.base, e.base)
		return out, e.gh.Comment(ctx, pr.Number, "stagehand could not merge this PR: "+out.Reason+".")
	case err != nil:
		return out, fmt.Errorf("merge PR #%d: %w", pr.Number, err)
	}
	out.Result, out.MergeSHA, out.Reason = Merged, sha, ""
	log.Info("merged", "pr", pr.Number, "merge_sha", sha)
	if out.Group != "" {
		return out, e.MergedGroup(ctx, out.Group, e.groupMerges(out, pr.Number, sha))
	}
	return out, e.Merged(ctx, store.Merge{App: out.App, Stage: out.Stage, Image: out.To.Image, Tag: out.To.Tag, Digest: out.To.Digest,
		PR: pr.Number, MergeSHA: sha, MergedBy: store.MergedByStagehand, At: e.now(), PushedAt: out.To.PushedAt})
}

// Merged is what follows a stagehand PR's merge, whoever merged it: the
// stage's new state is recorded, the branch removed, and the image moved on
// to the next stage (a chain, through the queue). stagehand does it at once
// for the merges it makes, and again when GitHub tells of the merge, so
// that a lost delivery loses nothing; the second time finds it done (the
// record exists, the branch is gone, the chain request is the same one).
func (e *Engine) Merged(ctx context.Context, m store.Merge) error {
	added, err := e.records.RecordMerge(ctx, m)
	if err != nil {
		return err
	}
	if added {
		e.announce(ctx, mergedEvent(m))
	}
	return e.afterMerge(ctx, m.App, []store.Merge{m})
}

// afterMerge makes the deployment, removes the branch and asks for the
// chain, side by side: none needs another's answer, and the chain's
// reads need not wait for the deployment's two writes. Where the stage
// has a health gate, its verdict moves name on once it is green instead
// (the chain's health rule, for a group every app's).
func (e *Engine) afterMerge(ctx context.Context, name string, ms []store.Merge) error {
	stage, err := e.mergedInto(ctx, ms)
	if err != nil {
		return err
	}
	closed := aside(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, e.Closed(ctx, Branch(name, ms[0].Stage))
	})
	var chained error
	if len(stage.Verify) == 0 && e.sched != nil {
		chained = e.sched.Schedule(ctx, ChainAfter(name, ms[0].Stage, ms[0].PR), time.Time{})
	}
	deployed := e.deployed(ctx, ms, stage)
	_, cerr := closed(ctx)
	return errors.Join(chained, deployed, cerr)
}

// MergedGroup is Merged for a group's PR: ms are its apps' new states,
// one each; the group's branch goes, and the group moves on together.
func (e *Engine) MergedGroup(ctx context.Context, group string, ms []store.Merge) error {
	if len(ms) == 0 {
		return fmt.Errorf("promote: the merge of group %s's PR names no app", group)
	}
	for i := range ms {
		ms[i].Group = group
		added, err := e.records.RecordMerge(ctx, ms[i])
		if err != nil {
			return err
		}
		if added {
			e.announce(ctx, mergedEvent(ms[i]))
		}
	}
	return e.afterMerge(ctx, group, ms)
}

// ChainAfter is the request that moves app (or group) on from stage after
// its PR pr was merged; its id makes the request from stagehand's own
// merge and the one from GitHub's news of it the same request, done once.
func ChainAfter(app, stage string, pr int) Request {
	return Request{ID: fmt.Sprintf("merged/%s/%s/%d", app, stage, pr), Kind: Chain, Source: FromMerge, App: app, From: stage, Issue: pr}
}
