package main

// End-to-end test of the promotions issue (`dashboard: issue`) against a
// running `stagehand serve`, with the world of internal/testkit/e2e: people
// edit the issue through the GitHub stand-in, which sends stagehand the
// issues edited events GitHub sends.

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// issueWorld is a running stagehand, one app, and the promotions issue
// of one config repository.
type issueWorld struct {
	*e2e.World
	a  e2e.App
	gh *githubfake.Server // the repository; nil for the world's own
}

// repo is the stand-in of the issue's repository.
func (w *issueWorld) repo() *githubfake.Server {
	if w.gh != nil {
		return w.gh
	}
	return w.GitHub
}

// issue is the promotions issue once its body holds every one of want.
func (w *issueWorld) issue(t *testing.T, what string, want ...string) githubfake.Issue {
	t.Helper()
	var got githubfake.Issue
	w.Eventually(t, what, func() (bool, string) {
		list := w.repo().Issues("stagehand")
		if len(list) != 1 {
			return false, fmt.Sprintf("%d issues labelled stagehand", len(list))
		}
		got = list[0]
		for _, s := range want {
			if !strings.Contains(got.Body, s) {
				return false, fmt.Sprintf("the body lacks %q:\n%s", s, got.Body)
			}
		}
		return true, ""
	})
	return got
}

// box is the line of the issue's checkbox promoting the app into stage.
func (w *issueWorld) box(t *testing.T, body, stage string) string {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "- [ ] promote "+w.a.Name+" ") && strings.HasSuffix(line, "<!-- stagehand:promote "+w.a.Name+" "+stage+" -->") {
			return line
		}
	}
	t.Fatalf("no box promoting %s into %s in:\n%s", w.a.Name, stage, body)
	return ""
}

// tick is login ticking the box into stage; it returns stagehand's answer
// in the issue.
func (w *issueWorld) tick(t *testing.T, login, stage string) string {
	t.Helper()
	is := w.issue(t, "the issue before "+login+" ticks")
	line := w.box(t, is.Body, stage)
	before := len(w.repo().CommentsOn(is.Number))
	if !w.repo().EditIssueBody(is.Number, login, strings.Replace(is.Body, line, strings.Replace(line, "- [ ]", "- [x]", 1), 1)) {
		t.Fatal("no issue to edit")
	}
	var reply string
	w.Eventually(t, "an answer to "+login+"'s tick", func() (bool, string) {
		cs := w.repo().CommentsOn(is.Number)
		for _, c := range cs[min(before, len(cs)):] {
			if strings.HasSuffix(c.User, "[bot]") && strings.HasPrefix(c.Body, "@"+login+" ") {
				reply = c.Body
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d comments", len(cs))
	})
	return reply
}

// push pushes tag, notifies stagehand, and waits for staging (auto-merge)
// to pin it.
func (w *issueWorld) push(t *testing.T, tag string, pushes int) string {
	t.Helper()
	d := w.Push(t, w.a, tag)
	if code, answer := w.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, w.a.Image, tag, d))); code != http.StatusAccepted {
		t.Fatalf("push %s: %d %q", tag, code, answer)
	}
	w.Eventually(t, "the push of "+tag+" worked", w.JobsDone(t, "push", pushes))
	return d
}

