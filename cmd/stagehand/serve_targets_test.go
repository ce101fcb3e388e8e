package main

// End-to-end test of targets other than a kustomization's images: against
// a running `stagehand serve`: a Helm values file and a Deployment's full
// image reference, each promoted staging → prod, one rolled back.

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// tgWorld is a running stagehand whose config repository pins web by Helm
// values and api by a path to a Deployment's image.
type tgWorld struct {
	*e2e.World
	web, api e2e.App
	targets  map[string]manifest.Target // app/stage → target
	files    map[string]string          // path → content as first committed
}

const (
	tgConfig = `stages:
  - name: staging
    mode: auto-merge
  - name: prod
    mode: manual
apps:
  - name: web
    image: %[1]s
    tags: {semver: ">=1.0.0"}
    stages:
      staging:
        file: charts/web/values-staging.yaml
        tag: image.tag
        digest: image.digest
      prod:
        file: charts/web/values-prod.yaml
        tag: image.tag
  - name: api
    image: %[2]s
    tags: {semver: ">=1.0.0"}
    stages:
      staging: {file: deploy/staging/api.yaml, image: "spec.template.spec.containers[name=api].image"}
      prod: {file: deploy/prod/api.yaml, image: "spec.template.spec.containers[name=api].image"}
`
	tgValuesStaging = `# web in staging
image:
  repository: %[1]s   # the chart's default
  tag: "0.9.0"        # moved by stagehand
  digest: ''
resources: &res {cpu: 100m}
worker:
  resources: *res
`
	tgValuesProd = "image:\n  tag: 0.9.0 # prod\n"
	tgDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: envoy
          image: docker.io/envoyproxy/envoy:v1.30.0
        - name: api
          image: %[1]s:0.9.0   # moved by stagehand
`
	tgService = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports: [{port: 80}]\n---\n"
)

func startTargets(t *testing.T) *tgWorld {
	t.Helper()
	e := e2e.Start(t, e2e.Options{Run: run})
	w := &tgWorld{World: e, web: e.App("generic"), api: e.App("ghcr")}
	w.web.Name, w.api.Name = "web", "api"
	w.files = map[string]string{
		".stagehand.yaml":                fmt.Sprintf(tgConfig, w.web.Image, w.api.Image),
		"charts/web/values-staging.yaml": fmt.Sprintf(tgValuesStaging, w.web.Image),
		"charts/web/values-prod.yaml":    tgValuesProd,
		"deploy/staging/api.yaml":        fmt.Sprintf(tgDeployment, w.api.Image),
		// prod's file holds two documents, with Windows line ends.
		"deploy/prod/api.yaml": strings.ReplaceAll(tgService+fmt.Sprintf(tgDeployment, w.api.Image), "\n", "\r\n"),
	}
	commit := map[string][]byte{}
	for p, s := range w.files {
		commit[p] = []byte(s)
	}
	if _, err := w.GitHub.Commit("main", "pin web by Helm values, api by its Deployment", commit); err != nil {
		t.Fatal(err)
	}
	// GitHub tells stagehand of the push to main, and it reads the config.
	w.Eventually(t, "the new config was read", w.JobsDone(t, "config", 1))
	img := "spec.template.spec.containers[name=api].image"
	w.targets = map[string]manifest.Target{
		"web/staging": {File: "charts/web/values-staging.yaml", Tag: "image.tag", Digest: "image.digest"},
		"web/prod":    {File: "charts/web/values-prod.yaml", Tag: "image.tag"},
		"api/staging": {File: "deploy/staging/api.yaml", Image: img},
		"api/prod":    {File: "deploy/prod/api.yaml", Image: img},
	}
	return w
}

// push pushes a's tag and waits for staging, which auto-merges, to pin it.
func (w *tgWorld) push(t *testing.T, a e2e.App, tag string, pushes int) string {
	t.Helper()
	d := w.Push(t, a, tag)
	if code, answer := w.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, a.Image, tag, d))); code != http.StatusAccepted {
		t.Fatalf("push %s: %d %q", tag, code, answer)
	}
	w.Eventually(t, "the push of "+a.Name+" "+tag+" worked", w.JobsDone(t, "push", pushes))
	if got := w.pinned(t, a, "staging"); got != tag+"@"+d {
		t.Fatalf("%s's staging pins %s after the push of %s@%s\n%s", a.Name, got, tag, d, w.Stderr)
	}
	return d
}

// pinned is what main pins for a in stage, as tag@digest, read as a user
// would: the value at the path.
func (w *tgWorld) pinned(t *testing.T, a e2e.App, stage string) string {
	t.Helper()
	tg := w.targets[a.Name+"/"+stage]
	data, err := w.GitHub.FileAt("main", tg.File)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tg.Current(data, a.Image)
	if err != nil {
		t.Fatal(err)
	}
	return p.Tag + "@" + p.Digest
}

// file is a file on main, which must be as first committed with each of
// the replacements (old, new pairs) made once.
func (w *tgWorld) file(t *testing.T, path string, replace ...string) {
	t.Helper()
	want := w.files[path]
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(want, replace[i]) {
			t.Fatalf("%s lacks %q", path, replace[i])
		}
		want = strings.Replace(want, replace[i], replace[i+1], 1)
	}
	got, err := w.GitHub.FileAt("main", path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s on main:\n%q\nwant\n%q", path, got, want)
	}
}

// promote comments /promote app to prod on app's staging PR, merges the
// prod PR it opens as a person would, and waits for the branch to go.
func (w *tgWorld) promote(t *testing.T, a e2e.App, want string) {
	t.Helper()
	on, ok := w.PR(promote.Branch(a.Name, "staging"))
	if !ok {
		t.Fatalf("no staging PR of %s", a.Name)
	}
	code, reply := w.Comment(t, on.Number, "writer", "/promote "+a.Name+" to prod")
	if code != http.StatusAccepted || !strings.Contains(reply, want) {
		t.Fatalf("/promote %s to prod: %d %q, want %q", a.Name, code, reply, want)
	}
	w.merge(t, a, "prod")
}

func (w *tgWorld) merge(t *testing.T, a e2e.App, stage string) {
	t.Helper()
	branch := promote.Branch(a.Name, stage)
	pr, ok := w.PR(branch)
	if !ok || pr.State != "open" {
		t.Fatalf("no open %s PR to merge: %+v", branch, pr)
	}
	if _, err := w.GitHub.MergeAsUser(pr.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "the merge of "+branch+" was seen", func() (bool, string) {
		_, err := w.GitHub.Head(branch)
		return err != nil, "branch " + branch + " still there"
	})
}

// TestServeTargets: a push of web writes its staging values file's tag and
// digest fields; /promote writes prod's tag field with the same digest; a
// push of api writes the image reference in its staging Deployment, and
// prod's, in the second document of a CRLF file. Nothing else of any file
// changes. A /rollback of api in prod restores the earlier reference.
func TestServeTargets(t *testing.T) {
	t.Parallel()
	w := startTargets(t)
	w.GitHub.SetPermission("writer", "write")

	dWeb := w.push(t, w.web, "1.0.0", 1)
	w.file(t, "charts/web/values-staging.yaml", `tag: "0.9.0"`, `tag: "1.0.0"`, `digest: ''`, `digest: '`+dWeb+`'`)
	w.promote(t, w.web, "→ prod: opened")
	if got := w.pinned(t, w.web, "prod"); got != "1.0.0@"+dWeb {
		t.Fatalf("web's prod pins %s, want 1.0.0@%s", got, dWeb)
	}
	w.file(t, "charts/web/values-prod.yaml", "tag: 0.9.0 #", "tag: 1.0.0@"+dWeb+" #")
	if pr, _ := w.PR(promote.Branch("web", "prod")); !strings.Contains(pr.Body, "**File:** `charts/web/values-prod.yaml` (at `image.tag`)") {
		t.Errorf("web's prod PR does not say where it writes:\n%s", pr.Body)
	}

	ref := w.api.Image + ":0.9.0"
	d100 := w.push(t, w.api, "1.0.0", 2)
	w.file(t, "deploy/staging/api.yaml", ref, w.api.Image+":1.0.0@"+d100)
	w.promote(t, w.api, "→ prod: opened")
	w.file(t, "deploy/prod/api.yaml", ref, w.api.Image+":1.0.0@"+d100)
	d110 := w.push(t, w.api, "1.1.0", 3)
	w.promote(t, w.api, "→ prod: opened")
	w.file(t, "deploy/prod/api.yaml", ref, w.api.Image+":1.1.0@"+d110)

	on, _ := w.PR(promote.Branch("api", "staging"))
	code, reply := w.Comment(t, on.Number, "writer", "/rollback api prod")
	if want := "rollback of api in prod to `1.0.0` (`" + d100 + "`): opened"; code != http.StatusAccepted || !strings.Contains(reply, want) {
		t.Fatalf("/rollback: %d %q, want %q", code, reply, want)
	}
	w.merge(t, w.api, "prod")
	w.file(t, "deploy/prod/api.yaml", ref, w.api.Image+":1.0.0@"+d100)
	for key, want := range map[string]string{"api/staging": "1.1.0@" + d110, "api/prod": "1.0.0@" + d100, "web/staging": "1.0.0@" + dWeb, "web/prod": "1.0.0@" + dWeb} {
		a, stage, _ := strings.Cut(key, "/")
		app := w.web
		if a == "api" {
			app = w.api
		}
		if got := w.pinned(t, app, stage); got != want {
			t.Errorf("%s pins %s, want %s", key, got, want)
		}
	}

	// The API reads the pins through the same targets, and the history
	// has every merge into prod, the rollback's too.
	resp, err := w.GetAPI("/api/v1/apps/api/history")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h api.History
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("history: %d %v", resp.StatusCode, err)
	}
	now := map[string]string{}
	for _, st := range h.Stages {
		now[st.Stage] = st.Tag + "@" + st.Digest + st.Problem
	}
	if want := map[string]string{"staging": "1.1.0@" + d110, "prod": "1.0.0@" + d100}; !maps.Equal(now, want) {
		t.Errorf("the API says api runs %v, want %v", now, want)
	}
	var prod []string
	for _, m := range h.Merges {
		if m.Stage == "prod" {
			prod = append(prod, m.Tag)
		}
	}
	// 1.0.0, 1.1.0, then the rollback's 1.0.0: the same newest first.
	if want := []string{"1.0.0", "1.1.0", "1.0.0"}; !slices.Equal(prod, want) {
		t.Errorf("prod merges %v, want %v", prod, want)
	}
}
