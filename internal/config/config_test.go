package config

import (
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	cfg, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

func TestParseSample(t *testing.T) {
	file := filepath.Join("..", "..", "testdata", "configrepo", FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(file, data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	semver, err := registry.SemverPolicy(">=1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Stages: []Stage{
			{Name: "staging", Mode: AutoMerge},
			{Name: "preprod", Mode: PullRequest, After: []string{"staging"}},
			{Name: "prod", Mode: Manual, After: []string{"preprod"}},
		},
		Apps: []App{{
			Name:  "web",
			Image: "ghcr.io/acme/web",
			Tags:  semver,
			paths: map[string]manifest.Target{
				"staging": manifest.Kustomization("apps/web/overlays/staging/kustomization.yaml"),
				"preprod": manifest.Kustomization("apps/web/overlays/preprod/kustomization.yaml"),
				"prod":    manifest.Kustomization("apps/web/overlays/prod/kustomization.yaml"),
			},
		}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Parse(sample) =\n%+v\nwant\n%+v", cfg, want)
	}
	if !cfg.Apps[0].Tags.Accepts("1.2.3") || cfg.Apps[0].Tags.Accepts("0.9.0") {
		t.Errorf("sample tag policy %v does not behave as >=1.0.0", cfg.Apps[0].Tags)
	}
	// Every path the sample names exists in the sample repo.
	for _, st := range cfg.Stages {
		p := filepath.Join("..", "..", "testdata", "configrepo", filepath.FromSlash(cfg.Apps[0].Path(st.Name)))
		if _, err := os.Stat(p); err != nil {
			t.Errorf("stage %s: %v", st.Name, err)
		}
	}
}

func TestParseOptionalFields(t *testing.T) {
	cfg := mustParse(t, `
stages:
  - name: staging
    mode: auto-merge
    soak: 1h30m
  - name: prod
    mode: manual
    approvers: [alice, Bob-2, "@acme/platform_team"]
apps:
  - name: worker
    image: nginx
    tags:
      pattern: '^main-[0-9a-f]{7}$'
    stages:
      staging: apps/worker/staging.yaml
      prod: apps/worker/prod
`)
	wantStages := []Stage{
		{Name: "staging", Mode: AutoMerge, Soak: 90 * time.Minute},
		{Name: "prod", Mode: Manual, After: []string{"staging"}, Approvers: []string{"alice", "Bob-2", "@acme/platform_team"}},
	}
	if !reflect.DeepEqual(cfg.Stages, wantStages) {
		t.Errorf("Stages = %+v, want %+v", cfg.Stages, wantStages)
	}
	tags := cfg.Apps[0].Tags
	if !tags.Accepts("main-abc1234") || tags.Accepts("main-abc12345") || tags.Ordered() {
		t.Errorf("pattern policy %v does not behave as written", tags)
	}
}

func TestAppPath(t *testing.T) {
	cfg := mustParse(t, `
stages:
  - {name: a, mode: manual}
  - {name: b, mode: manual}
  - {name: c, mode: manual}
  - {name: d, mode: manual}
  - {name: e, mode: manual}
  - {name: f, mode: manual}
  - {name: g, mode: manual}
apps:
  - name: web
    image: ghcr.io/acme/web
    tags: {semver: ">=1.0.0"}
    stages:
      a: apps/web/overlays/a
      b: apps/web/overlays/b/kustomization.yml
      c: apps/web/overlays/c/Kustomization
      d: ./apps//web/overlays/d/
      e: apps/web/../web/e/custom.yaml
      f: .
      g: apps/web/overlays/g.yaml.d
`)
	web, _ := cfg.App("web")
	for stage, want := range map[string]string{
		"a":       "apps/web/overlays/a/kustomization.yaml",
		"b":       "apps/web/overlays/b/kustomization.yml",
		"c":       "apps/web/overlays/c/Kustomization",
		"d":       "apps/web/overlays/d/kustomization.yaml",
		"e":       "apps/web/e/custom.yaml",
		"f":       "kustomization.yaml",
		"g":       "apps/web/overlays/g.yaml.d/kustomization.yaml",
		"unknown": "",
	} {
		if got := web.Path(stage); got != want {
			t.Errorf("Path(%q) = %q, want %q", stage, got, want)
		}
	}
}

func TestStageOrder(t *testing.T) {
	cfg := mustParse(t, validBase)
	if got := cfg.First().Name; got != "staging" {
		t.Errorf("First() = %q, want staging", got)
	}
	one := func(ss []Stage) string {
		if len(ss) > 1 {
			t.Fatalf("%d stages in a straight line", len(ss))
		}
		if len(ss) == 0 {
			return ""
		}
		return ss[0].Name
	}
	for _, tc := range []struct{ stage, next, prev string }{
		{stage: "staging", next: "prod"},
		{stage: "prod", prev: "staging"},
		{stage: "qa"},
		{stage: ""},
	} {
		if n := one(cfg.Next(tc.stage)); n != tc.next {
			t.Errorf("Next(%q) = %q; want %q", tc.stage, n, tc.next)
		}
		if p := one(cfg.Prev(tc.stage)); p != tc.prev {
			t.Errorf("Prev(%q) = %q; want %q", tc.stage, p, tc.prev)
		}
	}
	if s, ok := cfg.Stage("prod"); !ok || s.Mode != Manual {
		t.Errorf("Stage(prod) = %+v, %v; want the manual stage", s, ok)
	}
	if _, ok := cfg.Stage("qa"); ok {
		t.Error("Stage(qa) found a stage that is not in the file")
	}
	if a, ok := cfg.App("web"); !ok || a.Image != "ghcr.io/acme/web" {
		t.Errorf("App(web) = %+v, %v", a, ok)
	}
	if _, ok := cfg.App("api"); ok {
		t.Error("App(api) found an app that is not in the file")
	}
	if got := (&Config{}).First(); got.Name != "" {
		t.Errorf("First() of an empty Config = %+v, want the zero Stage", got)
	}
}

func TestAppsForImage(t *testing.T) {
	cfg := mustParse(t, `
stages:
  - {name: staging, mode: auto-merge}
apps:
  - {name: proxy, image: nginx, tags: {semver: "*"}, stages: {staging: a}}
  - {name: web, image: ghcr.io/acme/web, tags: {semver: "*"}, stages: {staging: b}}
  - {name: edge, image: docker.io/library/nginx, tags: {semver: "*"}, stages: {staging: c}}
  - {name: local, image: "localhost:5000/acme/web", tags: {semver: "*"}, stages: {staging: d}}
`)
	for _, tc := range []struct {
		image string
		want  []string
	}{
		{"nginx", []string{"proxy", "edge"}},
		{"docker.io/library/nginx", []string{"proxy", "edge"}},
		{"index.docker.io/library/nginx:1.25", []string{"proxy", "edge"}},
		{"library/nginx", []string{"proxy", "edge"}},
		{"ghcr.io/acme/web@sha256:" + sha, []string{"web"}},
		{"ghcr.io/acme/web:1.0.0", []string{"web"}},
		{"localhost:5000/acme/web", []string{"local"}},
		{"acme/web", nil},
		{"ghcr.io/acme/api", nil},
	} {
		var got []string
		for _, a := range cfg.AppsForImage(tc.image) {
			got = append(got, a.Name)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AppsForImage(%q) = %v, want %v", tc.image, got, tc.want)
		}
	}
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseGroups(t *testing.T) {
	cfg := mustParse(t, `
stages:
  - {name: staging, mode: auto-merge}
  - {name: prod, mode: manual}
apps:
  - {name: shop-web, image: ghcr.io/acme/web, tags: {semver: "*"}, stages: {staging: a/s, prod: a/p}}
  - {name: billing, image: ghcr.io/acme/billing, tags: {semver: "*"}, stages: {staging: b/s, prod: b/p}}
  - {name: shop-api, image: ghcr.io/acme/api, tags: {semver: "*"}, stages: {staging: c/s, prod: c/p}}
  - {name: cart, image: ghcr.io/acme/cart, tags: {semver: "*"}, stages: {staging: d/s, prod: d/p}}
  - {name: alone, image: ghcr.io/acme/alone, tags: {semver: "*"}, stages: {staging: e/s, prod: e/p}}
groups:
  - name: shop
    apps: [cart, shop-*]
  - name: back
    apps: [billing]
    window: 500ms
`)
	want := []Group{
		// Members come in the order apps: lists them, wildcards expanded.
		{Name: "shop", Apps: []string{"shop-web", "shop-api", "cart"}, Window: DefaultWindow},
		{Name: "back", Apps: []string{"billing"}, Window: 500 * time.Millisecond},
	}
	if !reflect.DeepEqual(cfg.Groups, want) {
		t.Fatalf("Groups = %+v, want %+v", cfg.Groups, want)
	}
	for app, group := range map[string]string{"shop-web": "shop", "shop-api": "shop", "cart": "shop", "billing": "back", "alone": ""} {
		g, ok := cfg.GroupOf(app)
		if g.Name != group || ok != (group != "") {
			t.Errorf("GroupOf(%s) = %q, %v; want %q", app, g.Name, ok, group)
		}
	}
	if g, ok := cfg.Group("back"); !ok || !g.Has("billing") || g.Has("cart") {
		t.Errorf("Group(back) = %+v, %v", g, ok)
	}
	if _, ok := cfg.Group("shop-web"); ok {
		t.Error("Group(shop-web) found a group for an app's name")
	}
	if cfg := mustParse(t, validBase); len(cfg.Groups) != 0 {
		t.Errorf("a file without groups: has groups %+v", cfg.Groups)
	}
}
