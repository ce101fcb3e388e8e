package githubfake

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// receiver is a webhook endpoint that keeps what it got.
type receiver struct {
	mu   sync.Mutex
	got  []received
	code int
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	rc := &receiver{code: http.StatusAccepted}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Clone(), body})
		code := rc.code
		rc.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// kind is "event" or "event.action" of a delivery.
func kind(r received) string {
	var p struct {
		Action string `json:"action"`
	}
	_ = json.Unmarshal(r.body, &p)
	k := r.header.Get("X-GitHub-Event")
	if p.Action != "" {
		k += "." + p.Action
	}
	return k
}

const hookSecret = "It's a Secret to Everybody"

func webhookOptions(t *testing.T, url string) Options {
	opts := seededOptions(t)
	opts.Webhook = &Webhook{URL: url, Secret: hookSecret, Active: true}
	return opts
}

func waitHooks(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookStory: what the App and people do arrives, in order, signed
// as GitHub signs, every payload valid by GitHub's webhook description
// (NewTest fails the test on any that is not).
func TestWebhookStory(t *testing.T) {
	ctx := context.Background()
	rc, srv := newReceiver(t)
	s := NewTest(t, webhookOptions(t, srv.URL))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()

	if err := createRef(ctx, gh, s, "topic"); err != nil {
		t.Fatal(err)
	}
	first, err := s.Commit("topic", "person's change", map[string][]byte{"a.txt": []byte("a\n")})
	if err != nil {
		t.Fatal(err)
	}
	pr, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("topic"), Head: github.String("topic"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Issues.CreateComment(ctx, owner, repo, pr.GetNumber(), &github.IssueComment{Body: github.String("planning")}); err != nil {
		t.Fatal(err)
	}
	s.AddComment(pr.GetNumber(), "alice", "/stagehand promote")
	s.SetStatus(first, "ci/test", "success")
	if _, _, err := gh.Checks.CreateCheckRun(ctx, owner, repo, github.CreateCheckRunOptions{Name: "stagehand/plan", HeadSHA: first, Conclusion: github.String("success"),
		Output: &github.CheckRunOutput{Title: github.String("Plan"), Summary: github.String("ok")}}); err != nil {
		t.Fatal(err)
	}
	s.SetCheckRun(first, "ci/lint", "completed", "failure")
	if _, _, err := gh.PullRequests.Edit(ctx, owner, repo, pr.GetNumber(), &github.PullRequest{Title: github.String("topic, edited")}); err != nil {
		t.Fatal(err)
	}
	second, err := s.Commit("topic", "second change", map[string][]byte{"a.txt": nil, "b/c.txt": []byte("c\n")})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := gh.PullRequests.Merge(ctx, owner, repo, pr.GetNumber(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gh.Git.DeleteRef(ctx, owner, repo, "heads/topic"); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, s)

	got := rc.all()
	var kinds []string
	for _, r := range got {
		kinds = append(kinds, kind(r))
	}
	want := []string{
		"push",                     // the App creates topic
		"push",                     // a person pushes to it
		"pull_request.opened",      //
		"issue_comment.created",    // the App's comment
		"issue_comment.created",    // alice's
		"status",                   //
		"check_run.completed",      // the App's
		"check_run.completed",      // CI's
		"pull_request.edited",      //
		"push",                     // second commit
		"pull_request.synchronize", //
		"push",                     // the merge moves main
		"pull_request.closed",      //
		"push",                     // topic deleted
	}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("deliveries:\n got %v\nwant %v", kinds, want)
	}
	for i, r := range got {
		mac := hmac.New(sha256.New, []byte(hookSecret))
		mac.Write(r.body)
		if sig := r.header.Get("X-Hub-Signature-256"); sig != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("delivery %d: signature %q does not verify", i, sig)
		}
		if !strings.HasPrefix(r.header.Get("User-Agent"), "GitHub-Hookshot/") || len(r.header.Get("X-GitHub-Delivery")) != 36 ||
			r.header.Get("X-GitHub-Hook-ID") == "" || r.header.Get("X-GitHub-Hook-Installation-Target-Type") != "integration" ||
			r.header.Get("X-GitHub-Hook-Installation-Target-ID") != "1" || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("delivery %d: headers %v", i, r.header)
		}
		var p struct {
			Installation struct{ ID int64 } `json:"installation"`
			Repository   struct {
				FullName string `json:"full_name"`
			}
			Sender struct{ Login string }
		}
		if err := json.Unmarshal(r.body, &p); err != nil || p.Installation.ID != 42 || p.Repository.FullName != "acme/config" || p.Sender.Login == "" {
			t.Errorf("delivery %d: envelope %+v %v", i, p, err)
		}
	}

	// The second push: what changed, as paths.
	var push github.PushEvent
	if err := json.Unmarshal(got[9].body, &push); err != nil {
		t.Fatal(err)
	}
	if push.GetAfter() != second || push.GetBefore() != first || push.GetCreated() || push.GetForced() || len(push.Commits) != 1 ||
		strings.Join(push.Commits[0].Added, ",") != "b/c.txt" || strings.Join(push.Commits[0].Removed, ",") != "a.txt" || push.GetPusher().GetName() != "developer" {
		t.Errorf("push: %+v", push)
	}
	// The merge: main moves to the merge commit, pushed by the App.
	if err := json.Unmarshal(got[11].body, &push); err != nil {
		t.Fatal(err)
	}
	if push.GetRef() != "refs/heads/main" || push.GetAfter() != res.GetSHA() || push.GetSender().GetLogin() != "stagehand[bot]" || push.GetHeadCommit().GetID() != res.GetSHA() {
		t.Errorf("merge push: ref %s after %s sender %s", push.GetRef(), push.GetAfter(), push.GetSender().GetLogin())
	}
	var closed github.PullRequestEvent
	if err := json.Unmarshal(got[12].body, &closed); err != nil {
		t.Fatal(err)
	}
	if !closed.GetPullRequest().GetMerged() || closed.GetPullRequest().GetMergeCommitSHA() != res.GetSHA() || closed.GetNumber() != pr.GetNumber() {
		t.Errorf("closed: merged %v", closed.GetPullRequest().GetMerged())
	}
	var deleted github.PushEvent
	if err := json.Unmarshal(got[13].body, &deleted); err != nil {
		t.Fatal(err)
	}
	if !deleted.GetDeleted() || deleted.GetAfter() != zeroSHA || deleted.HeadCommit != nil {
		t.Errorf("delete push: %+v", deleted)
	}
	var cmt github.IssueCommentEvent
	if err := json.Unmarshal(got[4].body, &cmt); err != nil {
		t.Fatal(err)
	}
	if cmt.GetComment().GetUser().GetLogin() != "alice" || !cmt.GetIssue().IsPullRequest() {
		t.Errorf("alice's comment: %+v", cmt)
	}
	var run github.CheckRunEvent
	if err := json.Unmarshal(got[6].body, &run); err != nil {
		t.Fatal(err)
	}
	if run.GetCheckRun().GetCheckSuite().GetHeadBranch() != "topic" || len(run.GetCheckRun().PullRequests) != 1 {
		t.Errorf("check run: %+v", run.GetCheckRun())
	}
	var st github.StatusEvent
	if err := json.Unmarshal(got[5].body, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Branches) != 1 || st.Branches[0].GetName() != "topic" {
		t.Errorf("status branches: %+v", st.Branches)
	}
	if ds := s.Deliveries(); len(ds) != len(want) || ds[0].Status != http.StatusAccepted || ds[0].Event != "push" {
		t.Errorf("Deliveries: %d, first %+v", len(ds), ds[0])
	}
}

