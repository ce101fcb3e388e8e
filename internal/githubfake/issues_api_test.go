package githubfake

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestIssuesThroughTheAPI: the App opens, lists and edits an issue; a
// person's edit of its body arrives as issues edited with the body it had,
// every payload and answer valid by GitHub's descriptions.
func TestIssuesThroughTheAPI(t *testing.T) {
	ctx := context.Background()
	rc, srv := newReceiver(t)
	s := NewTest(t, webhookOptions(t, srv.URL))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()

	if err := createRef(ctx, gh, s, "topic"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit("topic", "change", map[string][]byte{"a.txt": []byte("a\n")}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("topic"), Head: github.String("topic"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Issues.AddLabelsToIssue(ctx, owner, repo, pr.GetNumber(), []string{"stagehand"}); err != nil {
		t.Fatal(err)
	}
	is, _, err := gh.Issues.Create(ctx, owner, repo, &github.IssueRequest{Title: github.String("Promotions"), Body: github.String("- [ ] one"), Labels: &[]string{"stagehand"}})
	if err != nil || is.GetNumber() != 2 || is.GetState() != "open" || is.GetUser().GetLogin() != "stagehand[bot]" || len(is.Labels) != 1 {
		t.Fatalf("created %+v %v", is, err)
	}
	// The PR is an issue to the list too, as on GitHub.
	listed, _, err := gh.Issues.ListByRepo(ctx, owner, repo, &github.IssueListByRepoOptions{Labels: []string{"stagehand"}, State: "all"})
	if err != nil || len(listed) != 2 || listed[0].GetNumber() != 2 || listed[0].IsPullRequest() || !listed[1].IsPullRequest() {
		t.Fatalf("listed %v %v", listed, err)
	}
	if listed, _, _ := gh.Issues.ListByRepo(ctx, owner, repo, &github.IssueListByRepoOptions{Labels: []string{"other"}}); len(listed) != 0 {
		t.Errorf("label filter: %d listed, want none", len(listed))
	}
	if _, _, err := gh.Issues.Edit(ctx, owner, repo, 2, &github.IssueRequest{Body: github.String("- [ ] one\n- [ ] two")}); err != nil {
		t.Fatal(err)
	}
	s.SetPermission("alice", "write")
	if !s.EditIssueBody(2, "alice", "- [x] one\n- [ ] two") || s.EditIssueBody(99, "alice", "x") {
		t.Fatal("EditIssueBody: want true for the issue, false for none")
	}
	if got := s.Issues("stagehand"); len(got) != 1 || got[0].Body != "- [x] one\n- [ ] two" || !slices.Equal(got[0].Labels, []string{"stagehand"}) {
		t.Errorf("Issues = %+v", got)
	}
	if _, _, err := gh.Issues.Edit(ctx, owner, repo, 2, &github.IssueRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, s)
	var edits []string
	var kinds []string
	for _, r := range rc.all() {
		if r.header.Get("X-GitHub-Event") != "issues" {
			continue
		}
		kinds = append(kinds, kind(r))
		var p struct {
			Sender  struct{ Login string }
			Changes struct {
				Body struct{ From string }
			}
		}
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		if kind(r) == "issues.edited" {
			edits = append(edits, p.Sender.Login+": "+p.Changes.Body.From)
		}
	}
	if want := []string{"issues.opened", "issues.edited", "issues.edited", "issues.closed"}; !slices.Equal(kinds, want) {
		t.Errorf("issues events %v, want %v", kinds, want)
	}
	if want := []string{"stagehand[bot]: - [ ] one", "alice: - [ ] one\n- [ ] two"}; !slices.Equal(edits, want) {
		t.Errorf("edits (sender: from) %q, want %q", edits, want)
	}
}
