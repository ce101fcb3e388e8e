package githubfake

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// openPR is a person's commit on branch and the App's pull request for it.
func openPR(t *testing.T, gh *github.Client, s *Server, branch string, files map[string][]byte) (*github.PullRequest, string) {
	t.Helper()
	sha, err := s.Commit(branch, "change on "+branch, files)
	if err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(context.Background(), s.Owner(), s.Repo(), &github.NewPullRequest{
		Title: github.String(branch), Head: github.String(branch), Base: github.String("main"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return pr, sha
}

func TestUpdateComment(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	issue := s.OpenIssue("promote")
	mine, _, err := gh.Issues.CreateComment(ctx, s.Owner(), s.Repo(), issue, &github.IssueComment{Body: github.String("working…")})
	if err != nil {
		t.Fatal(err)
	}
	edited, _, err := gh.Issues.EditComment(ctx, s.Owner(), s.Repo(), mine.GetID(), &github.IssueComment{Body: github.String("done")})
	if err != nil || edited.GetBody() != "done" || edited.GetID() != mine.GetID() {
		t.Fatalf("edit: %v %v", edited, err)
	}
	if got := s.CommentsOn(issue); len(got) != 1 || got[0].Body != "done" {
		t.Errorf("comments %+v", got)
	}
	theirs := s.AddComment(issue, "alice", "/stagehand promote")
	_, _, err = gh.Issues.EditComment(ctx, s.Owner(), s.Repo(), theirs, &github.IssueComment{Body: github.String("hijacked")})
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusForbidden || er.Message != "Resource not accessible by integration" {
		t.Errorf("editing a person's comment: %d %q", er.Response.StatusCode, er.Message)
	}
	_, resp, _ := gh.Issues.EditComment(ctx, s.Owner(), s.Repo(), 999999, &github.IssueComment{Body: github.String("x")})
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("no such comment: %v", resp)
	}
}

// TestCheckRunsByTheApp: the App's own check run shows in the listing,
// counts as a required check, and keeps its output and annotations.
func TestCheckRunsByTheApp(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	pr, head := openPR(t, gh, s, "topic", map[string][]byte{"a.txt": []byte("a\n")})
	s.SetRequiredChecks("main", "stagehand/plan")

	run, _, err := gh.Checks.CreateCheckRun(ctx, s.Owner(), s.Repo(), github.CreateCheckRunOptions{
		Name: "stagehand/plan", HeadSHA: head, Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("Plan"), Summary: github.String("planning"), Annotations: []*github.CheckRunAnnotation{{
			Path: github.String("a.txt"), StartLine: github.Int(1), EndLine: github.Int(1), AnnotationLevel: github.String("warning"), Message: github.String("first"),
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if run.GetApp().GetSlug() != "stagehand" || len(run.PullRequests) != 1 || run.PullRequests[0].GetNumber() != pr.GetNumber() {
		t.Errorf("run: app %q, PRs %v", run.GetApp().GetSlug(), run.PullRequests)
	}
	if _, _, err := gh.PullRequests.Merge(ctx, s.Owner(), s.Repo(), pr.GetNumber(), "", nil); apiErr(t, err).Response.StatusCode != http.StatusMethodNotAllowed {
		t.Error("merged with the check in progress")
	}
	_, _, err = gh.Checks.UpdateCheckRun(ctx, s.Owner(), s.Repo(), run.GetID(), github.UpdateCheckRunOptions{
		Name: "stagehand/plan", Conclusion: github.String("success"),
		Output: &github.CheckRunOutput{Title: github.String("Plan"), Summary: github.String("2 changes"), Text: github.String("details"), Annotations: []*github.CheckRunAnnotation{{
			Path: github.String("a.txt"), StartLine: github.Int(1), EndLine: github.Int(2), AnnotationLevel: github.String("notice"), Message: github.String("second"),
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	listed, _, err := gh.Checks.ListCheckRunsForRef(ctx, s.Owner(), s.Repo(), "topic", nil)
	if err != nil || listed.GetTotal() != 1 || listed.CheckRuns[0].GetConclusion() != "success" || listed.CheckRuns[0].GetOutput().GetAnnotationsCount() != 2 {
		t.Fatalf("listed: %+v %v", listed, err)
	}
	runs := s.CheckRuns(head)
	if len(runs) != 1 || runs[0].App != "stagehand" || runs[0].Status != "completed" || runs[0].Summary != "2 changes" ||
		len(runs[0].Annotations) != 2 || runs[0].Annotations[1] != (Annotation{Path: "a.txt", StartLine: 1, EndLine: 2, Level: "notice", Message: "second"}) {
		t.Errorf("CheckRuns: %+v", runs)
	}
	if _, _, err := gh.PullRequests.Merge(ctx, s.Owner(), s.Repo(), pr.GetNumber(), "", nil); err != nil {
		t.Errorf("merge after the App's check passed: %v", err)
	}

	// Another App's check run is not the App's to change.
	s.SetCheckRun(head, "ci/test", "completed", "success")
	other := s.CheckRuns(head)[1]
	_, _, err = gh.Checks.UpdateCheckRun(ctx, s.Owner(), s.Repo(), other.ID, github.UpdateCheckRunOptions{Name: "ci/test", Conclusion: github.String("failure")})
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusForbidden {
		t.Errorf("updating CI's run: %d %q", er.Response.StatusCode, er.Message)
	}
}

func TestCommitPulls(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	pr, head := openPR(t, gh, s, "topic", map[string][]byte{"a.txt": []byte("a\n")})
	numbers := func(sha string) []int {
		t.Helper()
		list, _, err := gh.PullRequests.ListPullRequestsWithCommit(ctx, s.Owner(), s.Repo(), sha, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, p := range list {
			out = append(out, p.GetNumber())
		}
		return out
	}
	if got := numbers(head); len(got) != 1 || got[0] != pr.GetNumber() {
		t.Errorf("head commit of an open PR: %v", got)
	}
	base, _ := s.Head("main")
	if got := numbers(base); len(got) != 0 {
		t.Errorf("main's own commit: %v", got)
	}
	res, _, err := gh.PullRequests.Merge(ctx, s.Owner(), s.Repo(), pr.GetNumber(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(res.GetSHA()); len(got) != 1 || got[0] != pr.GetNumber() {
		t.Errorf("merge commit: %v", got)
	}
	if got := numbers(head); len(got) != 1 || got[0] != pr.GetNumber() {
		t.Errorf("merged head commit: %v", got)
	}
}

func TestCompare(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	before, _ := s.Head("main")
	after, err := s.Commit("main", "two files", map[string][]byte{"new.txt": []byte("n\n"), stagingPath: []byte("kind: Kustomization\n")})
	if err != nil {
		t.Fatal(err)
	}
	cmp, _, err := gh.Repositories.CompareCommits(ctx, s.Owner(), s.Repo(), before, after, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetStatus() != "ahead" || cmp.GetAheadBy() != 1 || cmp.GetBehindBy() != 0 || cmp.GetTotalCommits() != 1 || len(cmp.Commits) != 1 || cmp.Commits[0].GetSHA() != after {
		t.Errorf("comparison: %s ahead %d behind %d commits %d", cmp.GetStatus(), cmp.GetAheadBy(), cmp.GetBehindBy(), len(cmp.Commits))
	}
	got := map[string]string{}
	for _, f := range cmp.Files {
		got[f.GetFilename()] = f.GetStatus()
	}
	if len(got) != 2 || got["new.txt"] != "added" || got[stagingPath] != "modified" {
		t.Errorf("files %v", got)
	}
	if _, err := s.Commit("side", "side", map[string][]byte{"side.txt": []byte("s\n")}); err != nil {
		t.Fatal(err)
	}
	back, _, err := gh.Repositories.CompareCommits(ctx, s.Owner(), s.Repo(), after, before, nil)
	if err != nil || back.GetStatus() != "behind" || back.GetBehindBy() != 1 {
		t.Errorf("reversed: %s %v", back.GetStatus(), err)
	}
	same, _, err := gh.Repositories.CompareCommits(ctx, s.Owner(), s.Repo(), "main", after, nil)
	if err != nil || same.GetStatus() != "identical" || len(same.Files) != 0 {
		t.Errorf("identical: %s %v", same.GetStatus(), err)
	}
	if _, err := s.Commit("main", "more", map[string][]byte{"more.txt": []byte("m\n")}); err != nil {
		t.Fatal(err)
	}
	div, _, err := gh.Repositories.CompareCommits(ctx, s.Owner(), s.Repo(), "main", "acme:side", nil)
	if err != nil || div.GetStatus() != "diverged" || div.GetAheadBy() != 1 || div.GetBehindBy() != 1 || len(div.Files) != 1 || div.Files[0].GetFilename() != "side.txt" {
		t.Errorf("diverged: %s ahead %d behind %d files %d %v", div.GetStatus(), div.GetAheadBy(), div.GetBehindBy(), len(div.Files), err)
	}
	if _, resp, _ := gh.Repositories.CompareCommits(ctx, s.Owner(), s.Repo(), "main", "nope", nil); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown head: %v", resp)
	}
}

// TestManifestConversion: the manifest flow hands back a new App whose
// key the fake accepts; installed, it acts as its own bot.
func TestManifestConversion(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	code, err := s.NewManifestCode([]byte(`{"name": "Stagehand Prod", "url": "https://stagehand.example", "hook_attributes": {"url": "https://stagehand.example/webhook"},
		"redirect_url": "https://stagehand.example/setup", "default_events": ["push", "pull_request"], "default_permissions": {"contents": "write", "pull_requests": "write", "checks": "write"}}`))
	if err != nil {
		t.Fatal(err)
	}
	anon := enterprise(t, github.NewClient(nil), s)
	cfg, _, err := anon.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GetSlug() != "stagehand-prod" || cfg.GetClientID() == "" || cfg.GetClientSecret() == "" || cfg.GetWebhookSecret() == "" || cfg.GetOwner().GetLogin() != "acme" {
		t.Errorf("config: %+v", cfg)
	}
	if _, resp, _ := anon.Apps.CompleteAppManifest(ctx, code); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("a code converts once: %v", resp)
	}
	block, _ := pem.Decode([]byte(cfg.GetPEM()))
	if block == nil {
		t.Fatal("no PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	jwt := signJWT(t, key, strconv.FormatInt(cfg.GetID(), 10), now.Add(-30*time.Second), now.Add(5*time.Minute))
	app := appClient(t, s, jwt)
	if _, resp, _ := app.Apps.FindRepositoryInstallation(ctx, s.Owner(), s.Repo()); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("not installed yet: %v", resp)
	}
	forged := signJWT(t, appKey(t), strconv.FormatInt(cfg.GetID(), 10), now, now.Add(5*time.Minute))
	if _, resp, _ := appClient(t, s, forged).Apps.FindRepositoryInstallation(ctx, s.Owner(), s.Repo()); resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("another App's key: %v", resp)
	}
	instID, err := s.InstallApp(cfg.GetID())
	if err != nil {
		t.Fatal(err)
	}
	inst, _, err := app.Apps.FindRepositoryInstallation(ctx, s.Owner(), s.Repo())
	if err != nil || inst.GetID() != instID || inst.GetAppSlug() != "stagehand-prod" {
		t.Fatalf("installation: %v %v", inst, err)
	}
	if _, _, err := app.Apps.CreateInstallationToken(ctx, s.InstallationID(), nil); apiErr(t, err).Response.StatusCode != http.StatusNotFound {
		t.Error("a token for another App's installation")
	}
	tok, _, err := app.Apps.CreateInstallationToken(ctx, instID, nil)
	if err != nil {
		t.Fatal(err)
	}
	gh := enterprise(t, github.NewClient(nil).WithAuthToken(tok.GetToken()), s)
	issue := s.OpenIssue("hello")
	cm, _, err := gh.Issues.CreateComment(ctx, s.Owner(), s.Repo(), issue, &github.IssueComment{Body: github.String("hi")})
	if err != nil || cm.GetUser().GetLogin() != "stagehand-prod[bot]" {
		t.Errorf("comment by %q: %v", cm.GetUser().GetLogin(), err)
	}
}
