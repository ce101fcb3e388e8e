package main

// Grouped releases against a running `stagehand serve`: the pushes of a
// group's images become one pull request per stage, with the same set of
// digests at each.

import (
	"fmt"
	"maps"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// grShop are the apps of group shop: three senders' apps, as one CI run
// would push three images. The world's other apps are in no group.
var grShop = []string{"generic", "ghcr", "quay"}

func TestServeGroupMovesTogether(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run, Groups: "  - name: shop\n    apps: [" + strings.Join(grShop, ", ") + "]\n"})
	w.GitHub.SetPermission("writer", "write")
	want := map[string]string{}
	for _, name := range grShop {
		want[name] = e2e.Tag + "@" + w.Digests[name]
	}

	// The three registries tell of the three pushes, within the window.
	deliveries := w.Deliveries(t)
	for _, name := range grShop {
		if code, answer := w.Send(t, deliveries[name]); code != http.StatusAccepted {
			t.Fatalf("%s: %d %q", name, code, answer)
		}
	}
	// One PR into staging, merged; its merge opens one PR into preprod.
	w.Eventually(t, "shop's preprod PR", func() (bool, string) {
		pr, ok := w.PR(promote.Branch("shop", "preprod"))
		return ok && pr.State == "open", fmt.Sprintf("%d PRs", len(w.GitHub.PullRequests()))
	})
	staging := grOnly(t, w, "staging")
	if !staging.Merged {
		t.Fatalf("shop's staging PR #%d is not merged", staging.Number)
	}
	grCheck(t, w, staging, "staging", "main", want)
	preprod := grOnly(t, w, "preprod")
	grCheck(t, w, preprod, "preprod", preprod.HeadSHA, want)
	for _, pr := range w.GitHub.PullRequests() {
		if m, _, _ := promote.ParseMarker(pr.Body); m.Group != "shop" {
			t.Errorf("PR #%d (%s) is not the group's", pr.Number, pr.Head)
		}
	}

	// A person merges preprod; prod is manual: the note says how to
	// promote the group; a bare /promote on the PR does.
	if _, err := w.GitHub.MergeAsUser(preprod.Number, "writer"); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "the note on prod", func() (bool, string) {
		note := w.LastComment(preprod.Number)
		return strings.Contains(note, "`/promote shop to prod`"), note
	})
	_, reply := w.Comment(t, preprod.Number, "writer", "/promote")
	if !strings.Contains(reply, "group shop (") || !strings.Contains(reply, "→ prod: opened") {
		t.Fatalf("reply to /promote: %q", reply)
	}
	prod := grOnly(t, w, "prod")
	grCheck(t, w, prod, "prod", prod.HeadSHA, want)

	// Each app's history shows the group's merge into staging.
	for _, name := range grShop {
		h := hlHistory(t, w, name)
		found := false
		for _, m := range h.Merges {
			found = found || m.Stage == "staging" && m.PR == staging.Number && m.Group == "shop"
		}
		if !found {
			t.Errorf("%s's history does not show group shop's staging merge #%d: %+v", name, staging.Number, h.Merges)
		}
	}
}

// grOnly is group shop's one PR into stage; there must be exactly one.
func grOnly(t *testing.T, w *e2e.World, stage string) githubfake.PullRequest {
	t.Helper()
	var prs []githubfake.PullRequest
	for _, pr := range w.GitHub.PullRequests() {
		if pr.Head == promote.Branch("shop", stage) {
			prs = append(prs, pr)
		}
	}
	if len(prs) != 1 {
		t.Fatalf("%d PRs of group shop into %s, want one", len(prs), stage)
	}
	return prs[0]
}

