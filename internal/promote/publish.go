package promote

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// livingPR is the open PR of a branch, as the keep decision sees it.
type livingPR struct{ pr *githubapp.PullRequest }

// publish is what every proposal does on GitHub: point the app and
// stage's one branch at the head commit makes and make its one PR say so.
// It opens and labels a PR when there is none, keeps an open PR as it is
// when keep says so (without a commit), and otherwise moves the branch and
// updates the PR.
//
// The engine remembers which branches it left with an open PR (and learns
// them when it starts, LearnOpenPRs), so that opening costs one ref
// creation and updating one ref move, without first asking GitHub; what it
// remembers is only a guess, and GitHub's answer corrects it.
//
// body is asked for only when a PR is opened or updated: a proposal that
// merges reads the required checks its body names beside the commit.
//
// A PR opened is labelled beside what the caller does next: labelled waits
// for that (nil when there is nothing to wait for).
func (e *Engine) publish(ctx context.Context, branch string, commit func(context.Context) (string, error), labels []string, title string, bodyOf func(context.Context) (string, error), keep func(*livingPR) bool) (pr *githubapp.PullRequest, res Result, labelled func(context.Context) error, err error) {
	known, open := e.prs.get(branch)
	if known && open != nil {
		if keep(&livingPR{open}) {
			return open, Unchanged, nil, nil
		}
		head, err := commit(ctx)
		if err != nil {
			return nil, "", nil, err
		}
		body, err := bodyOf(ctx)
		if err != nil {
			return nil, "", nil, err
		}
		err = e.gh.MoveBranch(ctx, branch, head)
		switch {
		case errors.Is(err, githubapp.ErrNotFound):
			e.prs.forget(branch) // the branch went away behind our back
		case err != nil:
			return nil, "", nil, fmt.Errorf("move branch %s: %w", branch, err)
		default:
			return e.update(ctx, branch, open, head, labels, title, body)
		}
	}
	head, err := commit(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	body, err := bodyOf(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	created, err := e.gh.CreateBranch(ctx, branch, head)
	if err != nil {
		return nil, "", nil, fmt.Errorf("create branch %s: %w", branch, err)
	}
	if !created {
		if open, err = e.gh.FindOpenPR(ctx, branch, e.base); err != nil {
			return nil, "", nil, fmt.Errorf("find the open PR of %s: %w", branch, err)
		}
		if open != nil && keep(&livingPR{open}) {
			e.prs.set(branch, open)
			return open, Unchanged, nil, nil
		}
		if err := e.gh.MoveBranch(ctx, branch, head); err != nil {
			return nil, "", nil, fmt.Errorf("move branch %s: %w", branch, err)
		}
		if open != nil {
			return e.update(ctx, branch, open, head, labels, title, body)
		}
	}
	pr, err = e.gh.OpenPR(ctx, branch, e.base, title, body)
	if errors.Is(err, githubapp.ErrConflict) {
		// GitHub has one open already: ours, from a try whose answer was
		// lost, or one a person opened from the branch.
		if open, ferr := e.gh.FindOpenPR(ctx, branch, e.base); ferr == nil && open != nil {
			if err := e.gh.AddLabels(ctx, open.Number, labels...); err != nil {
				return nil, "", nil, fmt.Errorf("label PR #%d: %w", open.Number, err)
			}
			return e.update(ctx, branch, open, head, labels, title, body)
		}
	}
	if err != nil {
		e.prs.forget(branch)
		return nil, "", nil, fmt.Errorf("open PR for %s: %w", branch, err)
	}
	pr.HeadSHA, pr.Body, pr.Title = head, body, title
	e.prs.set(branch, pr)
	return pr, Opened, e.label(ctx, pr.Number, labels), nil
}

// label labels a PR just opened beside what follows (the merge): nothing
// reads the labels, they are for people, so they cost no round trip on
// the way to the merge. Wait for the answer before returning.
func (e *Engine) label(ctx context.Context, number int, labels []string) func(context.Context) error {
	wait := aside(ctx, func(ctx context.Context) (struct{}, error) {
		if err := e.gh.AddLabels(ctx, number, labels...); err != nil {
			return struct{}{}, fmt.Errorf("label PR #%d: %w", number, err)
		}
		return struct{}{}, nil
	})
	return func(ctx context.Context) error {
		_, err := wait(ctx)
		return err
	}
}

func (e *Engine) update(ctx context.Context, branch string, open *githubapp.PullRequest, head string, labels []string, title, body string) (*githubapp.PullRequest, Result, func(context.Context) error, error) {
	err := e.gh.UpdatePR(ctx, open.Number, title, body)
	if errors.Is(err, githubapp.ErrClosed) {
		// Merged or closed by a person a moment ago: the branch now points
		// at head, so a new PR from it proposes head.
		e.prs.set(branch, nil)
		pr, oerr := e.gh.OpenPR(ctx, branch, e.base, title, body)
		if oerr != nil {
			e.prs.forget(branch)
			return nil, "", nil, fmt.Errorf("open PR for %s: %w", branch, oerr)
		}
		pr.HeadSHA, pr.Body, pr.Title = head, body, title
		e.prs.set(branch, pr)
		return pr, Opened, e.label(ctx, pr.Number, labels), nil
	}
	if err != nil {
		e.prs.forget(branch)
		return nil, "", nil, fmt.Errorf("update PR #%d: %w", open.Number, err)
	}
	pr := *open
	pr.Title, pr.Body, pr.HeadSHA = title, body, head
	e.prs.set(branch, &pr)
	return &pr, Updated, nil, nil
}

// openPR is the open PR of app in stage, asked of GitHub.
func (e *Engine) openPR(ctx context.Context, app, stage string) (*githubapp.PullRequest, error) {
	branch := Branch(app, stage)
	pr, err := e.gh.FindOpenPR(ctx, branch, e.base)
	if err != nil {
		return nil, fmt.Errorf("find the open PR of %s: %w", branch, err)
	}
	e.prs.set(branch, pr)
	return pr, nil
}

// livingPR is the open PR of branch: the one this process knows of, or,
// when it knows none, GitHub's answer.
func (e *Engine) livingPR(ctx context.Context, branch string) (*githubapp.PullRequest, error) {
	if known, pr := e.prs.get(branch); known {
		return pr, nil
	}
	pr, err := e.gh.FindOpenPR(ctx, branch, e.base)
	if err != nil {
		return nil, fmt.Errorf("find the open PR of %s: %w", branch, err)
	}
	e.prs.set(branch, pr)
	return pr, nil
}

// closeStale closes the open PR of a stage that already runs what the PR
// proposes, saying why, and removes its branch.
func (e *Engine) closeStale(ctx context.Context, branch, stage string, current manifest.Pinned) error {
	pr, err := e.livingPR(ctx, branch)
	if err != nil || !isStale(pr, current) {
		return err
	}
	return e.closePR(ctx, branch, pr, staleComment(stage, current))
}

// closePR closes an open PR that has nothing left to do, saying why, and
// removes its branch.
func (e *Engine) closePR(ctx context.Context, branch string, pr *githubapp.PullRequest, why string) error {
	if err := e.gh.Comment(ctx, pr.Number, why); err != nil {
		return fmt.Errorf("comment on stale PR #%d: %w", pr.Number, err)
	}
	if err := e.gh.ClosePR(ctx, pr.Number); err != nil {
		return fmt.Errorf("close stale PR #%d: %w", pr.Number, err)
	}
	e.log.Info("closed stale PR", "pr", pr.Number, "branch", branch)
	if err := e.gh.DeleteBranch(ctx, branch); err != nil {
		e.prs.forget(branch)
		return err
	}
	e.prs.deleted(branch)
	return nil
}

// Closed is told that a stagehand PR was closed, merged or not: its branch
// is deleted, here and only here, so that a merge by stagehand and one by
// a person end the same way.
func (e *Engine) Closed(ctx context.Context, branch string) error {
	if e.prs.gone(branch) {
		return nil // deleted already, by this process
	}
	if err := e.gh.DeleteBranch(ctx, branch); err != nil {
		e.prs.forget(branch)
		return err
	}
	e.prs.deleted(branch)
	return nil
}

// LearnOpenPRs asks GitHub once for the open stagehand PRs, as a process
// starts, so that the first request after a restart updates a PR as a
// running process does (moving its branch and editing it) rather than
// first trying to create the branch and then looking the PR up. What it
// learns is a guess like everything the engine remembers, and GitHub's
// answers correct it; a failure here costs only those calls later.
func (e *Engine) LearnOpenPRs(ctx context.Context) error {
	prs, err := e.gh.OpenPRs(ctx, e.base)
	if err != nil {
		return err
	}
	for i := range prs {
		if _, _, ok := ParseBranch(prs[i].Head); ok {
			e.prs.learn(prs[i].Head, &prs[i])
		}
	}
	return nil
}

// livingPRs remembers, per branch, the open PR stagehand last saw there,
// or that it deleted the branch itself.
type livingPRs struct {
	mu sync.Mutex
	m  map[string]living
}

type living struct {
	pr   *githubapp.PullRequest // the open PR; nil for none
	gone bool                   // stagehand deleted the branch
}

// get says what is known of branch: its open PR, or that there is none
// (known, nil); gone says stagehand deleted the branch.
func (l *livingPRs) get(branch string) (known bool, pr *githubapp.PullRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, known := l.m[branch]
	if v.pr != nil {
		cp := *v.pr
		return true, &cp
	}
	return known, nil
}

func (l *livingPRs) gone(branch string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[branch].gone
}

func (l *livingPRs) set(branch string, pr *githubapp.PullRequest) {
	l.put(branch, living{pr: pr})
}

// learn sets what is not known already: what this process saw itself is
// newer than a listing.
func (l *livingPRs) learn(branch string, pr *githubapp.PullRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, known := l.m[branch]; known {
		return
	}
	if l.m == nil {
		l.m = map[string]living{}
	}
	cp := *pr
	l.m[branch] = living{pr: &cp}
}

func (l *livingPRs) deleted(branch string) { l.put(branch, living{gone: true}) }

func (l *livingPRs) put(branch string, v living) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]living{}
	}
	if v.pr != nil {
		cp := *v.pr
		v.pr = &cp
	}
	l.m[branch] = v
}

func (l *livingPRs) moved(branch, head string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v := l.m[branch]; v.pr != nil {
		v.pr.HeadSHA = head
	}
}

func (l *livingPRs) forget(branch string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, branch)
}
