package promote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
)

// merge merges an auto-merge PR if the base branch's required checks pass on
// its head, pinning that head so that nothing pushed since gets merged
// unseen. Otherwise the PR stays open with the reason in the outcome, for a
// later check event to retry. When GitHub finds the PR unmergeable and
// rebuild is set, the branch is rebuilt on the current base once and
// evaluated again (its checks start over).
func (e *Engine) merge(ctx context.Context, out Outcome, pr *githubapp.PullRequest, required []string, rebuild func(context.Context) (string, error), log *slog.Logger) (Outcome, error) {
	var checks []githubapp.Check
	if len(required) > 0 {
		var err error
		if checks, err = e.gh.Checks(ctx, pr.HeadSHA); err != nil {
			return out, fmt.Errorf("read checks of PR #%d: %w", pr.Number, err)
		}
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
		return e.merge(ctx, out, pr, required, nil, log)
	case errors.Is(err, githubapp.ErrNotMergeable):
		out.Reason = fmt.Sprintf("GitHub refused the merge (%v); if %s changed the same lines since this PR was built, the next push or promotion rebuilds it on the new %s", err, e.base, e.base)
		return out, e.gh.Comment(ctx, pr.Number, "stagehand could not merge this PR: "+out.Reason+".")
	case err != nil:
		return out, fmt.Errorf("merge PR #%d: %w", pr.Number, err)
	}
	out.Result, out.MergeSHA, out.Reason = Merged, sha, ""
	log.Info("merged", "pr", pr.Number, "merge_sha", sha)
	// The branch goes when GitHub says the PR closed (Closed), as it does
	// for a person's merge: one place, one delete.
	e.prs.forget(Branch(out.App, out.Stage))
	return out, nil
}
