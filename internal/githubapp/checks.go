package githubapp

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"golang.org/x/sync/errgroup"
)

// RequiredChecks lists the status checks branch protection requires on
// branch. A 404 (branch not protected, or no required checks) is none
// required; every other failure is an error, and the caller must not merge.
// Reading protection needs the App's "Administration: read" permission;
// without it GitHub answers 403. Checks required by repository rulesets are
// not listed here; GitHub still enforces them at merge (405).
func (c *Client) RequiredChecks(ctx context.Context, branch string) ([]string, error) {
	rsc, resp, err := c.gh.Repositories.GetRequiredStatusChecks(ctx, c.owner, c.name, branch)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, wrap(fmt.Sprintf("read required checks of %s", branch), err, nil)
	}
	var names []string
	add := func(name string) {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if rsc.Contexts != nil {
		for _, name := range *rsc.Contexts {
			add(name)
		}
	}
	if rsc.Checks != nil {
		for _, chk := range *rsc.Checks {
			add(chk.Context)
		}
	}
	return names, nil
}

// Checks reports every check on sha, by name, from commit statuses and
// check runs together, sorted by name. When a name is reported more than
// once (a status and a check run, or check runs of two apps) the worst
// state wins: failure over pending over success.
func (c *Client) Checks(ctx context.Context, sha string) ([]Check, error) {
	op := fmt.Sprintf("read checks of %s", sha)
	// Statuses and check runs are two lists; read side by side, they cost
	// one round trip of the merge's critical path, not two.
	var statuses, runs map[string]string
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { statuses, err = c.statuses(gctx, sha); return err })
	g.Go(func() (err error) { runs, err = c.checkRuns(gctx, sha); return err })
	if err := g.Wait(); err != nil {
		return nil, wrap(op, err, nil)
	}
	states := statuses
	for name, state := range runs {
		worst(states, name, state)
	}
	out := make([]Check, 0, len(states))
	for name, state := range states {
		out = append(out, Check{Name: name, State: state})
	}
	slices.SortFunc(out, func(a, b Check) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// worst keeps, for each name, the worst state reported.
func worst(states map[string]string, name, state string) {
	if old, ok := states[name]; !ok || rank(state) > rank(old) {
		states[name] = state
	}
}

// statuses reads the commit statuses of sha, by context.
func (c *Client) statuses(ctx context.Context, sha string) (map[string]string, error) {
	states := map[string]string{}
	opts := &github.ListOptions{PerPage: 100}
	for {
		cs, resp, err := c.gh.Repositories.GetCombinedStatus(ctx, c.owner, c.name, sha, opts)
		if err != nil {
			return nil, err
		}
		for _, s := range cs.Statuses {
			worst(states, s.GetContext(), statusState(s.GetState()))
		}
		if resp.NextPage == 0 {
			return states, nil
		}
		opts.Page = resp.NextPage
	}
}

// checkRuns reads the latest check runs of sha, by name.
func (c *Client) checkRuns(ctx context.Context, sha string) (map[string]string, error) {
	states := map[string]string{}
	opts := &github.ListCheckRunsOptions{Filter: github.String("latest"), ListOptions: github.ListOptions{PerPage: 100}}
	for {
		res, resp, err := c.gh.Checks.ListCheckRunsForRef(ctx, c.owner, c.name, sha, opts)
		if err != nil {
			return nil, err
		}
		for _, run := range res.CheckRuns {
			worst(states, run.GetName(), runState(run.GetStatus(), run.GetConclusion()))
		}
		if resp.NextPage == 0 {
			return states, nil
		}
		opts.Page = resp.NextPage
	}
}

const (
	stateSuccess = "success"
	statePending = "pending"
	stateFailure = "failure"
)

// rank orders states from best to worst.
func rank(state string) int {
	switch state {
	case stateSuccess:
		return 0
	case statePending:
		return 1
	}
	return 2
}

// statusState maps a commit status state; anything unknown fails.
func statusState(state string) string {
	switch state {
	case "success":
		return stateSuccess
	case "pending":
		return statePending
	}
	return stateFailure // failure, error, and whatever GitHub adds
}

// runState maps a check run: not completed is pending; completed counts as
// success only for success, neutral and skipped.
func runState(status, conclusion string) string {
	if status != "completed" {
		return statePending // queued, in_progress, waiting, requested, pending
	}
	switch conclusion {
	case "success", "neutral", "skipped":
		return stateSuccess
	}
	return stateFailure // failure, cancelled, timed_out, action_required, stale, startup_failure
}