// TestServePromotionsIssue: without `dashboard: issue` there is no issue;
// with it, one, kept current after merges and promotions. A writer's
// ticked box promotes (a PR into the next stage, answered in the issue); a
// reader's is refused and unticked; anyone's other edit is undone.
func TestServePromotionsIssue(t *testing.T) {
	t.Parallel()
	e := e2e.Start(t, e2e.Options{Run: run})
	w := &issueWorld{World: e, a: e.App("generic")}
	w.GitHub.SetPermission("reader", "read")
	w.GitHub.SetPermission("writer", "write")

	d100 := w.push(t, "1.0.0", 1)
	if list := w.GitHub.Issues(""); len(list) != 0 {
		t.Fatalf("without dashboard: issue, stagehand opened %+v", list)
	}

	// Turning it on opens the issue, with the matrix as main pins it.
	cfg, err := w.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Commit("main", "Keep a promotions issue", map[string][]byte{".stagehand.yaml": append(cfg, "dashboard: issue\n"...)}); err != nil {
		t.Fatal(err)
	}
	is := w.issue(t, "the issue opened", "| **"+w.a.Name+"** |", "`1.0.0` `"+d100[:len("sha256:")+12]+"`", "to preprod")
	if is.Title != "stagehand: promotions" || is.User != "stagehand[bot]" || is.State != "open" {
		t.Errorf("issue %+v", is)
	}

	// The staging merge opened a PR into preprod (a pull-request stage); a
	// person merges it, and the issue shows preprod running 1.0.0 with a
	// box to promote it into prod.
	pre, ok := w.PR(promote.Branch(w.a.Name, "preprod"))
	if !ok || pre.State != "open" {
		t.Fatalf("no preprod PR: %+v", pre)
	}
	if _, err := w.GitHub.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	is = w.issue(t, "the issue after the preprod merge", fmt.Sprintf("([#%d](", pre.Number), "promote "+w.a.Name+" 1.0.0 ("+d100[:len("sha256:")+12]+") to prod")
	if strings.Contains(is.Body, "to preprod <!--") {
		t.Errorf("preprod runs what staging runs, yet the issue offers to promote into it:\n%s", is.Body)
	}

	// A reader may not promote: refused in the issue, the box unticked.
	reply := w.tick(t, "reader", "prod")
	if !strings.Contains(reply, "may not promote into prod") {
		t.Errorf("the reader's tick: %q", reply)
	}
	is = w.issue(t, "the reader's tick undone", "- [ ] promote "+w.a.Name+" 1.0.0")
	if strings.Contains(is.Body, "- [x]") {
		t.Errorf("the reader's box is still ticked:\n%s", is.Body)
	}
	if pr, ok := w.PR(promote.Branch(w.a.Name, "prod")); ok && pr.State == "open" {
		t.Fatalf("a reader's tick opened PR #%d", pr.Number)
	}

	// A writer's tick is their /promote: a PR into prod, answered here.
	reply = w.tick(t, "writer", "prod")
	prod, ok := w.PR(promote.Branch(w.a.Name, "prod"))
	if !ok || prod.State != "open" {
		t.Fatalf("the writer's tick opened no PR into prod: %+v; reply %q", prod, reply)
	}
	if want := fmt.Sprintf("`1.0.0` (`%s`) → prod: opened", d100); !strings.Contains(reply, want) || !strings.Contains(reply, fmt.Sprintf("/pull/%d", prod.Number)) {
		t.Errorf("the writer's tick: %q, want %q and a link to #%d", reply, want, prod.Number)
	}
	w.issue(t, "the issue showing the prod PR", fmt.Sprintf("**PR open** #%d", prod.Number))
	if _, err := w.GitHub.MergeAsUser(prod.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	is = w.issue(t, "the issue after the prod merge", "Nothing to promote", fmt.Sprintf("([#%d](", prod.Number))

	// Someone's other edit is undone.
	w.GitHub.EditIssueBody(is.Number, "writer", is.Body+"\nShip it on Friday!\n")
	w.Eventually(t, "the edit undone", func() (bool, string) {
		now := w.GitHub.Issues("stagehand")[0].Body
		return now == is.Body, now + "\nwant:\n" + is.Body
	})
	if n := len(w.GitHub.Issues("")); n != 1 {
		t.Errorf("%d issues, want the one", n)
	}

	// Another process, remembering nothing (a database of its own), finds
	// the issue again by its labels and marker: it rewrites it with the
	// board it knows (no merges recorded), and opens no second one.
	w.Stop(t)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &e2e.Buffer{}, &e2e.Buffer{}
	done := make(chan int, 1)
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--github-webhook-secret", e2e.GitHubSecret, "--reconcile-interval", "0",
		"--database-url", filepath.Join(t.TempDir(), "again.db")}, w.GitHubFlags()...)
	go func() { done <- run(ctx, args, stdout, stderr) }()
	defer func() {
		cancel()
		<-done
	}()
	w.Eventually(t, "the second process rewrote the issue", func() (bool, string) {
		list := w.GitHub.Issues("")
		return len(list) == 1 && !strings.Contains(list[0].Body, fmt.Sprintf("([#%d](", prod.Number)), fmt.Sprintf("%d issues; log:\n%s", len(list), stderr)
	})
	if n := len(w.GitHub.Issues("")); n != 1 {
		t.Errorf("%d issues after a restart, want the one", n)
	}
}