// grCheck checks a group PR as a reviewer would: its marker names exactly
// want, and ref (the PR's head, or main once merged) pins it in stage.
func grCheck(t *testing.T, w *e2e.World, pr githubfake.PullRequest, stage, ref string, want map[string]string) {
	t.Helper()
	m, ok, err := promote.ParseMarker(pr.Body)
	if err != nil || !ok || m.Group != "shop" || m.Stage != stage || len(m.Apps) != len(want) {
		t.Fatalf("PR #%d marker %+v %v %v", pr.Number, m, ok, err)
	}
	for _, a := range m.Apps {
		if a.Tag+"@"+a.Digest != want[a.App] {
			t.Errorf("PR #%d marks %s %s@%s, want %s", pr.Number, a.App, a.Tag, a.Digest, want[a.App])
		}
		file := path.Join("apps", a.App, "overlays", stage, "kustomization.yaml")
		data, err := w.GitHub.FileAt(ref, file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := manifest.Current(file, data, w.App(a.App).Image)
		if err != nil || got.Tag+"@"+got.Digest != want[a.App] {
			t.Errorf("%s at %s pins %s@%s (%v), want %s", file, ref, got.Tag, got.Digest, err, want[a.App])
		}
	}
}

// TestServeGroupSharesValuesFile: web and api of group shop pin their
// tags in one umbrella chart's values file per stage. Their pushes become
// one commit that writes both paths of staging's file; /promote shop to
// prod reads each app's pin from it and writes both into prod's.
func TestServeGroupSharesValuesFile(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	w.GitHub.SetPermission("writer", "write")
	web, api := w.App("generic"), w.App("ghcr")
	web.Name, api.Name = "web", "api"
	values := func(stage string) string { return "charts/shop/values-" + stage + ".yaml" }
	cfg := fmt.Sprintf(`stages:
  - name: staging
    mode: auto-merge
  - name: prod
    mode: manual
apps:
  - name: web
    image: %[1]s
    tags: {semver: ">=1.0.0"}
    stages:
      staging: {file: %[3]s, tag: web.image.tag}
      prod: {file: %[4]s, tag: web.image.tag}
  - name: api
    image: %[2]s
    tags: {semver: ">=1.0.0"}
    stages:
      staging: {file: %[3]s, tag: api.image.tag, digest: api.image.digest}
      prod: {file: %[4]s, tag: api.image.tag, digest: api.image.digest}
groups:
  - name: shop
    apps: [web, api]
`, web.Image, api.Image, values("staging"), values("prod"))
	file := "# shop, all in one chart\nweb:\n  image:\n    tag: \"0.9.0\"   # moved by stagehand\napi:\n  image:\n    tag: 0.9.0\n    digest: \"\"\n"
	if _, err := w.GitHub.Commit("main", "one chart for shop", map[string][]byte{
		".stagehand.yaml": []byte(cfg), values("staging"): []byte(file), values("prod"): []byte(file)}); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "the new config was read", w.JobsDone(t, "config", 1))

	want := map[string]string{}
	for _, a := range []e2e.App{web, api} {
		d := w.Push(t, a, "1.0.0")
		if code, answer := w.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":"1.0.0","digest":%q}`, a.Image, d))); code != http.StatusAccepted {
			t.Fatalf("push of %s: %d %q", a.Name, code, answer)
		}
		want[a.Name] = "1.0.0@" + d
	}
	pinned := func(ref, stage string) map[string]string {
		t.Helper()
		data, err := w.GitHub.FileAt(ref, values(stage))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, a := range []e2e.App{web, api} {
			tg := manifest.Target{File: values(stage), Tag: a.Name + ".image.tag"}
			if a.Name == "api" {
				tg.Digest = "api.image.digest"
			}
			p, err := tg.Current(data, a.Image)
			if err != nil {
				t.Fatal(err)
			}
			out[a.Name] = p.Tag + "@" + p.Digest
		}
		return out
	}
	w.Eventually(t, "shop's staging PR merged with both images", func() (bool, string) {
		pr, ok := w.PR(promote.Branch("shop", "staging"))
		if !ok || !pr.Merged {
			return false, fmt.Sprintf("%+v", pr)
		}
		got := pinned("main", "staging")
		return maps.Equal(got, want), fmt.Sprintf("staging pins %v, want %v", got, want)
	})
	data, err := w.GitHub.FileAt("main", values("staging"))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); !strings.HasPrefix(s, "# shop, all in one chart\n") || !strings.Contains(s, "# moved by stagehand") {
		t.Errorf("staging's values lost what people wrote:\n%s", s)
	}

	staging, _ := w.PR(promote.Branch("shop", "staging"))
	code, reply := w.Comment(t, staging.Number, "writer", "/promote shop to prod")
	if code != http.StatusAccepted || !strings.Contains(reply, "→ prod: opened") {
		t.Fatalf("/promote shop to prod: %d %q", code, reply)
	}
	prod, ok := w.PR(promote.Branch("shop", "prod"))
	if !ok {
		t.Fatal("no prod PR of shop")
	}
	if got := pinned(prod.HeadSHA, "prod"); !maps.Equal(got, want) {
		t.Errorf("shop's prod PR pins %v, want %v", got, want)
	}
}
