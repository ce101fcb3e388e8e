package githubapp

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
)

const seedDir = "../../testdata/configrepo"

// fakeClient starts the GitHub stand-in seeded with the sample config repo
// and a client that finds its installation itself.
func fakeClient(t testing.TB) (*githubfake.Server, *Client) {
	t.Helper()
	key, err := testKey() // shared with the stub tests: RSA generation is slow
	if err != nil {
		t.Fatal(err)
	}
	s := githubfake.NewTest(t, githubfake.Options{Seed: seedDir, AppKey: &key.PublicKey, AppID: testAppID})
	c, err := New(context.Background(), Options{
		APIURL:     s.URL(),
		AppID:      testAppID,
		PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		Repo:       s.Owner() + "/" + s.Repo(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, c // NewTest fails the test on any request or response off GitHub's description
}

// calls runs f and returns how many REST calls it made.
func calls(t *testing.T, c *Client, f func() error) int64 {
	t.Helper()
	before := c.Calls()
	if err := f(); err != nil {
		t.Fatal(err)
	}
	return c.Calls() - before
}

func TestAgainstFakePromotionFlow(t *testing.T) {
	ctx := context.Background()
	s, c := fakeClient(t)
	if c.InstallationID() != s.InstallationID() {
		t.Fatalf("InstallationID = %d, want %d", c.InstallationID(), s.InstallationID())
	}
	if c.Calls() != 1 {
		t.Errorf("Calls after New = %d, want 1 (installation lookup)", c.Calls())
	}

	var main Branch
	if n := calls(t, c, func() (err error) { main, err = c.Branch(ctx, "main"); return err }); n != 1 {
		t.Errorf("Branch made %d calls, want 1", n)
	}
	got, err := c.ReadFile(ctx, ".stagehand.yaml", main.SHA)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(seedDir, ".stagehand.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("ReadFile(.stagehand.yaml) = %q, want the seeded %q", got, want)
	}
	if _, err := c.ReadFile(ctx, "apps/web", main.SHA); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile of a directory: %v, want ErrNotFound", err)
	}
	if _, err := c.ReadFile(ctx, "nope.yaml", main.SHA); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile of a missing file: %v, want ErrNotFound", err)
	}

	const path = "apps/web/overlays/staging/kustomization.yaml"
	const added = "apps/web/notes/deep/README.md"
	files := map[string][]byte{path: []byte("resources:\n- ../../base\nimages:\n- name: web\n  digest: sha256:abc\n"), added: []byte("hello\n")}
	var sha, tree string
	if n := calls(t, c, func() (err error) {
		sha, tree, err = c.CreateCommit(ctx, main, "Pin web in staging", files)
		return err
	}); n != 2 {
		t.Errorf("CreateCommit made %d calls, want 2", n)
	}
	for p, content := range files {
		if got, err := c.ReadFile(ctx, p, sha); err != nil || string(got) != string(content) {
			t.Errorf("ReadFile(%s) at the new commit = %q, %v; want %q", p, got, err, content)
		}
	}
	if got, err := c.ReadFile(ctx, ".stagehand.yaml", sha); err != nil || string(got) != string(want) {
		t.Errorf("untouched file at the new commit = %q, %v", got, err)
	}

	const head = "stagehand/web/staging"
	if created, err := c.CreateBranch(ctx, head, sha); err != nil || !created {
		t.Fatalf("CreateBranch = %v, %v; want true", created, err)
	}
	if created, err := c.CreateBranch(ctx, head, sha); err != nil || created {
		t.Fatalf("CreateBranch again = %v, %v; want false, nil", created, err)
	}
	if b, err := c.Branch(ctx, head); err != nil || b.SHA != sha || b.TreeSHA != tree {
		t.Errorf("the new branch = %+v, %v; want commit %s with the tree CreateCommit returned, %s", b, err, sha, tree)
	}

	pr, err := c.OpenPR(ctx, head, "main", "Promote web to staging", "digest sha256:abc")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number == 0 || pr.HeadSHA != sha || pr.Head != head || pr.Base != "main" || pr.State != "open" {
		t.Errorf("OpenPR = %+v", pr)
	}
	if _, err := c.OpenPR(ctx, head, "main", "again", ""); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate OpenPR: %v, want ErrConflict", err)
	}
	if found, err := c.FindOpenPR(ctx, head, "main"); err != nil || found == nil || found.Number != pr.Number {
		t.Errorf("FindOpenPR = %+v, %v; want #%d", found, err, pr.Number)
	}
	if found, err := c.FindOpenPR(ctx, "no-such-branch", "main"); err != nil || found != nil {
		t.Errorf("FindOpenPR for another head = %+v, %v; want nil, nil", found, err)
	}
	if err := c.AddLabels(ctx, pr.Number, "stagehand", "env:staging"); err != nil {
		t.Fatal(err)
	}
	if err := c.Comment(ctx, pr.Number, "Waiting for checks."); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdatePR(ctx, pr.Number, "Promote web to staging (sha256:abc)", "updated"); err != nil {
		t.Fatal(err)
	}
	read, err := c.GetPR(ctx, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(read.Labels, []string{"stagehand", "env:staging"}) || read.Title != "Promote web to staging (sha256:abc)" || read.Body != "updated" {
		t.Errorf("GetPR = %+v", read)
	}

	if names, err := c.RequiredChecks(ctx, "main"); err != nil || names != nil {
		t.Errorf("RequiredChecks on an unprotected branch = %q, %v; want none", names, err)
	}
	if _, err := c.Merge(ctx, pr.Number, main.SHA, "stale"); !errors.Is(err, ErrHeadMoved) {
		t.Errorf("Merge with a stale head SHA: %v, want ErrHeadMoved", err)
	}
	mergeSHA, err := c.Merge(ctx, pr.Number, sha, "Promote web to staging (#1)")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.ReadFile(ctx, path, "main"); err != nil || string(got) != string(files[path]) {
		t.Errorf("main after merge has %q, %v", got, err)
	}
	if b, err := c.Branch(ctx, "main"); err != nil || b.SHA != mergeSHA {
		t.Errorf("main = %+v, %v; want head %s", b, err, mergeSHA)
	}
	if merged, err := c.GetPR(ctx, pr.Number); err != nil || !merged.Merged || merged.MergeSHA != mergeSHA || merged.State != "closed" {
		t.Errorf("merged PR = %+v, %v", merged, err)
	}
	if err := c.DeleteBranch(ctx, head); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBranch(ctx, head); err != nil {
		t.Errorf("deleting a deleted branch: %v, want nil", err)
	}
	checkCallsAgree(t, s, c)
}

func TestAgainstFakeRequiredChecksHoldTheMerge(t *testing.T) {
	ctx := context.Background()
	s, c := fakeClient(t)
	s.SetRequiredChecks("main", "ci")

	names, err := c.RequiredChecks(ctx, "main")
	if err != nil || !slices.Equal(names, []string{"ci"}) {
		t.Fatalf("RequiredChecks = %q, %v; want [ci]", names, err)
	}
	main, err := c.Branch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	sha, _, err := c.CreateCommit(ctx, main, "Pin web in prod", map[string][]byte{"apps/web/overlays/prod/kustomization.yaml": []byte("images: []\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBranch(ctx, "stagehand/web/prod", sha); err != nil {
		t.Fatal(err)
	}
	pr, err := c.OpenPR(ctx, "stagehand/web/prod", "main", "Promote web to prod", "")
	if err != nil {
		t.Fatal(err)
	}

	if checks, err := c.Checks(ctx, sha); err != nil || len(checks) != 0 {
		t.Errorf("Checks before any report = %v, %v; want none", checks, err)
	}
	s.SetStatus(sha, "ci", "pending")
	if checks, err := c.Checks(ctx, sha); err != nil || !slices.Equal(checks, []Check{{"ci", "pending"}}) {
		t.Errorf("Checks = %v, %v; want ci pending", checks, err)
	}
	if _, err := c.Merge(ctx, pr.Number, sha, "t"); !errors.Is(err, ErrNotMergeable) {
		t.Errorf("Merge with ci pending: %v, want ErrNotMergeable", err)
	} else {
		t.Logf("GitHub's words reach the user: %v", err)
	}
	s.SetCheckRun(sha, "lint", "in_progress", "")
	s.SetStatus(sha, "ci", "success")
	if checks, err := c.Checks(ctx, sha); err != nil || !slices.Equal(checks, []Check{{"ci", "success"}, {"lint", "pending"}}) {
		t.Errorf("Checks = %v, %v; want ci success, lint pending", checks, err)
	}
	s.SetCheckRun(sha, "lint", "completed", "neutral")
	if checks, err := c.Checks(ctx, sha); err != nil || !slices.Equal(checks, []Check{{"ci", "success"}, {"lint", "success"}}) {
		t.Errorf("Checks = %v, %v; want both success", checks, err)
	}
	if _, err := c.Merge(ctx, pr.Number, sha, "Promote web to prod (#1)"); err != nil {
		t.Fatal(err)
	}

	// A superseded promotion: its pull request is closed unmerged.
	oldSHA, _, err := c.CreateCommit(ctx, main, "Pin web in preprod", map[string][]byte{"apps/web/overlays/preprod/kustomization.yaml": []byte("images: []\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBranch(ctx, "stagehand/web/preprod", oldSHA); err != nil {
		t.Fatal(err)
	}
	old, err := c.OpenPR(ctx, "stagehand/web/preprod", "main", "Promote web to preprod", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ClosePR(ctx, old.Number); err != nil {
		t.Fatal(err)
	}
	if closed, err := c.GetPR(ctx, old.Number); err != nil || closed.State != "closed" || closed.Merged {
		t.Errorf("closed PR = %+v, %v; want closed, not merged", closed, err)
	}
	if found, err := c.FindOpenPR(ctx, "stagehand/web/preprod", "main"); err != nil || found != nil {
		t.Errorf("FindOpenPR after close = %+v, %v; want nil, nil", found, err)
	}

	// Someone moves the branch by hand; stagehand resets it.
	if err := c.MoveBranch(ctx, "stagehand/web/prod", main.SHA); err != nil {
		t.Fatal(err)
	}
	if b, err := c.Branch(ctx, "stagehand/web/prod"); err != nil || b.SHA != main.SHA {
		t.Errorf("branch after MoveBranch = %+v, %v; want %s", b, err, main.SHA)
	}
	if err := c.MoveBranch(ctx, "no-such-branch", main.SHA); !errors.Is(err, ErrNotFound) {
		t.Errorf("MoveBranch of a missing branch: %v, want ErrNotFound", err)
	}
	checkCallsAgree(t, s, c)
}

// checkCallsAgree compares the client's count with the fake's, which sees
// every request including the token exchange the client leaves out.
func checkCallsAgree(t *testing.T, s *githubfake.Server, c *Client) {
	t.Helper()
	var total int64
	for op, n := range s.Calls() {
		if op != "apps/create-installation-access-token" {
			total += int64(n)
		}
	}
	if c.Calls() != total {
		t.Errorf("Calls = %d, fake counted %d: %v", c.Calls(), total, s.Calls())
	}
}

// BenchmarkCreateCommitAgainstFake reports the cost of one commit of two
// files; calls/op stays 2 however large the repository.
func BenchmarkCreateCommitAgainstFake(b *testing.B) {
	ctx := context.Background()
	_, c := fakeClient(b)
	main, err := c.Branch(ctx, "main")
	if err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{
		"apps/web/overlays/staging/kustomization.yaml": []byte("images: []\n"),
		"apps/web/overlays/prod/kustomization.yaml":    []byte("images: []\n"),
	}
	before := c.Calls()
	for b.Loop() {
		if _, _, err := c.CreateCommit(ctx, main, "bench", files); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.Calls()-before)/float64(b.N), "calls/op")
}

// The rate limit left is tracked from GitHub's answers; a GET of what did
// not change is revalidated (If-None-Match) and answered 304, which GitHub
// does not count, and the answer is the one kept; a GET of what changed
// costs a call and brings the change.
func TestAgainstFakeRateLimitIsTrackedAndRevalidationIsFree(t *testing.T) {
	s, c := fakeClient(t)
	ctx := context.Background()
	b1, err := c.Branch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	first := c.RateLimitRemaining()
	if first < 0 {
		t.Fatalf("rate limit left %d after an answer", first)
	}
	calls := c.Calls()
	b2, err := c.Branch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RateLimitRemaining(); got != first || b2 != b1 || c.Calls() != calls+1 {
		t.Fatalf("unchanged branch read again: rate limit %d (was %d), %+v (was %+v), %d calls (was %d); want a free 304 with the same answer",
			got, first, b2, b1, c.Calls(), calls)
	}
	moved, err := s.Commit("main", "move", map[string][]byte{"moved.txt": []byte("x\n")})
	if err != nil {
		t.Fatal(err)
	}
	b3, err := c.Branch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RateLimitRemaining(); got != first-1 || b3.SHA != moved {
		t.Fatalf("moved branch read: rate limit %d, want %d; head %s, want %s", got, first-1, b3.SHA, moved)
	}
}
