package main

// The promotion workflow's whole story against a running `stagehand
// serve`, driven only by what GitHub and a registry send: a push, merges
// (pull_request closed), comments (issue_comment) and a one-click link.

import (
	"fmt"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// stRendered is what kustomize builds for each stage of the app on main.
func (w *rbWorld) stRendered(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	if err := w.GitHub.Checkout("main", dir); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, stage := range []string{"staging", "preprod", "prod"} {
		img, err := demo.RenderImage(dir, path.Join("apps", w.a.Name, "overlays", stage), w.a.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[stage] = img
	}
	return out
}

// stExpect checks what each stage renders: "" is the pin the seed started with.
func (w *rbWorld) stExpect(t *testing.T, step string, staging, preprod, prod string) {
	t.Helper()
	got := w.stRendered(t)
	for stage, want := range map[string]string{"staging": staging, "preprod": preprod, "prod": prod} {
		if want == "" {
			want = w.a.Image + ":0.9.0"
		} else {
			want = w.a.Image + ":" + want
		}
		if got[stage] != want {
			t.Errorf("%s: %s renders %s, want %s", step, stage, got[stage], want)
		}
	}
}

// stMerged tells stagehand, as GitHub would, that a stage's PR was merged.
func (w *rbWorld) stMerged(t *testing.T, pr githubfake.PullRequest, closedJobs int) {
	t.Helper()
	// GitHub tells stagehand of the merge; stagehand removes the branch.
	w.Eventually(t, fmt.Sprintf("the merge of #%d worked", pr.Number), func() (bool, string) {
		ok, saw := w.JobsDone(t, "pr_closed", closedJobs)()
		_, err := w.GitHub.Head(pr.Head)
		return ok && err != nil, saw
	})
}

func TestServeWholeStory(t *testing.T) {
	t.Parallel()
	e := e2e.Start(t, e2e.Options{Run: run, ServeArgs: []string{"--public-url", lkPublicURL, "--link-secret", lkSecret}})
	w := &rbWorld{World: e, a: e.App("generic")}
	w.GitHub.SetPermission("reader", "read")
	w.GitHub.SetPermission("writer", "write")
	staging, preprod, prod := promote.Branch(w.a.Name, "staging"), promote.Branch(w.a.Name, "preprod"), promote.Branch(w.a.Name, "prod")

	// 1.0.0 walks all the way: staging auto-merges; its merge opens
	// preprod's PR; a person merges that; prod is manual, so the merged
	// preprod PR says how to promote, with a link.
	d100 := w.rbPush(t, "1.0.0", 1)
	w.stExpect(t, "1.0.0 pushed", "1.0.0@"+d100, "", "")
	st, _ := w.PR(staging)
	w.stMerged(t, st, 1)
	w.Eventually(t, "preprod's PR opened on staging's merge", func() (bool, string) {
		pr, ok := w.PR(preprod)
		return ok && pr.State == "open", ""
	})
	pre := w.rbMerge(t, "preprod")
	w.stMerged(t, pre, 2)
	w.stExpect(t, "preprod merged", "1.0.0@"+d100, "1.0.0@"+d100, "")
	w.Eventually(t, "the merged preprod PR's note on prod", func() (bool, string) {
		note := w.LastComment(pre.Number)
		return strings.Contains(note, "one click"), note
	})
	l := lkFind(t, w.LastComment(pre.Number), "one click")
	page := lkOpen(t, w.World, http.MethodGet, l, nil, "")
	if page.code != http.StatusOK {
		t.Fatalf("the link's page: %d\n%s", page.code, page.body)
	}
	if page = lkOpen(t, w.World, http.MethodPost, l, page.session, page.csrf); page.code != http.StatusOK {
		t.Fatalf("the link's promotion: %d\n%s", page.code, page.body)
	}
	w.stMerged(t, w.rbMerge(t, "prod"), 3)
	w.stExpect(t, "1.0.0 in prod by link", "1.0.0@"+d100, "1.0.0@"+d100, "1.0.0@"+d100)

	// 1.1.0: the same way to preprod; into prod by comment — a reader is
	// refused, a writer gets the PR.
	d110 := w.rbPush(t, "1.1.0", 2)
	st, _ = w.PR(staging)
	w.stMerged(t, st, 4)
	w.Eventually(t, "preprod's PR for 1.1.0", func() (bool, string) {
		pr, ok := w.PR(preprod)
		return ok && pr.State == "open", ""
	})
	pre = w.rbMerge(t, "preprod")
	w.stMerged(t, pre, 5)
	w.on = pre
	w.say(t, "reader", "/promote", "@reader may not promote into prod")
	if pr, _ := w.PR(prod); pr.State == "open" {
		t.Fatal("the reader's /promote opened a PR")
	}
	w.say(t, "writer", "/promote", "→ prod: opened")
	w.stMerged(t, w.rbMerge(t, "prod"), 6)
	w.stExpect(t, "1.1.0 in prod", "1.1.0@"+d110, "1.1.0@"+d110, "1.1.0@"+d110)

	// A bad release: roll prod back alone; it is held until released.
	w.say(t, "writer", "/rollback "+w.a.Name+" prod", "held; `/release "+w.a.Name+" prod`")
	w.stMerged(t, w.rbMerge(t, "prod"), 7)
	w.stExpect(t, "prod rolled back", "1.1.0@"+d110, "1.1.0@"+d110, "1.0.0@"+d100)
	w.say(t, "writer", "/promote", "is held in prod")
	w.stExpect(t, "promotion refused while held", "1.1.0@"+d110, "1.1.0@"+d110, "1.0.0@"+d100)
	w.say(t, "writer", "/release "+w.a.Name+" prod", "is released in prod")
	w.say(t, "writer", "/promote", "→ prod: opened")
	w.stMerged(t, w.rbMerge(t, "prod"), 8)
	w.stExpect(t, "promoted again after release", "1.1.0@"+d110, "1.1.0@"+d110, "1.1.0@"+d110)
}
