package githubapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Comparison is what a repository's head adds since base: the commits,
// oldest first, at most the limit asked for, and how many there are in
// all.
type Comparison struct {
	Commits []Commit // Message is each commit's first line
	Total   int
}

// CompareCommits reads GET /repos/{owner}/{repo}/compare/{base}...{head}
// with the App's installation token: it answers only for repositories the
// installation covers (others are ErrNotFound, or a 403). It asks for one
// page of at most limit commits; Total counts them all.
func (c *Client) CompareCommits(ctx context.Context, owner, repo, base, head string, limit int) (Comparison, error) {
	op := fmt.Sprintf("compare %s/%s %s...%s", owner, repo, base, head)
	if limit < 1 {
		return Comparison{}, fmt.Errorf("%s: limit %d: want at least 1", op, limit)
	}
	cmp, _, err := c.gh.Repositories.CompareCommits(ctx, owner, repo, base, head, &github.ListOptions{PerPage: min(limit, 100)})
	if err != nil {
		return Comparison{}, wrap(op, err, nil)
	}
	out := Comparison{Total: cmp.GetTotalCommits()}
	for _, rc := range cmp.Commits {
		if len(out.Commits) == limit {
			break
		}
		cm := toCommit(rc)
		cm.Message, _, _ = strings.Cut(cm.Message, "\n")
		out.Commits = append(out.Commits, cm)
	}
	out.Total = max(out.Total, len(out.Commits))
	return out, nil
}
