package githubapp

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// PathCommits lists up to limit commits on branch that changed path (a
// file or a folder), newest first, following pages as needed: one call per
// 100 commits. These are the commits GitHub's file history shows (git log
// -- path): for a change merged with a merge commit, the commit that made
// it on the pull request's branch, not the merge. An empty branch is the
// default branch; a missing branch is ErrNotFound; a path never changed
// gives none.
func (c *Client) PathCommits(ctx context.Context, path, branch string, limit int) ([]Commit, error) {
	op := fmt.Sprintf("list commits to %s on %s", path, branch)
	if limit < 1 {
		return nil, fmt.Errorf("%s: limit %d: want at least 1", op, limit)
	}
	opts := &github.CommitsListOptions{SHA: branch, Path: path, ListOptions: github.ListOptions{PerPage: min(limit, 100)}}
	var out []Commit
	for {
		list, resp, err := c.gh.Repositories.ListCommits(ctx, c.owner, c.name, opts)
		if err != nil {
			return nil, wrap(op, err, nil)
		}
		for _, rc := range list {
			out = append(out, toCommit(rc))
			if len(out) == limit {
				return out, nil
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// toCommit keeps what the engine needs of a listed commit. Author is the
// GitHub login when GitHub knows the author, else the name in the commit.
func toCommit(rc *github.RepositoryCommit) Commit {
	gc := rc.GetCommit()
	author := rc.GetAuthor().GetLogin()
	if author == "" {
		author = gc.GetAuthor().GetName()
	}
	return Commit{SHA: rc.GetSHA(), Message: gc.GetMessage(), Author: author, Date: gc.GetCommitter().GetDate().Time}
}
