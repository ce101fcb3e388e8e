package promote

import (
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

const testConfig = `stages:
  - name: staging
    mode: auto-merge
  - name: preprod
    mode: pull-request
  - name: prod
    mode: manual
apps:
  - name: web
    image: ghcr.io/acme/web
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/web/overlays/staging
      preprod: apps/web/overlays/preprod
      prod: apps/web/overlays/prod
  - name: worker
    image: ghcr.io/acme/worker
    tags:
      pattern: '^main-[0-9a-f]{7}$'
    stages:
      staging: apps/worker/staging
      preprod: apps/worker/preprod
      prod: apps/worker/prod
`

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func testCfg(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse(config.FileName, []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func app(t *testing.T, name string) config.App {
	t.Helper()
	a, ok := testCfg(t).App(name)
	if !ok {
		t.Fatalf("no app %s", name)
	}
	return a
}

func TestDecidePushTag(t *testing.T) {
	tests := []struct {
		app, tag string
		ok       bool
		reason   string
	}{
		{"web", "1.0.0", true, ""},
		{"web", "v1.2.3", true, ""},
		{"web", "0.9.9", false, "tag 0.9.9 is not accepted by web's tag policy (semver >=1.0.0)"},
		{"web", "latest", false, "tag latest is not accepted"},
		{"web", "1.3.0-rc.1", false, "not accepted"}, // prereleases need a prerelease range
		{"worker", "main-abc1234", true, ""},
		{"worker", "main-abc12345", false, "pattern ^main-[0-9a-f]{7}$"},
		{"worker", "feature-abc1234", false, "not accepted"},
	}
	for _, tt := range tests {
		v := decidePushTag(app(t, tt.app), tt.tag)
		if v.ok != tt.ok || !strings.Contains(v.reason, tt.reason) {
			t.Errorf("%s %s: got (%v, %q), want (%v, …%q…)", tt.app, tt.tag, v.ok, v.reason, tt.ok, tt.reason)
		}
	}
}

func TestDecidePushOrder(t *testing.T) {
	pinned := func(tag string) manifest.Pinned { return manifest.Pinned{Found: true, Tag: tag, Digest: d1} }
	tests := []struct {
		name, app, tag string
		current        manifest.Pinned
		ok             bool
	}{
		{"newer", "web", "1.2.0", pinned("1.1.0"), true},
		{"same tag, maybe a rebuild", "web", "1.1.0", pinned("1.1.0"), true},
		{"older is refused", "web", "1.0.5", pinned("1.1.0"), false},
		{"older with v prefix", "web", "v1.0.5", pinned("v1.1.0"), false},
		{"current is not semver", "web", "1.0.0", pinned("0.9-legacy"), true},
		{"no entry yet", "web", "1.0.0", manifest.Pinned{}, true},
		{"patterns have no order", "worker", "main-0000000", pinned("main-fffffff"), true},
	}
	for _, tt := range tests {
		v := decidePushOrder(app(t, tt.app), "staging", tt.tag, tt.current)
		if v.ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v (%s)", tt.name, v.ok, tt.ok, v.reason)
		}
		if !v.ok && !strings.Contains(v.reason, "never moves a stage back") {
			t.Errorf("%s: reason %q does not say why", tt.name, v.reason)
		}
	}
}

func TestDecidePromoteStages(t *testing.T) {
	cfg := testCfg(t)
	tests := []struct {
		app, to, from string
		reason        string
	}{
		{"web", "preprod", "staging", ""},
		{"web", "prod", "preprod", ""},
		{"web", "staging", "", "staging is the first stage"},
		{"web", "qa", "", `there is no stage "qa" in .stagehand.yaml (stages: staging, preprod, prod)`},
		{"api", "prod", "", `there is no app "api" in .stagehand.yaml (apps: web, worker)`},
	}
	for _, tt := range tests {
		_, from, target, v := decidePromoteStages(cfg, tt.app, tt.to)
		if tt.reason != "" {
			if v.ok || !strings.Contains(v.reason, tt.reason) {
				t.Errorf("%s→%s: got (%v, %q), want refusal %q", tt.app, tt.to, v.ok, v.reason, tt.reason)
			}
			continue
		}
		if !v.ok || from.Name != tt.from || target.Name != tt.to {
			t.Errorf("%s→%s: got from %q to %q (%q)", tt.app, tt.to, from.Name, target.Name, v.reason)
		}
	}
}

func TestDecideSource(t *testing.T) {
	web := app(t, "web")
	const path = "apps/web/overlays/staging/kustomization.yaml"
	tests := []struct {
		name   string
		src    manifest.Pinned
		want   Want
		reason string
	}{
		{"exact tag and digest", manifest.Pinned{Found: true, Tag: "1.1.0", Digest: d1},
			Want{Image: "ghcr.io/acme/web", Tag: "1.1.0", Digest: d1, From: "staging"}, ""},
		{"digest only keeps the empty tag", manifest.Pinned{Found: true, Digest: d1},
			Want{Image: "ghcr.io/acme/web", Digest: d1, From: "staging"}, ""},
		{"tag only is refused", manifest.Pinned{Found: true, Tag: "1.1.0"}, Want{},
			"staging pins ghcr.io/acme/web by tag 1.1.0 only, with no digest, in " + path},
		{"no entry", manifest.Pinned{}, Want{}, "staging has no images: entry for ghcr.io/acme/web"},
	}
	for _, tt := range tests {
		got, v := decideSource(web, "staging", path, tt.src)
		if tt.reason != "" {
			if v.ok || !strings.Contains(v.reason, tt.reason) {
				t.Errorf("%s: got (%v, %q), want refusal %q", tt.name, v.ok, v.reason, tt.reason)
			}
			continue
		}
		if !v.ok || got != tt.want {
			t.Errorf("%s: got %+v (%q), want %+v", tt.name, got, v.reason, tt.want)
		}
	}
}

func TestDecideTarget(t *testing.T) {
	want := Want{Tag: "1.1.0", Digest: d1}
	tests := []struct {
		name    string
		current manifest.Pinned
		step    targetStep
	}{
		{"same digest", manifest.Pinned{Found: true, Tag: "1.1.0", Digest: d1}, alreadyThere},
		{"same digest under another tag is the same image", manifest.Pinned{Found: true, Tag: "stable", Digest: d1}, alreadyThere},
		{"other digest", manifest.Pinned{Found: true, Tag: "1.1.0", Digest: d2}, writeTarget},
		{"same tag without digest", manifest.Pinned{Found: true, Tag: "1.1.0"}, writeTarget},
		{"no entry", manifest.Pinned{}, writeTarget},
	}
	for _, tt := range tests {
		if got := decideTarget(tt.current, want); got != tt.step {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.step)
		}
	}
}

func TestDecideExisting(t *testing.T) {
	web := app(t, "web")
	pr := func(m Marker) *githubapp.PullRequest {
		return &githubapp.PullRequest{Number: 7, Body: "text\n" + m.String() + "\n"}
	}
	push := func(tag, digest string) Want { return Want{Image: web.Image, Tag: tag, Digest: digest} }
	tests := []struct {
		name string
		pr   *githubapp.PullRequest
		want Want
		step existingStep
	}{
		{"no open PR", nil, push("1.1.0", d1), openNew},
		{"open PR proposes the same", pr(Marker{App: "web", Stage: "staging", Tag: "1.1.0", Digest: d1}), push("1.1.0", d1), keepOpen},
		{"newer push replaces", pr(Marker{App: "web", Stage: "staging", Tag: "1.1.0", Digest: d1}), push("1.2.0", d2), updateOpen},
		{"retagged digest replaces", pr(Marker{App: "web", Stage: "staging", Tag: "1.1.0", Digest: d1}), push("1.1.0", d2), updateOpen},
		{"late older push keeps the newer PR", pr(Marker{App: "web", Stage: "staging", Tag: "1.2.0", Digest: d2}), push("1.1.0", d1), keepOpen},
		{"promotion follows the source even if older", pr(Marker{App: "web", Stage: "prod", Tag: "1.2.0", Digest: d2, From: "preprod"}),
			Want{Image: web.Image, Tag: "1.1.0", Digest: d1, From: "preprod"}, updateOpen},
		{"a PR on our branch without a marker is taken over", &githubapp.PullRequest{Number: 3, Body: "by hand"}, push("1.1.0", d1), updateOpen},
	}
	for _, tt := range tests {
		if got, _ := decideExisting(tt.pr, web, tt.want); got != tt.step {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.step)
		}
	}
}

