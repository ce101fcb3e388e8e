package githubapp

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
	"golang.org/x/sync/errgroup"
)

// Status is one commit status context, or one check run, on a commit, as
// a health gate reads it: State is "success", "pending", "failure" or
// "error" (a check run's conclusion mapped onto those), TargetURL where its
// sender says more.
type Status struct {
	Context     string
	State       string
	TargetURL   string
	Description string
}

// Statuses reads every status context and every latest check run on sha.
// A context reported both ways, or by two check runs, keeps the worst.
func (c *Client) Statuses(ctx context.Context, sha string) ([]Status, error) {
	var statuses, runs []Status
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		opts := &github.ListOptions{PerPage: 100}
		for {
			cs, resp, err := c.gh.Repositories.GetCombinedStatus(gctx, c.owner, c.name, sha, opts)
			if err != nil {
				return err
			}
			// The combined status lists the latest status of each context.
			for _, s := range cs.Statuses {
				statuses = append(statuses, Status{Context: s.GetContext(), State: s.GetState(), TargetURL: s.GetTargetURL(), Description: s.GetDescription()})
			}
			if resp.NextPage == 0 {
				return nil
			}
			opts.Page = resp.NextPage
		}
	})
	g.Go(func() error {
		opts := &github.ListCheckRunsOptions{Filter: github.String("latest"), ListOptions: github.ListOptions{PerPage: 100}}
		for {
			res, resp, err := c.gh.Checks.ListCheckRunsForRef(gctx, c.owner, c.name, sha, opts)
			if err != nil {
				return err
			}
			for _, r := range res.CheckRuns {
				st := Status{Context: r.GetName(), State: runState(r.GetStatus(), r.GetConclusion()), TargetURL: r.GetDetailsURL()}
				if st.TargetURL == "" {
					st.TargetURL = r.GetHTMLURL()
				}
				if out := r.GetOutput(); out != nil {
					st.Description = out.GetTitle()
				}
				runs = append(runs, st)
			}
			if resp.NextPage == 0 {
				return nil
			}
			opts.Page = resp.NextPage
		}
	})
	if err := g.Wait(); err != nil {
		return nil, wrap(fmt.Sprintf("read statuses of %s", sha), err, nil)
	}
	out := []Status{}
	at := map[string]int{}
	for _, s := range append(statuses, runs...) {
		i, seen := at[s.Context]
		switch {
		case !seen:
			at[s.Context] = len(out)
			out = append(out, s)
		case statusRank(s.State) > statusRank(out[i].State):
			out[i] = s
		}
	}
	return out, nil
}

// statusRank orders a status's states from best to worst.
func statusRank(state string) int {
	switch state {
	case "success":
		return 0
	case "pending":
		return 1
	case "failure":
		return 2
	}
	return 3 // error, and whatever GitHub adds
}

// NewDeployment is a GitHub deployment of what a merge put in a stage.
type NewDeployment struct {
	Ref         string // the merge commit
	Environment string // the stage
	Description string
	Payload     map[string]any
}

// CreateDeployment makes a deployment on GitHub and returns its id. It
// never merges anything (auto_merge off) and asks for no status checks
// (required_contexts empty): the commit is on the base branch already.
func (c *Client) CreateDeployment(ctx context.Context, d NewDeployment) (int64, error) {
	req := &github.DeploymentRequest{
		Ref:              github.String(d.Ref),
		Task:             github.String("deploy"),
		AutoMerge:        github.Bool(false),
		RequiredContexts: &[]string{},
		Payload:          d.Payload,
		Environment:      github.String(d.Environment),
		Description:      github.String(d.Description),
	}
	dep, _, err := c.gh.Repositories.CreateDeployment(ctx, c.owner, c.name, req)
	if err != nil {
		return 0, wrap(fmt.Sprintf("create the deployment of %s to %s", shortRef(d.Ref), d.Environment), err, nil)
	}
	return dep.GetID(), nil
}

// SetDeploymentStatus moves deployment id to state (in_progress, success,
// failure, error, …) with a description and, where known, where to look.
func (c *Client) SetDeploymentStatus(ctx context.Context, id int64, state, description, logURL string) error {
	req := &github.DeploymentStatusRequest{State: github.String(state), Description: github.String(truncate(description, 140))}
	if logURL != "" {
		req.LogURL = github.String(logURL)
	}
	_, _, err := c.gh.Repositories.CreateDeploymentStatus(ctx, c.owner, c.name, id, req)
	if err != nil {
		return wrap(fmt.Sprintf("set deployment %d to %s", id, state), err, nil)
	}
	return nil
}

func shortRef(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// truncate keeps s within n bytes (GitHub caps a deployment status's
// description at 140 characters), on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
