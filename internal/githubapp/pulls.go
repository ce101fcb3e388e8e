package githubapp

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// FindOpenPR returns the open pull request from branch head into base, or
// nil when there is none.
func (c *Client) FindOpenPR(ctx context.Context, head, base string) (*PullRequest, error) {
	if !strings.Contains(head, ":") { // git refs cannot contain ':', so this is "owner:branch" already
		head = c.owner + ":" + head
	}
	prs, _, err := c.gh.PullRequests.List(ctx, c.owner, c.name, &github.PullRequestListOptions{
		State: "open", Head: head, Base: base,
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("find open pull request %s → %s", head, base), err, nil)
	}
	if len(prs) == 0 {
		return nil, nil
	}
	pr := toPullRequest(prs[0]) // GitHub allows one open pull request per head and base
	return &pr, nil
}

// OpenPRs lists the open pull requests into base whose head is a branch of
// the repository itself, not of a fork: all of them, one call per 100.
func (c *Client) OpenPRs(ctx context.Context, base string) ([]PullRequest, error) {
	opts := &github.PullRequestListOptions{State: "open", Base: base, ListOptions: github.ListOptions{PerPage: 100}}
	var out []PullRequest
	for {
		prs, resp, err := c.gh.PullRequests.List(ctx, c.owner, c.name, opts)
		if err != nil {
			return nil, wrap(fmt.Sprintf("list open pull requests into %s", base), err, nil)
		}
		for _, pr := range prs {
			// A fork's branch of the same name is labelled with the fork's owner.
			if h := pr.GetHead(); strings.EqualFold(h.GetLabel(), c.owner+":"+h.GetRef()) {
				out = append(out, toPullRequest(pr))
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// GetPR reads one pull request, including whether it is mergeable.
func (c *Client) GetPR(ctx context.Context, number int) (*PullRequest, error) {
	pr, _, err := c.gh.PullRequests.Get(ctx, c.owner, c.name, number)
	if err != nil {
		return nil, wrap(fmt.Sprintf("read pull request #%d", number), err, nil)
	}
	out := toPullRequest(pr)
	return &out, nil
}

// OpenPR opens a pull request from branch head into base. When one is
// already open for the pair GitHub refuses, and the error is ErrConflict.
func (c *Client) OpenPR(ctx context.Context, head, base, title, body string) (*PullRequest, error) {
	pr, _, err := c.gh.PullRequests.Create(ctx, c.owner, c.name, &github.NewPullRequest{
		Title: github.String(title),
		Head:  github.String(head),
		Base:  github.String(base),
		Body:  github.String(body),
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("open pull request %s → %s", head, base), err, onRefs())
	}
	out := toPullRequest(pr)
	return &out, nil
}

// UpdatePR replaces a pull request's title and body. A pull request that
// is closed or merged by now is ErrClosed: GitHub edits it all the same, but
// it proposes nothing any more.
func (c *Client) UpdatePR(ctx context.Context, number int, title, body string) error {
	op := fmt.Sprintf("update pull request #%d", number)
	pr, _, err := c.gh.PullRequests.Edit(ctx, c.owner, c.name, number, &github.PullRequest{
		Title: github.String(title),
		Body:  github.String(body),
	})
	if err != nil {
		return wrap(op, err, onRefs())
	}
	if pr.GetState() != "open" {
		return fmt.Errorf("%s: %w (%s)", op, ErrClosed, pr.GetState())
	}
	return nil
}

// ClosePR closes a pull request without merging it.
func (c *Client) ClosePR(ctx context.Context, number int) error {
	_, _, err := c.gh.PullRequests.Edit(ctx, c.owner, c.name, number, &github.PullRequest{
		State: github.String("closed"),
	})
	if err != nil {
		return wrap(fmt.Sprintf("close pull request #%d", number), err, onRefs())
	}
	return nil
}

// AddLabels adds labels to a pull request, keeping those it has. No labels,
// no call.
func (c *Client) AddLabels(ctx context.Context, number int, labels ...string) error {
	if len(labels) == 0 {
		return nil
	}
	_, _, err := c.gh.Issues.AddLabelsToIssue(ctx, c.owner, c.name, number, labels)
	if err != nil {
		return wrap(fmt.Sprintf("label pull request #%d", number), err, nil)
	}
	return nil
}

// Comment posts a comment on a pull request.
func (c *Client) Comment(ctx context.Context, number int, body string) error {
	_, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.name, number, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		return wrap(fmt.Sprintf("comment on pull request #%d", number), err, nil)
	}
	return nil
}

// Note keeps one comment of stagehand's on an issue or pull request up to
// date: it edits comment id, or posts a new comment when id is 0 or the
// comment is gone, and returns the comment's id.
func (c *Client) Note(ctx context.Context, number int, id int64, body string) (int64, error) {
	if id != 0 {
		_, _, err := c.gh.Issues.EditComment(ctx, c.owner, c.name, id, &github.IssueComment{Body: github.String(body)})
		if err == nil {
			return id, nil
		}
		if statusOf(err) != http.StatusNotFound {
			return 0, wrap(fmt.Sprintf("edit comment %d", id), err, nil)
		}
	}
	cm, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.name, number, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		return 0, wrap(fmt.Sprintf("comment on #%d", number), err, nil)
	}
	return cm.GetID(), nil
}

// React adds a reaction to an issue or pull request comment: content is
// one of GitHub's "+1", "-1", "laugh", "confused", "heart", "hooray",
// "rocket" or "eyes". Reacting twice the same way is not an error.
func (c *Client) React(ctx context.Context, commentID int64, content string) error {
	_, _, err := c.gh.Reactions.CreateIssueCommentReaction(ctx, c.owner, c.name, commentID, content)
	if err != nil {
		return wrap(fmt.Sprintf("react %s to comment %d", content, commentID), err, nil)
	}
	return nil
}

// Merge merges a pull request with a merge commit titled title, only if its
// head is still headSHA, and returns the merge commit's SHA. GitHub's
// refusals keep its words: 405 (checks, reviews, conflicts, draft) is
// ErrNotMergeable, 409 (the head moved) is ErrHeadMoved.
func (c *Client) Merge(ctx context.Context, number int, headSHA, title string) (mergeSHA string, err error) {
	op := fmt.Sprintf("merge pull request #%d", number)
	if headSHA == "" {
		return "", fmt.Errorf("%s: no head SHA to pin", op) // never merge whatever the head has become
	}
	res, _, err := c.gh.PullRequests.Merge(ctx, c.owner, c.name, number, "", &github.PullRequestOptions{
		CommitTitle: title,
		SHA:         headSHA,
		MergeMethod: "merge",
	})
	if err != nil {
		return "", wrap(op, err, kinds{
			http.StatusMethodNotAllowed: ErrNotMergeable,
			http.StatusConflict:         ErrHeadMoved,
		})
	}
	if !res.GetMerged() || res.GetSHA() == "" {
		return "", fmt.Errorf("%s: %w: %s", op, ErrNotMergeable, res.GetMessage())
	}
	return res.GetSHA(), nil
}

// toPullRequest keeps what the engine needs of go-github's pull request.
func toPullRequest(pr *github.PullRequest) PullRequest {
	out := PullRequest{
		Number:   pr.GetNumber(),
		URL:      pr.GetHTMLURL(),
		Title:    pr.GetTitle(),
		Body:     pr.GetBody(),
		State:    pr.GetState(),
		Draft:    pr.GetDraft(),
		Merged:   pr.GetMerged() || pr.MergedAt != nil, // lists leave out "merged"
		Head:     pr.GetHead().GetRef(),
		HeadSHA:  pr.GetHead().GetSHA(),
		Base:     pr.GetBase().GetRef(),
		MergedAt: pr.GetMergedAt().Time,
		MergedBy: pr.GetMergedBy().GetLogin(),
	}
	if pr.Mergeable != nil {
		m := *pr.Mergeable
		out.Mergeable = &m
	}
	if out.Merged {
		// Before the merge this names GitHub's test merge commit.
		out.MergeSHA = pr.GetMergeCommitSHA()
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	return out
}
