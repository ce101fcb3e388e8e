package main

// Parallel stages against a running `stagehand serve`: staging → preprod →
// {prod-eu, prod-us} → global. A merge in preprod opens a PR into each
// prod; global takes the image only once both prods run it; a cycle in
// the config is a failing config check on the commit that made it.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// grStages replaces the world's stages: the prods and global are merged
// by people.
const grStages = `stages:
  - name: staging
    mode: auto-merge
  - name: preprod
    mode: pull-request
  - name: prod-eu
    mode: pull-request
    after: [preprod]
  - name: prod-us
    mode: pull-request
    after: [preprod]
  - name: global
    mode: pull-request
    after: [prod-eu, prod-us]
`

// grGraph commits the graph pipeline to main: every app's prod overlay
// becomes one per prod and one for global, pinning what prod pinned.
func grGraph(t *testing.T, w *e2e.World) {
	t.Helper()
	good, err := w.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(good)
	_, apps, ok := strings.Cut(cfg, "\napps:\n")
	if !ok {
		t.Fatalf("no apps: in\n%s", cfg)
	}
	files := map[string][]byte{}
	var out []string
	for _, line := range strings.Split(apps, "\n") {
		key, path, isProd := strings.Cut(strings.TrimSpace(line), ": ")
		if !isProd || key != "prod" {
			out = append(out, line)
			continue
		}
		prod, err := w.GitHub.FileAt("main", path+"/kustomization.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for _, stage := range []string{"prod-eu", "prod-us", "global"} {
			p := strings.TrimSuffix(path, "prod") + stage
			out = append(out, fmt.Sprintf("      %s: %s", stage, p))
			files[p+"/kustomization.yaml"] = prod
		}
	}
	files[".stagehand.yaml"] = []byte(grStages + "\napps:\n" + strings.Join(out, "\n"))
	if _, err := w.GitHub.Commit("main", "prod becomes prod-eu and prod-us, then global", files); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := w.GitHub.Checkout("main", dir); err != nil {
		t.Fatal(err)
	}
	var stdout, errOut e2e.Buffer
	if code := run(context.Background(), []string{"validate", dir}, &stdout, &errOut); code != 0 {
		t.Fatalf("the graph config does not validate: %s", errOut.String())
	}
	for _, line := range []string{"stages: preprod → prod-eu, prod-us\n", "stages: global takes an image only once prod-eu, prod-us all run it\n"} {
		if !strings.Contains(stdout.String(), line) {
			t.Errorf("validate does not print %q:\n%s", line, stdout.String())
		}
	}
}

func TestServeGraphFansOutAndIn(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	w.GitHub.SetPermission("writer", "write")
	grGraph(t, w)
	a := w.App("generic")

	// A push lands in staging by itself; its merge proposes preprod.
	d := hlPush(t, w, a, "1.1.0", time.Time{})
	want := "1.1.0@" + d
	preprod := grOpen(t, w, a, "preprod")

	// A person merges preprod: one PR into each prod.
	if _, err := w.GitHub.MergeAsUser(preprod.Number, "writer"); err != nil {
		t.Fatal(err)
	}
	eu, us := grOpen(t, w, a, "prod-eu"), grOpen(t, w, a, "prod-us")
	for _, pr := range []githubfake.PullRequest{eu, us} {
		if got := grPinned(t, w, a, pr); got != want {
			t.Errorf("PR #%d (%s) pins %s, want %s", pr.Number, pr.Head, got, want)
		}
	}
	// The API shows the graph: which stages each takes images from.
	resp, err := w.GetAPI("/api/v1/apps")
	if err != nil {
		t.Fatal(err)
	}
	var apps []api.AppStatus
	err = json.NewDecoder(resp.Body).Decode(&apps)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/apps: %d %v", resp.StatusCode, err)
	}
	after := map[string]string{}
	for _, app := range apps {
		if app.App == a.Name {
			for _, st := range app.Stages {
				after[st.Stage] = strings.Join(st.After, ",")
			}
		}
	}
	if want := map[string]string{"staging": "", "preprod": "staging", "prod-eu": "preprod", "prod-us": "preprod", "global": "prod-eu,prod-us"}; !maps.Equal(after, want) {
		t.Errorf("the API says the stages follow %v, want %v", after, want)
	}

	// A bare /promote on the preprod PR asks which; `to all` names both.
	if _, reply := w.Comment(t, preprod.Number, "writer", "/promote"); !strings.Contains(reply, "preprod is followed by prod-eu, prod-us: say which") {
		t.Errorf("reply to a bare /promote: %q", reply)
	}
	_, reply := w.Comment(t, preprod.Number, "writer", "/promote to all")
	if !strings.Contains(reply, "→ prod-eu: unchanged") || !strings.Contains(reply, "→ prod-us: unchanged") {
		t.Errorf("reply to /promote to all: %q", reply)
	}
	// The CLI says it as the comment does, through the same queue.
	var out, errOut e2e.Buffer
	args := append([]string{"promote", "--app", a.Name, "--from", "preprod", "--to", "all", "--database-url", w.Database}, w.GitHubFlags()...)
	if code := run(context.Background(), args, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), a.Name+" → prod-eu: unchanged") || !strings.Contains(out.String(), a.Name+" → prod-us: unchanged") {
		t.Errorf("promote --to all: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	errOut = e2e.Buffer{}
	args = append([]string{"promote", "--app", a.Name, "--from", "qa", "--to", "all", "--database-url", w.Database}, w.GitHubFlags()...)
	if code := run(context.Background(), args, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "--from qa: .stagehand.yaml has no such stage; its stages are staging, preprod, prod-eu, prod-us, global") {
		t.Errorf("promote --from qa: exit %d\n%s", code, errOut.String())
	}

	// Merging prod-eu alone does not move global: the PR says why.
	if _, err := w.GitHub.MergeAsUser(eu.Number, "writer"); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "why global waits, on prod-eu's PR", func() (bool, string) {
		note := w.LastComment(eu.Number)
		return strings.Contains(note, "global takes an image only once prod-eu, prod-us all run it") && strings.Contains(note, "prod-us (runs `0.9.0`)"), note
	})
	if pr, ok := w.PR(promote.Branch(a.Name, "global")); ok {
		t.Fatalf("global got PR #%d while prod-us does not run the image", pr.Number)
	}

	// Merging prod-us then does.
	if _, err := w.GitHub.MergeAsUser(us.Number, "writer"); err != nil {
		t.Fatal(err)
	}
	global := grOpen(t, w, a, "global")
	if got := grPinned(t, w, a, global); got != want {
		t.Errorf("global's PR #%d pins %s, want %s", global.Number, got, want)
	}
	if m, _, _ := promote.ParseMarker(global.Body); m.From != "prod-us" {
		t.Errorf("global's PR says it comes from %q, want prod-us, whose merge moved it", m.From)
	}
}

