package githubfake

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestTreeEdits(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()
	main, _, err := gh.Repositories.GetBranch(ctx, owner, repo, "main", 0)
	if err != nil {
		t.Fatal(err)
	}
	base := main.GetCommit().GetCommit().GetTree().GetSHA()
	blob, _, err := gh.Git.CreateBlob(ctx, owner, repo, &github.Blob{Content: github.String("aGVsbG8K"), Encoding: github.String("base64")})
	if err != nil {
		t.Fatal(err)
	}
	tree, _, err := gh.Git.CreateTree(ctx, owner, repo, base, []*github.TreeEntry{
		{Path: github.String("apps/api/overlays/dev/kustomization.yaml"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("kind: Kustomization\n")},
		{Path: github.String("apps/web/base/service.yaml"), Mode: github.String("100644"), Type: github.String("blob")}, // sha: null deletes
		{Path: github.String("apps/web/overlays/prod/kustomization.yaml"), Mode: github.String("100644"), Type: github.String("blob")},
		{Path: github.String("docs/hello.txt"), Mode: github.String("100644"), Type: github.String("blob"), SHA: blob.SHA},
	})
	if err != nil {
		t.Fatal(err)
	}
	var rootNames []string
	for _, e := range tree.Entries {
		rootNames = append(rootNames, e.GetPath())
	}
	if !slices.Equal(rootNames, []string{".stagehand.yaml", "apps", "docs"}) {
		t.Errorf("root entries %v", rootNames)
	}
	commit, _, err := gh.Git.CreateCommit(ctx, owner, repo, &github.Commit{Message: github.String("edit"), Tree: tree, Parents: []*github.Commit{{SHA: main.GetCommit().SHA}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if commit.GetAuthor().GetName() != "stagehand[bot]" {
		t.Errorf("author %q", commit.GetAuthor().GetName())
	}
	sha := commit.GetSHA()

	if got, err := s.FileAt(sha, "docs/hello.txt"); err != nil || string(got) != "hello\n" {
		t.Errorf("hello.txt %q %v", got, err)
	}
	if _, err := s.FileAt(sha, "apps/web/base/service.yaml"); err == nil {
		t.Error("service.yaml not deleted")
	}
	// The prod overlay lost its only file, so the directory is gone.
	_, dir, _, err := gh.Repositories.GetContents(ctx, owner, repo, "apps/web/overlays", &github.RepositoryContentGetOptions{Ref: sha})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range dir {
		names = append(names, e.GetName()+":"+e.GetType())
	}
	if !slices.Equal(names, []string{"preprod:dir", "staging:dir"}) {
		t.Errorf("overlays: %v", names)
	}
	file, _, _, err := gh.Repositories.GetContents(ctx, owner, repo, "apps/api/overlays/dev/kustomization.yaml", &github.RepositoryContentGetOptions{Ref: sha[:12]})
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := file.GetContent(); text != "kind: Kustomization\n" {
		t.Errorf("content %q", text)
	}
	resp, err := http.Get(file.GetDownloadURL())
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("download_url %s: %v", file.GetDownloadURL(), err)
	} else {
		resp.Body.Close()
	}
	_, _, resp2, err := gh.Repositories.GetContents(ctx, owner, repo, "apps/nope.yaml", nil)
	if err == nil || resp2.StatusCode != http.StatusNotFound {
		t.Errorf("missing file: %v", err)
	}

	// Refused entries.
	for name, e := range map[string]*github.TreeEntry{
		"unknown sha":        {Path: github.String("x"), Mode: github.String("100644"), Type: github.String("blob"), SHA: github.String("0123456789012345678901234567890123456789")},
		"tree sha as blob":   {Path: github.String("x"), Mode: github.String("100644"), Type: github.String("blob"), SHA: github.String(base)},
		"malformed path":     {Path: github.String("a//b"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("x")},
		"dot-dot path":       {Path: github.String("../b"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("x")},
		"type mismatch":      {Path: github.String("x"), Mode: github.String("040000"), Type: github.String("blob"), Content: github.String("x")},
		"content for a tree": {Path: github.String("x"), Mode: github.String("040000"), Type: github.String("tree"), Content: github.String("x")},
	} {
		_, _, err := gh.Git.CreateTree(ctx, owner, repo, base, []*github.TreeEntry{e})
		if er := apiErr(t, err); er.Response.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %q", name, er.Response.StatusCode, er.Message)
		}
	}
}

func TestRefs(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, tok := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()
	head, _ := s.Head("main")
	mk := func(ref, sha string) error {
		_, _, err := gh.Git.CreateRef(ctx, owner, repo, &github.Reference{Ref: github.String(ref), Object: &github.GitObject{SHA: github.String(sha)}})
		return err
	}
	for name, tc := range map[string]struct{ ref, sha string }{
		"too few slashes": {"refs/x", head},
		"bad name":        {"refs/heads/a..b", head},
		"unknown object":  {"refs/heads/x", "0123456789012345678901234567890123456789"},
	} {
		if er := apiErr(t, mk(tc.ref, tc.sha)); er.Response.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", name, er.Response.StatusCode)
		}
	}
	if _, _, err := gh.Git.GetRef(ctx, owner, repo, "heads/nope"); apiErr(t, err).Response.StatusCode != http.StatusNotFound {
		t.Error("missing ref is not 404")
	}

	// Branch names with slashes, escaped (as go-github does) or not.
	if err := mk("refs/heads/stagehand/staging/web", head); err != nil {
		t.Fatal(err)
	}
	if b, _, err := gh.Repositories.GetBranch(ctx, owner, repo, "stagehand/staging/web", 0); err != nil || b.GetCommit().GetSHA() != head {
		t.Errorf("slashed branch: %v", err)
	}
	if resp := do(t, http.MethodGet, s.URL()+"repos/acme/config/branches/stagehand/staging/web", tok, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("unescaped slashed branch: %d", resp.StatusCode)
	}

	// Deleting a PR's head branch closes the PR, as on GitHub.
	if _, err := s.Commit("feature", "work", map[string][]byte{"f.txt": []byte("f\n")}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("f"), Head: github.String("feature"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gh.Git.DeleteRef(ctx, owner, repo, "heads/feature"); err != nil {
		t.Fatal(err)
	}
	got, _, err := gh.PullRequests.Get(ctx, owner, repo, pr.GetNumber())
	if err != nil || got.GetState() != "closed" || got.GetMerged() {
		t.Errorf("after branch deletion: %q merged %v %v", got.GetState(), got.GetMerged(), err)
	}
	_, err = gh.Git.DeleteRef(ctx, owner, repo, "heads/feature")
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusUnprocessableEntity || er.Message != "Reference does not exist" {
		t.Errorf("second delete: %d %q", er.Response.StatusCode, er.Message)
	}
	_, _, err = gh.Git.UpdateRef(ctx, owner, repo, &github.Reference{Ref: github.String("refs/heads/feature"), Object: &github.GitObject{SHA: github.String(head)}}, true)
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusUnprocessableEntity || er.Message != "Reference does not exist" {
		t.Errorf("update of a deleted ref: %d %q", er.Response.StatusCode, er.Message)
	}
	// No commits between main and a branch at main.
	if err := mk("refs/heads/same", head); err != nil {
		t.Fatal(err)
	}
	_, _, err = gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("same"), Head: github.String("same"), Base: github.String("main")})
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusUnprocessableEntity || len(er.Errors) != 1 || er.Errors[0].Message != "No commits between main and same" {
		t.Errorf("empty PR: %d %+v", er.Response.StatusCode, er.Errors)
	}
	// A protected branch takes no push that its required checks have not passed.
	s.SetRequiredChecks("main", "ci/test")
	next, err := s.Commit("next", "next", map[string][]byte{"n.txt": []byte("n\n")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = gh.Git.UpdateRef(ctx, owner, repo, &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: github.String(next)}}, false)
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("push to protected main: %d %q", er.Response.StatusCode, er.Message)
	}
}

func TestCommitsAndPulls(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()
	var shas []string
	for i, name := range []string{"a", "b", "c"} {
		sha, err := s.Commit("main", "add "+name, map[string][]byte{name + ".txt": []byte{byte('0' + i)}})
		if err != nil {
			t.Fatal(err)
		}
		shas = append(shas, sha)
	}
	page1, resp, err := gh.Repositories.ListCommits(ctx, owner, repo, &github.CommitsListOptions{SHA: "main", ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil || len(page1) != 2 || page1[0].GetSHA() != shas[2] || page1[1].GetSHA() != shas[1] || resp.NextPage != 2 {
		t.Fatalf("page 1: %d %v next %d", len(page1), err, resp.NextPage)
	}
	page2, resp, err := gh.Repositories.ListCommits(ctx, owner, repo, &github.CommitsListOptions{SHA: "main", ListOptions: github.ListOptions{PerPage: 2, Page: 2}})
	if err != nil || len(page2) != 2 || page2[0].GetSHA() != shas[0] || resp.NextPage != 0 {
		t.Fatalf("page 2: %d %v next %d", len(page2), err, resp.NextPage)
	}
	byPath, _, err := gh.Repositories.ListCommits(ctx, owner, repo, &github.CommitsListOptions{Path: "b.txt"})
	if err != nil || len(byPath) != 1 || byPath[0].GetSHA() != shas[1] || byPath[0].GetAuthor().GetLogin() != "developer" {
		t.Fatalf("by path: %d %v", len(byPath), err)
	}
	one, _, err := gh.Repositories.GetCommit(ctx, owner, repo, shas[1], nil)
	if err != nil || len(one.Files) != 1 || one.Files[0].GetFilename() != "b.txt" || one.Files[0].GetStatus() != "added" {
		t.Fatalf("get commit: %v", err)
	}

	if _, err := s.Commit("topic", "topic", map[string][]byte{"a.txt": []byte("changed\n"), "c.txt": nil}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("topic"), Head: github.String("topic"), Base: github.String("main"), Draft: github.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := gh.PullRequests.ListFiles(ctx, owner, repo, pr.GetNumber(), nil)
	if err != nil || len(files) != 2 || files[0].GetStatus() != "modified" || files[1].GetStatus() != "removed" || files[0].GetPatch() == "" {
		t.Fatalf("files: %v", err)
	}
	if _, _, err := gh.PullRequests.Merge(ctx, owner, repo, pr.GetNumber(), "", nil); apiErr(t, err).Response.StatusCode != http.StatusMethodNotAllowed {
		t.Error("draft merged")
	}
	upd, _, err := gh.PullRequests.Edit(ctx, owner, repo, pr.GetNumber(), &github.PullRequest{Title: github.String("topic, renamed"), Body: github.String("b")})
	if err != nil || upd.GetTitle() != "topic, renamed" || upd.GetBody() != "b" {
		t.Fatalf("edit: %v", err)
	}
	closed, _, err := gh.PullRequests.Edit(ctx, owner, repo, pr.GetNumber(), &github.PullRequest{State: github.String("closed")})
	if err != nil || closed.GetState() != "closed" {
		t.Fatalf("close: %v", err)
	}
	all, _, err := gh.PullRequests.List(ctx, owner, repo, &github.PullRequestListOptions{State: "closed"})
	if err != nil || len(all) != 1 {
		t.Fatalf("closed list: %d %v", len(all), err)
	}
	open, _, err := gh.PullRequests.List(ctx, owner, repo, nil)
	if err != nil || len(open) != 0 {
		t.Fatalf("open list: %d %v", len(open), err)
	}

	// A squash merge has one parent; rebase is refused.
	if _, err := s.Commit("squashme", "s", map[string][]byte{"s.txt": []byte("s\n")}); err != nil {
		t.Fatal(err)
	}
	sq, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("squash"), Head: github.String("squashme"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.PullRequests.Merge(ctx, owner, repo, sq.GetNumber(), "", &github.PullRequestOptions{MergeMethod: "rebase"}); apiErr(t, err).Response.StatusCode != http.StatusMethodNotAllowed {
		t.Error("rebase accepted")
	}
	res, _, err := gh.PullRequests.Merge(ctx, owner, repo, sq.GetNumber(), "", &github.PullRequestOptions{MergeMethod: "squash"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := gh.Repositories.GetCommit(ctx, owner, repo, res.GetSHA(), nil)
	if err != nil || len(c.Parents) != 1 || c.GetCommit().GetMessage() != "squash (#2)" {
		t.Errorf("squash commit: %d parents, %q, %v", len(c.Parents), c.GetCommit().GetMessage(), err)
	}
}
