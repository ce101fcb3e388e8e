package main

// End-to-end test of /rollback against a running `stagehand serve`, with
// the world of internal/testkit/e2e; what is new here starts with rb.

import (
	"fmt"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// rbWorld drives one app of a running stagehand by comments on one PR.
type rbWorld struct {
	*e2e.World
	a  e2e.App
	on githubfake.PullRequest // the PR the comments are made on
}

// say comments body as login and waits for stagehand's answer, which must
// contain each of want.
func (w *rbWorld) say(t *testing.T, login, body string, want ...string) string {
	t.Helper()
	code, got := w.Comment(t, w.on.Number, login, body)
	if code != http.StatusAccepted {
		t.Fatalf("%s: %d", body, code)
	}
	for _, s := range want {
		if !strings.Contains(got, s) {
			t.Fatalf("%s by %s: reply %q, want %q", body, login, got, s)
		}
	}
	return got
}

// rbMerge merges the open PR of the app's stage as a person would.
func (w *rbWorld) rbMerge(t *testing.T, stage string) githubfake.PullRequest {
	t.Helper()
	pr, ok := w.PR(promote.Branch(w.a.Name, stage))
	if !ok || pr.State != "open" {
		t.Fatalf("no open %s PR to merge: %+v", stage, pr)
	}
	if _, err := w.GitHub.MergeAsUser(pr.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	pr, _ = w.PR(promote.Branch(w.a.Name, stage))
	return pr
}

// rbPush pushes tag to the registry, notifies stagehand, and waits for
// staging, which auto-merges, to pin it.
func (w *rbWorld) rbPush(t *testing.T, tag string, pushes int) string {
	t.Helper()
	d := w.Push(t, w.a, tag)
	if code, answer := w.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, w.a.Image, tag, d))); code != http.StatusAccepted {
		t.Fatalf("push %s: %d %q", tag, code, answer)
	}
	w.Eventually(t, "the push of "+tag+" worked", w.JobsDone(t, "push", pushes))
	if got := w.rbPinned(t, "staging"); got != tag+"@"+d {
		t.Fatalf("staging pins %s after the push of %s@%s", got, tag, d)
	}
	return d
}

// rbPinned is what main pins for the app in stage, as tag@digest.
func (w *rbWorld) rbPinned(t *testing.T, stage string) string {
	t.Helper()
	file := path.Join("apps", w.a.Name, "overlays", stage, "kustomization.yaml")
	data, err := w.GitHub.FileAt("main", file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := manifest.Current(file, data, w.a.Image)
	if err != nil {
		t.Fatal(err)
	}
	return p.Tag + "@" + p.Digest
}

// TestServeRollback: 1.0.0 and then 1.1.0 reach prod; a writer's
// `/rollback <app> prod` opens a PR restoring 1.0.0 in prod alone and
// holds prod, so a /promote into it is refused until `/release`, after
// which promotions move again. A reader may not roll back.
func TestServeRollback(t *testing.T) {
	t.Parallel()
	e := e2e.Start(t, e2e.Options{Run: run})
	w := &rbWorld{World: e, a: e.App("generic")}
	w.GitHub.SetPermission("reader", "read")
	w.GitHub.SetPermission("writer", "write")
	prod := promote.Branch(w.a.Name, "prod")

	// Each staging merge moves the image on to preprod by itself (a
	// pull-request stage); prod is manual, so a writer promotes it.
	d100 := w.rbPush(t, "1.0.0", 1)
	w.on, _ = w.PR(promote.Branch(w.a.Name, "staging"))
	w.say(t, "writer", "/promote "+w.a.Name+" to preprod", "→ preprod: ")
	w.rbMerge(t, "preprod")
	w.say(t, "writer", "/promote "+w.a.Name+" to prod", "→ prod: opened")
	w.rbMerge(t, "prod")
	d110 := w.rbPush(t, "1.1.0", 2)
	w.say(t, "writer", "/promote "+w.a.Name+" to preprod", "→ preprod: ")
	w.rbMerge(t, "preprod")
	w.say(t, "writer", "/promote "+w.a.Name+" to prod", "→ prod: opened")
	w.rbMerge(t, "prod")
	if got := w.rbPinned(t, "prod"); got != "1.1.0@"+d110 {
		t.Fatalf("prod pins %s before the rollback", got)
	}

	w.say(t, "reader", "/rollback "+w.a.Name+" prod", "@reader may not roll back prod")
	if pr, _ := w.PR(prod); pr.State == "open" {
		t.Fatal("a reader's rollback opened a PR")
	}

	head, err := w.GitHub.Head("main")
	if err != nil {
		t.Fatal(err)
	}
	w.say(t, "writer", "/rollback "+w.a.Name+" prod",
		"rollback of "+w.a.Name+" in prod to `1.0.0` (`"+d100+"`): opened",
		"held; `/release "+w.a.Name+" prod` to let promotions move again")
	rb, ok := w.PR(prod)
	if !ok || rb.State != "open" || rb.Title != "Roll back "+w.a.Name+" in prod to 1.0.0" {
		t.Fatalf("rollback PR: %+v", rb)
	}
	if m, ok, err := promote.ParseMarker(rb.Body); err != nil || !ok || !m.Rollback || m.Digest != d100 {
		t.Fatalf("rollback PR marker %+v (%v)", m, err)
	}
	if !strings.Contains(w.LastComment(w.on.Number), fmt.Sprintf("/pull/%d", rb.Number)) {
		t.Errorf("the reply does not link PR #%d: %q", rb.Number, w.LastComment(w.on.Number))
	}
	if now, _ := w.GitHub.Head("main"); now != head {
		t.Fatal("the rollback changed main instead of opening a PR")
	}

	// A person merges the rollback; GitHub tells stagehand.
	rb = w.rbMerge(t, "prod")
	w.Eventually(t, "the merged rollback worked", func() (bool, string) {
		_, err := w.GitHub.Head(prod)
		return err != nil, "branch " + prod + " still there"
	})
	for stage, want := range map[string]string{"staging": "1.1.0@" + d110, "preprod": "1.1.0@" + d110, "prod": "1.0.0@" + d100} {
		if got := w.rbPinned(t, stage); got != want {
			t.Errorf("%s pins %s after the rollback, want %s", stage, got, want)
		}
	}

	w.say(t, "writer", "/promote "+w.a.Name+" to prod", "is held in prod by @writer after a rollback", "`/release "+w.a.Name+" prod`")
	if pr, _ := w.PR(prod); pr.Number != rb.Number {
		t.Fatalf("a promotion into held prod opened PR #%d", pr.Number)
	}
	w.say(t, "writer", "/release "+w.a.Name+" prod", "is released in prod")
	w.say(t, "writer", "/promote "+w.a.Name+" to prod", "`1.1.0` (`"+d110+"`) → prod: opened")
}