// TestServeGraphCycleIsAConfigError: a cycle committed to .stagehand.yaml
// is a failing stagehand/config check run on that commit, naming it.
func TestServeGraphCycleIsAConfigError(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	grGraph(t, w)
	cfg, err := w.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cycle := strings.Replace(string(cfg), "    mode: pull-request\n    after: [preprod]\n", "    mode: pull-request\n    after: [prod-us]\n", 1)
	cycle = strings.Replace(cycle, "    after: [preprod]\n", "    after: [prod-eu]\n", 1)
	broken, err := w.GitHub.Commit("main", "prod-eu and prod-us follow each other", map[string][]byte{".stagehand.yaml": []byte(cycle)})
	if err != nil {
		t.Fatal(err)
	}
	const named = ".stagehand.yaml:8:12: after: the stages form a cycle, prod-eu → prod-us → prod-eu"
	w.Eventually(t, "a failing stagehand/config check run naming the cycle", func() (bool, string) {
		run, ok := hlConfigCheck(w, broken)
		return ok && run.Conclusion == "failure" && strings.Contains(run.Summary, named), fmt.Sprintf("%+v", run)
	})
	if problems := hlValidate(t, w, "main"); len(problems) == 0 || !strings.HasPrefix(problems[0], named) {
		t.Errorf("stagehand validate: %v", problems)
	}
}

// grOpen waits for app's PR into stage and returns it.
func grOpen(t *testing.T, w *e2e.World, a e2e.App, stage string) githubfake.PullRequest {
	t.Helper()
	var pr githubfake.PullRequest
	w.Eventually(t, a.Name+"'s PR into "+stage, func() (bool, string) {
		var ok bool
		pr, ok = w.PR(promote.Branch(a.Name, stage))
		return ok && pr.State == "open", fmt.Sprintf("%d PRs", len(w.GitHub.PullRequests()))
	})
	return pr
}

// grPinned is tag@digest as pr's head pins it for app in the PR's stage.
func grPinned(t *testing.T, w *e2e.World, a e2e.App, pr githubfake.PullRequest) string {
	t.Helper()
	m, ok, err := promote.ParseMarker(pr.Body)
	if err != nil || !ok {
		t.Fatalf("PR #%d has no marker: %v", pr.Number, err)
	}
	file := "apps/" + a.Name + "/overlays/" + m.Stage + "/kustomization.yaml"
	data, err := w.GitHub.FileAt(pr.HeadSHA, file)
	if err != nil {
		t.Fatal(err)
	}
	got, err := manifest.Current(file, data, a.Image)
	if err != nil {
		t.Fatal(err)
	}
	return got.Tag + "@" + got.Digest
}