func TestIsStale(t *testing.T) {
	open := &githubapp.PullRequest{Number: 4, Body: Marker{App: "web", Stage: "staging", Tag: "1.1.0", Digest: d1}.String()}
	if !isStale(open, manifest.Pinned{Found: true, Tag: "1.1.0", Digest: d1}) {
		t.Error("a PR proposing what the stage runs is stale")
	}
	if isStale(open, manifest.Pinned{Found: true, Tag: "1.0.0", Digest: d2}) {
		t.Error("a PR proposing something else is not stale")
	}
	if isStale(nil, manifest.Pinned{Found: true, Digest: d1}) {
		t.Error("no PR is not stale")
	}
	if isStale(&githubapp.PullRequest{Body: "no marker"}, manifest.Pinned{Found: true, Digest: d1}) {
		t.Error("a PR without a marker is not stagehand's to close")
	}
}

func TestDecideMerge(t *testing.T) {
	c := func(name, state string) githubapp.Check { return githubapp.Check{Name: name, State: state} }
	tests := []struct {
		name     string
		required []string
		checks   []githubapp.Check
		step     mergeStep
		reason   string
	}{
		{"none required merges at once", nil, nil, mergeNow, ""},
		{"all required pass", []string{"ci", "lint"}, []githubapp.Check{c("ci", "success"), c("lint", "success"), c("other", "failure")}, mergeNow, ""},
		{"pending waits", []string{"ci"}, []githubapp.Check{c("ci", "pending")}, waitCheck, "ci (pending)"},
		{"missing waits: fail closed", []string{"ci"}, []githubapp.Check{c("lint", "success")}, waitCheck, "ci (not reported yet)"},
		{"failing blocks", []string{"ci", "lint"}, []githubapp.Check{c("ci", "failure"), c("lint", "pending")}, blocked, "required check ci failed"},
		{"unknown state is not success", []string{"ci"}, []githubapp.Check{c("ci", "weird")}, waitCheck, "ci (not reported yet)"},
	}
	for _, tt := range tests {
		step, reason := decideMerge("main", tt.required, tt.checks)
		if step != tt.step || !strings.Contains(reason, tt.reason) {
			t.Errorf("%s: got (%v, %q), want (%v, …%q…)", tt.name, step, reason, tt.step, tt.reason)
		}
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	m := Marker{App: "web", Stage: "prod", Image: "ghcr.io/acme/web", Tag: "1.1.0", Digest: d1, From: "preprod"}
	body := "Some text a person may edit.\n\n" + m.String() + "\n"
	got, ok, err := ParseMarker(body)
	if err != nil || !ok || got != m {
		t.Fatalf("ParseMarker = %+v, %v, %v; want %+v", got, ok, err, m)
	}
	if _, ok, err := ParseMarker("a PR someone else opened"); ok || err != nil {
		t.Errorf("no marker: ok=%v err=%v", ok, err)
	}
	for _, bad := range []string{"<!-- stagehand:v1 {\"app\":\"web\"", "<!-- stagehand:v1 {not json} -->", `<!-- stagehand:v1 {"app":"web"} -->`} {
		if _, ok, err := ParseMarker(bad); ok || err == nil {
			t.Errorf("ParseMarker(%q) = ok %v, err %v; want an error", bad, ok, err)
		}
	}
}

func FuzzParseMarker(f *testing.F) {
	f.Add(Marker{App: "web", Stage: "prod", Tag: "1", Digest: d1}.String())
	f.Add("<!-- stagehand:v1 {} -->")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		m, ok, err := ParseMarker(body)
		if ok && (err != nil || m.App == "" || m.Digest == "") {
			t.Fatalf("ok marker must be complete: %+v %v", m, err)
		}
	})
}
