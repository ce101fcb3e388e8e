package githubapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Issue is a plain issue of the config repository.
type Issue struct {
	Number int
	Body   string
	State  string // "open" or "closed"
}

// findPages bounds FindIssue's search: issues are listed oldest first, so
// an issue stagehand opened is on an early page.
const findPages = 10

// FindIssue returns the oldest plain issue carrying every one of labels
// whose body starts with marker, open or closed; ok is false when there is
// none. Pull requests, which GitHub lists as issues too, are skipped. One
// call per 100 issues so labelled, for at most 1,000.
func (c *Client) FindIssue(ctx context.Context, labels []string, marker string) (is Issue, ok bool, err error) {
	opts := &github.IssueListByRepoOptions{State: "all", Labels: labels, Sort: "created", Direction: "asc", ListOptions: github.ListOptions{PerPage: 100}}
	for range findPages {
		list, resp, err := c.gh.Issues.ListByRepo(ctx, c.owner, c.name, opts)
		if err != nil {
			return Issue{}, false, wrap(fmt.Sprintf("list issues labelled %s", strings.Join(labels, ", ")), err, nil)
		}
		for _, it := range list {
			if it.IsPullRequest() || !strings.HasPrefix(it.GetBody(), marker) {
				continue
			}
			return Issue{Number: it.GetNumber(), Body: it.GetBody(), State: it.GetState()}, true, nil
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return Issue{}, false, nil
}

// CreateIssue opens an issue and returns its number.
func (c *Client) CreateIssue(ctx context.Context, title, body string, labels []string) (int, error) {
	it, _, err := c.gh.Issues.Create(ctx, c.owner, c.name, &github.IssueRequest{Title: github.String(title), Body: github.String(body), Labels: &labels})
	if err != nil {
		return 0, wrap("open issue "+title, err, nil)
	}
	return it.GetNumber(), nil
}

// EditIssueBody replaces an issue's body.
func (c *Client) EditIssueBody(ctx context.Context, number int, body string) error {
	_, _, err := c.gh.Issues.Edit(ctx, c.owner, c.name, number, &github.IssueRequest{Body: github.String(body)})
	if err != nil {
		return wrap(fmt.Sprintf("edit issue #%d", number), err, nil)
	}
	return nil
}
