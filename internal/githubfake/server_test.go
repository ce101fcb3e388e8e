package githubfake

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func asErr(err error, target any) bool { return errors.As(err, target) }

const stagingPath = "apps/web/overlays/staging/kustomization.yaml"

func seededOptions(t testing.TB) Options {
	return Options{Seed: "../../testdata/configrepo", AppKey: &appKey(t).PublicKey}
}

// TestPromotionFlow drives the fake the way stagehand's client does, with
// every request and response checked against GitHub's description.
func TestPromotionFlow(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()

	inst, _, err := appClient(t, s, validJWT(t, s)).Apps.FindRepositoryInstallation(ctx, owner, repo)
	if err != nil || inst.GetID() != s.InstallationID() {
		t.Fatalf("repo installation: %v, %v", inst.GetID(), err)
	}

	r, _, err := gh.Repositories.Get(ctx, owner, repo)
	if err != nil || r.GetDefaultBranch() != "main" {
		t.Fatalf("get repo: %v %v", r.GetDefaultBranch(), err)
	}

	main, _, err := gh.Repositories.GetBranch(ctx, owner, repo, "main", 0)
	if err != nil {
		t.Fatal(err)
	}
	baseSHA, baseTree := main.GetCommit().GetSHA(), main.GetCommit().GetCommit().GetTree().GetSHA()
	if len(baseSHA) != 40 || len(baseTree) != 40 {
		t.Fatalf("branch: sha %q tree %q", baseSHA, baseTree)
	}

	old, _, _, err := gh.Repositories.GetContents(ctx, owner, repo, stagingPath, &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	oldText, _ := old.GetContent()
	newText := strings.Replace(oldText, `newTag: "0.9.0"`, "digest: sha256:"+strings.Repeat("ab", 32), 1)

	commitFiles := func(parent string, tree string, content string) string {
		t.Helper()
		tr, _, err := gh.Git.CreateTree(ctx, owner, repo, tree, []*github.TreeEntry{{
			Path: github.String(stagingPath), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String(content),
		}})
		if err != nil {
			t.Fatalf("create tree: %v", err)
		}
		c, _, err := gh.Git.CreateCommit(ctx, owner, repo, &github.Commit{
			Message: github.String("Promote web to staging"), Tree: tr, Parents: []*github.Commit{{SHA: github.String(parent)}},
		}, nil)
		if err != nil {
			t.Fatalf("create commit: %v", err)
		}
		return c.GetSHA()
	}
	first := commitFiles(baseSHA, baseTree, newText+"# first try\n")

	branch := "stagehand/staging/web"
	if _, _, err := gh.Git.CreateRef(ctx, owner, repo, &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(first)}}); err != nil {
		t.Fatalf("create ref: %v", err)
	}
	_, _, err = gh.Git.CreateRef(ctx, owner, repo, &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(first)}})
	if er := apiErr(t, err); er.Response.StatusCode != 422 || er.Message != "Reference already exists" {
		t.Errorf("second create ref: %d %q", er.Response.StatusCode, er.Message)
	}
	ref, _, err := gh.Git.GetRef(ctx, owner, repo, "heads/"+branch)
	if err != nil || ref.GetObject().GetSHA() != first {
		t.Fatalf("get ref: %v %v", ref.GetObject().GetSHA(), err)
	}

	pr, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{
		Title: github.String("Promote web to staging"), Head: github.String(owner + ":" + branch), Base: github.String("main"), Body: github.String("digest"),
	})
	if err != nil {
		t.Fatalf("create PR: %v", err)
	}
	if pr.GetHead().GetSHA() != first || pr.GetBase().GetRepo().GetFullName() != owner+"/"+repo || !pr.GetMergeable() {
		t.Errorf("PR: head %s repo %s mergeable %v", pr.GetHead().GetSHA(), pr.GetBase().GetRepo().GetFullName(), pr.GetMergeable())
	}
	_, _, err = gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("again"), Head: github.String(branch), Base: github.String("main")})
	if er := apiErr(t, err); er.Response.StatusCode != 422 || len(er.Errors) != 1 || er.Errors[0].Message != "A pull request already exists for acme:stagehand/staging/web." {
		t.Errorf("duplicate PR: %d %+v", er.Response.StatusCode, er.Errors)
	}
	list, _, err := gh.PullRequests.List(ctx, owner, repo, &github.PullRequestListOptions{State: "open", Head: owner + ":" + branch, Base: "main"})
	if err != nil || len(list) != 1 || list[0].GetNumber() != pr.GetNumber() {
		t.Fatalf("list PRs: %d %v", len(list), err)
	}

	labels, _, err := gh.Issues.AddLabelsToIssue(ctx, owner, repo, pr.GetNumber(), []string{"stagehand", "stage:staging"})
	if err != nil || len(labels) != 2 {
		t.Fatalf("labels: %v %v", labels, err)
	}
	if _, _, err := gh.Issues.CreateComment(ctx, owner, repo, pr.GetNumber(), &github.IssueComment{Body: github.String("waiting for checks")}); err != nil {
		t.Fatal(err)
	}
	comments, _, err := gh.Issues.ListComments(ctx, owner, repo, pr.GetNumber(), nil)
	if err != nil || len(comments) != 1 || comments[0].GetUser().GetLogin() != "stagehand[bot]" {
		t.Fatalf("comments: %v %v", comments, err)
	}

	// A rewrite of the branch is not a fast forward: refused unless forced.
	second := commitFiles(baseSHA, baseTree, newText)
	_, _, err = gh.Git.UpdateRef(ctx, owner, repo, &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(second)}}, false)
	if er := apiErr(t, err); er.Response.StatusCode != 422 || er.Message != "Update is not a fast forward" {
		t.Errorf("non-ff update: %d %q", er.Response.StatusCode, er.Message)
	}
	if _, _, err := gh.Git.UpdateRef(ctx, owner, repo, &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(second)}}, true); err != nil {
		t.Fatalf("forced update: %v", err)
	}

	// Required checks hold the merge until CI reports success on the head.
	s.SetRequiredChecks("main", "ci/test")
	pol, _, err := gh.Repositories.GetRequiredStatusChecks(ctx, owner, repo, "main")
	if err != nil || pol.Checks == nil || len(*pol.Checks) != 1 || (*pol.Checks)[0].Context != "ci/test" {
		t.Fatalf("required checks: %+v %v", pol, err)
	}
	merge := func(sha string) (*github.PullRequestMergeResult, error) {
		res, _, err := gh.PullRequests.Merge(ctx, owner, repo, pr.GetNumber(), "", &github.PullRequestOptions{SHA: sha, MergeMethod: "merge"})
		return res, err
	}
	_, err = merge(second)
	if er := apiErr(t, err); er.Response.StatusCode != 405 || er.Message != `Required status check "ci/test" is expected.` {
		t.Errorf("merge before checks: %d %q", er.Response.StatusCode, er.Message)
	}
	got, _, err := gh.PullRequests.Get(ctx, owner, repo, pr.GetNumber())
	if err != nil || got.GetMergeableState() != "blocked" {
		t.Errorf("mergeable_state before checks: %q %v", got.GetMergeableState(), err)
	}
	s.SetStatus(second, "ci/test", "failure")
	_, err = merge(second)
	if er := apiErr(t, err); er.Response.StatusCode != 405 || er.Message != `Required status check "ci/test" is failing.` {
		t.Errorf("merge with failing check: %d %q", er.Response.StatusCode, er.Message)
	}
	s.SetCheckRun(second, "ci/test", "in_progress", "")
	_, err = merge(second)
	if er := apiErr(t, err); er.Response.StatusCode != 405 || er.Message != `Required status check "ci/test" is expected.` {
		t.Errorf("merge with the check in progress: %d %q", er.Response.StatusCode, er.Message)
	}
	s.SetStatus(second, "ci/test", "success")
	combined, _, err := gh.Repositories.GetCombinedStatus(ctx, owner, repo, second, nil)
	if err != nil || combined.GetState() != "success" || combined.GetTotalCount() != 1 {
		t.Errorf("combined status: %q %d %v", combined.GetState(), combined.GetTotalCount(), err)
	}
	runs, _, err := gh.Checks.ListCheckRunsForRef(ctx, owner, repo, second, nil)
	if err != nil || runs.GetTotal() != 1 || runs.CheckRuns[0].GetStatus() != "in_progress" {
		t.Errorf("check runs: %v %v", runs.GetTotal(), err)
	}

	_, err = merge(first)
	if er := apiErr(t, err); er.Response.StatusCode != 409 || er.Message != "Head branch was modified. Review and try the merge again." {
		t.Errorf("merge with stale sha: %d %q", er.Response.StatusCode, er.Message)
	}
	res, err := merge(second)
	if err != nil || !res.GetMerged() {
		t.Fatalf("merge: %v %v", res, err)
	}
	if head, _ := s.Head("main"); head != res.GetSHA() {
		t.Errorf("main at %s, merge commit %s", head, res.GetSHA())
	}
	if got, err := s.FileAt("main", stagingPath); err != nil || string(got) != newText {
		t.Errorf("merged file:\n%s\nerr %v", got, err)
	}
	rc, _, err := gh.Repositories.GetCommit(ctx, owner, repo, res.GetSHA(), nil)
	if err != nil || len(rc.Parents) != 2 || rc.Parents[0].GetSHA() != baseSHA || rc.Parents[1].GetSHA() != second {
		t.Errorf("merge commit parents: %+v %v", rc.Parents, err)
	}
	done, _, err := gh.PullRequests.Get(ctx, owner, repo, pr.GetNumber())
	if err != nil || !done.GetMerged() || done.GetState() != "closed" || done.GetMergeCommitSHA() != res.GetSHA() {
		t.Errorf("merged PR: merged %v state %q sha %q err %v", done.GetMerged(), done.GetState(), done.GetMergeCommitSHA(), err)
	}
	snap := s.PullRequests()
	if len(snap) != 1 || !snap[0].Merged || snap[0].MergedBy != "stagehand[bot]" || len(snap[0].Labels) != 2 || len(snap[0].Comments) != 1 {
		t.Errorf("snapshot: %+v", snap)
	}

	// The merged tree renders.
	dir := t.TempDir()
	if err := s.Checkout("main", dir); err != nil {
		t.Fatal(err)
	}
	out, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(dir, "apps/web/overlays/staging"))
	if err != nil {
		t.Fatal(err)
	}
	yaml, _ := out.AsYaml()
	if !strings.Contains(string(yaml), "image: ghcr.io/acme/web@sha256:abab") {
		t.Errorf("rendered staging does not use the digest:\n%s", yaml)
	}
	if calls := s.Calls(); calls["pulls/merge"] != 5 || calls["git/create-tree"] != 2 {
		t.Errorf("calls: %v", calls)
	}
}