// TestWebhookSignatureVector: GitHub's documented example signs as the
// fake signs.
func TestWebhookSignatureVector(t *testing.T) {
	if got := sign(sha256.New, "It's a Secret to Everybody", []byte("Hello, World!")); got != "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" {
		t.Errorf("signature %s", got)
	}
}

// TestWebhookFailuresAreNotRetried: a receiver's error and an unreachable
// receiver are recorded once each, as GitHub records them.
func TestWebhookFailuresAreNotRetried(t *testing.T) {
	rc, srv := newReceiver(t)
	rc.code = http.StatusInternalServerError
	s := NewTest(t, webhookOptions(t, srv.URL))
	if _, err := s.Commit("main", "one", map[string][]byte{"x": []byte("1")}); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, s)
	s.SetWebhook(Webhook{URL: "http://127.0.0.1:1/unreachable", Active: true})
	if _, err := s.Commit("main", "two", map[string][]byte{"x": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, s)
	s.SetWebhook(Webhook{URL: srv.URL, Secret: hookSecret, Active: false})
	if _, err := s.Commit("main", "three", map[string][]byte{"x": []byte("3")}); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, s)
	ds := s.Deliveries()
	if len(ds) != 2 || ds[0].Status != http.StatusInternalServerError || ds[1].Status != 0 || ds[1].Err == "" || ds[1].Header.Get("X-Hub-Signature-256") != "" {
		t.Fatalf("deliveries: %+v", ds)
	}
	if n := len(rc.all()); n != 1 {
		t.Errorf("the receiver got %d deliveries; a failure is not retried", n)
	}
}

