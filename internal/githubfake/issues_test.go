package githubfake

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestPlainIssuesAndComments: issues share numbers with pull requests,
// people and the App comment on both, and comments keep their ids.
func TestPlainIssuesAndComments(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()

	if _, err := s.Commit("topic", "topic", map[string][]byte{"a.txt": []byte("a\n")}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("topic"), Head: github.String("topic"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	issue := s.OpenIssue("Promote web to prod")
	if pr.GetNumber() != 1 || issue != 2 {
		t.Fatalf("numbers: PR #%d, issue #%d; want #1 and #2", pr.GetNumber(), issue)
	}
	if _, err := s.Commit("topic2", "topic2", map[string][]byte{"b.txt": []byte("b\n")}); err != nil {
		t.Fatal(err)
	}
	pr2, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("topic2"), Head: github.String("topic2"), Base: github.String("main")})
	if err != nil || pr2.GetNumber() != 3 {
		t.Fatalf("the next PR: #%d %v, want #3", pr2.GetNumber(), err)
	}
	if _, resp, _ := gh.PullRequests.Get(ctx, owner, repo, issue); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("a plain issue read as a pull request: want 404")
	}

	s.SetPermission("alice", "write")
	asked := s.AddComment(issue, "alice", "/stagehand promote web prod")
	answer, _, err := gh.Issues.CreateComment(ctx, owner, repo, issue, &github.IssueComment{Body: github.String("On it.")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer.GetHTMLURL(), "/issues/2#issuecomment-") {
		t.Errorf("comment html_url %s, want under /issues/2", answer.GetHTMLURL())
	}
	listed, _, err := gh.Issues.ListComments(ctx, owner, repo, issue, nil)
	if err != nil || len(listed) != 2 || listed[0].GetID() != asked || listed[0].GetUser().GetLogin() != "alice" || listed[0].GetAuthorAssociation() != "COLLABORATOR" || listed[1].GetID() != answer.GetID() {
		t.Fatalf("listed comments: %v %v", listed, err)
	}
	want := []Comment{{ID: asked, User: "alice", Body: "/stagehand promote web prod"}, {ID: answer.GetID(), User: "stagehand[bot]", Body: "On it."}}
	if got := s.CommentsOn(issue); !slices.Equal(got, want) {
		t.Errorf("CommentsOn(%d) = %+v, want %+v", issue, got, want)
	}

	onPR := s.AddComment(pr.GetNumber(), "bob", "/stagehand hold")
	if got := s.CommentsOn(pr.GetNumber()); len(got) != 1 || got[0].ID != onPR || got[0].User != "bob" {
		t.Errorf("CommentsOn(PR) = %+v", got)
	}
	if snap := s.PullRequests(); len(snap) != 2 || !slices.Equal(snap[0].Comments, []string{"/stagehand hold"}) || len(snap[1].Comments) != 0 {
		t.Errorf("PullRequests comments: %+v", snap)
	}
	if id := s.AddComment(99, "alice", "hello?"); id != 0 {
		t.Errorf("AddComment on a missing issue = %d, want 0", id)
	}
	if got := s.CommentsOn(99); got != nil {
		t.Errorf("CommentsOn a missing issue = %v", got)
	}
	if labels, _, err := gh.Issues.AddLabelsToIssue(ctx, owner, repo, issue, []string{"promotion"}); err != nil || len(labels) != 1 {
		t.Errorf("labels on a plain issue: %v %v", labels, err)
	}
	if r, _, err := gh.Repositories.Get(ctx, owner, repo); err != nil || r.GetOpenIssuesCount() != 3 {
		t.Errorf("open_issues_count %d %v, want 3 (two PRs and an issue)", r.GetOpenIssuesCount(), err)
	}
}

func TestCommentReactions(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()
	id := s.AddComment(s.OpenIssue("release"), "alice", "/stagehand promote web prod")

	eyes, resp, err := gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, id, "eyes")
	if err != nil || resp.StatusCode != http.StatusCreated || eyes.GetContent() != "eyes" || eyes.GetUser().GetLogin() != "stagehand[bot]" {
		t.Fatalf("first reaction: %d %+v %v", resp.StatusCode, eyes, err)
	}
	again, resp, err := gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, id, "eyes")
	if err != nil || resp.StatusCode != http.StatusOK || again.GetID() != eyes.GetID() {
		t.Errorf("same reaction again: %d %+v %v, want 200 with id %d", resp.StatusCode, again, err, eyes.GetID())
	}
	if _, resp, err := gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, id, "rocket"); err != nil || resp.StatusCode != http.StatusCreated {
		t.Errorf("another reaction: %v", err)
	}
	if got := s.Reactions(id); !slices.Equal(got, []string{"eyes", "rocket"}) {
		t.Errorf("Reactions = %q, want [eyes rocket]", got)
	}
	if _, resp, _ := gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, id+500, "eyes"); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Error("a reaction to a missing comment: want 404")
	}
	if got := s.Reactions(id + 500); got != nil {
		t.Errorf("Reactions of a missing comment = %q", got)
	}
}