// TestConflictingPullRequest: a person changes the same line on main, so
// the pull request can no longer merge.
func TestConflictingPullRequest(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()

	oldText, err := s.FileAt("main", stagingPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit("stagehand/staging/web", "bot change", map[string][]byte{
		stagingPath: []byte(strings.Replace(string(oldText), `"0.9.0"`, `"1.0.0"`, 1)),
	}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("t"), Head: github.String("stagehand/staging/web"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit("main", "hotfix", map[string][]byte{
		stagingPath: []byte(strings.Replace(string(oldText), `"0.9.0"`, `"0.9.1"`, 1)),
	}); err != nil {
		t.Fatal(err)
	}
	got, _, err := gh.PullRequests.Get(ctx, owner, repo, pr.GetNumber())
	if err != nil || got.Mergeable == nil || *got.Mergeable || got.GetMergeableState() != "dirty" {
		t.Errorf("mergeable %v state %q err %v", got.Mergeable, got.GetMergeableState(), err)
	}
	_, _, err = gh.PullRequests.Merge(ctx, owner, repo, pr.GetNumber(), "", nil)
	if er := apiErr(t, err); er.Response.StatusCode != 405 || er.Message != "Pull Request is not mergeable" {
		t.Errorf("merge: %d %q", er.Response.StatusCode, er.Message)
	}
	var me *MergeError
	if _, err := s.MergeAsUser(pr.GetNumber(), "alice"); !errors.As(err, &me) || me.Status != http.StatusMethodNotAllowed {
		t.Errorf("MergeAsUser: %v", err)
	}
}