// TestWebhookPayloadViolation: a payload that breaks GitHub's webhook
// description is recorded, like a bad response.
func TestWebhookPayloadViolation(t *testing.T) {
	_, srv := newReceiver(t)
	opts := webhookOptions(t, srv.URL)
	opts.Validate = true
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.mu.Lock()
	s.enqueue("push", "", map[string]any{"ref": "refs/heads/main"})
	s.mu.Unlock()
	waitHooks(t, s)
	if v := s.Violations(); len(v) != 1 || !strings.Contains(v[0], "webhook push") || !strings.Contains(v[0], "missing properties") {
		t.Errorf("violations %q", v)
	}
}

func TestWebhookOptions(t *testing.T) {
	opts := seededOptions(t)
	opts.Webhook = &Webhook{URL: "not a url", Active: true}
	if _, err := New(opts); err == nil {
		t.Error("an active webhook without a URL is accepted")
	}
}

// TestWebhookPullRequestLifecycle: closed without merging, reopened, and
// a lost response to a write still delivers the write's events.
func TestWebhookPullRequestLifecycle(t *testing.T) {
	ctx := context.Background()
	rc, srv := newReceiver(t)
	s := NewTest(t, webhookOptions(t, srv.URL))
	gh, _ := installationClient(t, s)
	pr, _ := openPR(t, gh, s, "topic", map[string][]byte{"a.txt": []byte("a\n")})
	if _, _, err := gh.PullRequests.Edit(ctx, s.Owner(), s.Repo(), pr.GetNumber(), &github.PullRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.PullRequests.Edit(ctx, s.Owner(), s.Repo(), pr.GetNumber(), &github.PullRequest{State: github.String("open")}); err != nil {
		t.Fatal(err)
	}
	s.SetFaults(func(_ *http.Request, opID string) Fault {
		if opID == "pulls/merge" {
			return FaultLostResponse
		}
		return FaultNone
	})
	if _, _, err := gh.PullRequests.Merge(ctx, s.Owner(), s.Repo(), pr.GetNumber(), "", nil); err == nil {
		t.Fatal("the merge's answer was not lost")
	}
	waitHooks(t, s)
	var kinds []string
	var merged []bool
	for _, r := range rc.all() {
		kinds = append(kinds, kind(r))
		if kind(r) == "pull_request.closed" {
			var ev github.PullRequestEvent
			if err := json.Unmarshal(r.body, &ev); err != nil {
				t.Fatal(err)
			}
			merged = append(merged, ev.GetPullRequest().GetMerged())
		}
	}
	want := "push pull_request.opened pull_request.closed pull_request.reopened push pull_request.closed"
	if strings.Join(kinds, " ") != want {
		t.Errorf("deliveries %v, want %s", kinds, want)
	}
	if len(merged) != 2 || merged[0] || !merged[1] {
		t.Errorf("merged flags %v, want [false true]", merged)
	}
}

// TestWebhookPushShapes: a branch made at main's head names main as its
// base_ref and brings no commits; a forced update says so.
func TestWebhookPushShapes(t *testing.T) {
	ctx := context.Background()
	rc, srv := newReceiver(t)
	s := NewTest(t, webhookOptions(t, srv.URL))
	gh, _ := installationClient(t, s)
	main, _ := s.Head("main")
	if err := createRef(ctx, gh, s, "topic"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit("topic", "one", map[string][]byte{"x": []byte("1")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Git.UpdateRef(ctx, s.Owner(), s.Repo(), &github.Reference{Ref: github.String("refs/heads/topic"), Object: &github.GitObject{SHA: github.String(main)}}, true); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, s)
	got := rc.all()
	if len(got) != 3 {
		t.Fatalf("%d deliveries", len(got))
	}
	var created, forced github.PushEvent
	if err := json.Unmarshal(got[0].body, &created); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got[2].body, &forced); err != nil {
		t.Fatal(err)
	}
	if !created.GetCreated() || created.GetBefore() != zeroSHA || created.GetBaseRef() != "refs/heads/main" || len(created.Commits) != 0 || created.GetHeadCommit().GetID() != main {
		t.Errorf("created: %+v", created)
	}
	if !forced.GetForced() || forced.GetAfter() != main || len(forced.Commits) != 0 {
		t.Errorf("forced: %+v", forced)
	}
}
