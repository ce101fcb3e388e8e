package scaffold

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// parse checks that the proposal is a valid configuration, as stagehand
// validate reads it, and returns it.
func parse(t *testing.T, p *Proposal) *config.Config {
	t.Helper()
	cfg, err := config.Parse(config.FileName, p.YAML())
	if err != nil {
		t.Fatalf("the proposal does not parse:\n%v\n%s", err, p.YAML())
	}
	return cfg
}

// TestProposeSample: for the sample config repository, the proposal means
// what its own .stagehand.yaml means: the same stages in the same order
// with the same modes, the same app, image and folders, and a semver
// policy (the range starts at the lowest version pinned now, where the
// sample's author chose ">=1.0.0"). The whole file is a golden file.
func TestProposeSample(t *testing.T) {
	repo := os.DirFS("../../testdata/configrepo")
	p, err := Propose(repo)
	if err != nil {
		t.Fatal(err)
	}
	got := parse(t, p)
	sample, err := os.ReadFile("../../testdata/configrepo/" + config.FileName)
	if err != nil {
		t.Fatal(err)
	}
	want, err := config.Parse(config.FileName, sample)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got.Stages, want.Stages, func(a, b config.Stage) bool { return a.Name == b.Name && a.Mode == b.Mode }) {
		t.Errorf("stages %+v, want %+v", got.Stages, want.Stages)
	}
	if len(got.Apps) != len(want.Apps) {
		t.Fatalf("%d apps, want %d", len(got.Apps), len(want.Apps))
	}
	for i, a := range got.Apps {
		w := want.Apps[i]
		if a.Name != w.Name || a.Image != w.Image || a.Tags.Ordered() != w.Tags.Ordered() {
			t.Errorf("app %s %s %s, want %s %s %s", a.Name, a.Image, a.Tags, w.Name, w.Image, w.Tags)
		}
		for _, st := range want.Stages {
			if a.Path(st.Name) != w.Path(st.Name) {
				t.Errorf("app %s stage %s: %s, want %s", a.Name, st.Name, a.Path(st.Name), w.Path(st.Name))
			}
		}
		if !a.Tags.Accepts("1.0.0") || !a.Tags.Accepts("0.9.1") || a.Tags.Accepts("main-abc1234") {
			t.Errorf("app %s: policy %s", a.Name, a.Tags)
		}
	}
	golden(t, "configrepo.golden.yaml", p.YAML())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run with -update after checking):\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: %s
      containers:
        - name: main
          image: %s
`

func kust(images ...string) *fstest.MapFile {
	s := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\n"
	if len(images) > 0 {
		s += "images:\n"
		for _, img := range images {
			name, tag, _ := strings.Cut(img, "=")
			s += "  - name: " + name + "\n"
			if tag != "" {
				s += "    newTag: \"" + tag + "\"\n"
			}
		}
	}
	return &fstest.MapFile{Data: []byte(s)}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestPropose(t *testing.T) {
	type app struct {
		name, image, policy string
		paths               map[string]string
	}
	tests := []struct {
		name   string
		repo   fstest.MapFS
		stages []string // name:mode
		apps   []app
		notes  []string // each a substring of one note
	}{{
		name: "common names in promotion order, unknown ones after in alphabetical order",
		repo: fstest.MapFS{
			"apps/web/overlays/prod/kustomization.yaml":    kust("ghcr.io/acme/web=1.2.0"),
			"apps/web/overlays/zeta/kustomization.yaml":    kust("ghcr.io/acme/web=1.2.0"),
			"apps/web/overlays/dev/kustomization.yaml":     kust("ghcr.io/acme/web=1.3.0"),
			"apps/web/overlays/alpha/kustomization.yaml":   kust("ghcr.io/acme/web=1.2.0"),
			"apps/web/overlays/qa/kustomization.yaml":      kust("ghcr.io/acme/web=1.2.0"),
			"apps/web/overlays/staging/kustomization.yaml": kust("ghcr.io/acme/web=v1.1.5"),
		},
		stages: []string{"dev:auto-merge", "qa:pull-request", "staging:pull-request", "prod:pull-request", "alpha:pull-request", "zeta:manual"},
		apps: []app{{"web", "ghcr.io/acme/web", "semver >=1.1.5", map[string]string{
			"dev": "apps/web/overlays/dev", "qa": "apps/web/overlays/qa", "staging": "apps/web/overlays/staging",
			"prod": "apps/web/overlays/prod", "alpha": "apps/web/overlays/alpha", "zeta": "apps/web/overlays/zeta",
		}}},
	}, {
		name: "environment folders first, app folders inside; several images per kustomization",
		repo: fstest.MapFS{
			"envs/production/shop/kustomization.yaml": kust("ghcr.io/acme/cart=main-1a2b3c4", "ghcr.io/acme/pay=2.0.0"),
			"envs/staging/shop/kustomization.yaml":    kust("ghcr.io/acme/cart=main-9f8e7d6", "ghcr.io/acme/pay=2.1.0"),
		},
		stages: []string{"staging:auto-merge", "production:manual"},
		apps: []app{
			{"cart", "ghcr.io/acme/cart", "pattern ^main-[0-9a-f]{7}$", map[string]string{"staging": "envs/staging/shop", "production": "envs/production/shop"}},
			{"pay", "ghcr.io/acme/pay", "semver >=2.0.0", map[string]string{"staging": "envs/staging/shop", "production": "envs/production/shop"}},
		},
	}, {
		name: "no images: entries yet: the containers the overlays run",
		repo: fstest.MapFS{
			"api/base/kustomization.yaml":            file("resources:\n  - deployment.yaml\n  - https://example.com/remote.yaml\n"),
			"api/base/deployment.yaml":               file(strings.ReplaceAll(deployment, "%s", "registry.example.com:5000/acme/api:3.1.4")),
			"api/overlays/staging/kustomization.yml": kust(),
			"api/overlays/prod/kustomization.yml":    kust(),
		},
		stages: []string{"staging:auto-merge", "prod:manual"},
		apps: []app{{"api", "registry.example.com:5000/acme/api", "semver >=3.1.4", map[string]string{
			"staging": "api/overlays/staging/kustomization.yml", "prod": "api/overlays/prod/kustomization.yml",
		}}},
	}, {
		name: "one image in two apps' folders; an app missing a stage is left out",
		repo: fstest.MapFS{
			"apps/a/overlays/staging/kustomization.yaml": kust("nginx=1.25.0"),
			"apps/a/overlays/prod/kustomization.yaml":    kust("docker.io/library/nginx=1.25.0"),
			"apps/b/overlays/staging/kustomization.yaml": kust("nginx=1.24.0"),
			"apps/b/overlays/prod/kustomization.yaml":    kust("nginx=1.24.0"),
			"apps/c/overlays/prod/kustomization.yaml":    kust("ghcr.io/acme/c=1.0.0"),
		},
		stages: []string{"staging:auto-merge", "prod:manual"},
		apps: []app{
			{"a-nginx", "nginx", "semver >=1.25.0", map[string]string{"staging": "apps/a/overlays/staging", "prod": "apps/a/overlays/prod"}},
			{"b-nginx", "nginx", "semver >=1.24.0", map[string]string{"staging": "apps/b/overlays/staging", "prod": "apps/b/overlays/prod"}},
		},
		notes: []string{"c (ghcr.io/acme/c) has no kustomization for stage staging; left out"},
	}, {
		name: "a base pinning images, a Flux Kustomization, hidden folders and tags that are neither",
		repo: fstest.MapFS{
			"apps/web/base/kustomization.yaml":              kust("ghcr.io/acme/web=1.0.0"),
			"apps/web/overlays/UAT/kustomization.yaml":      kust("ghcr.io/acme/web=latest"),
			"apps/web/overlays/pre-prod/kustomization.yaml": kust("ghcr.io/acme/web=stable"),
			"clusters/prod/kustomization.yaml":              file("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nimages:\n  - name: ghcr.io/acme/flux\n"),
			".git/overlays/prod/kustomization.yaml":         kust("ghcr.io/acme/git=1.0.0"),
			"broken/overlays/prod/kustomization.yaml":       file("images: [\n"),
		},
		stages: []string{"pre-prod:auto-merge", "uat:manual"},
		apps:   []app{{"web", "ghcr.io/acme/web", "semver >=0.0.0", map[string]string{"pre-prod": "apps/web/overlays/pre-prod", "uat": "apps/web/overlays/UAT"}}},
		notes: []string{
			"apps/web/base/kustomization.yaml pins ghcr.io/acme/web but its folder is not a stage",
			"broken/overlays/prod/kustomization.yaml: not a kustomization kustomize can read",
			"the pinned tags (stable, latest) are not versions",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Propose(tc.repo)
			if err != nil {
				t.Fatal(err)
			}
			cfg := parse(t, p)
			var stages []string
			for _, st := range cfg.Stages {
				stages = append(stages, st.Name+":"+string(st.Mode))
			}
			if !slices.Equal(stages, tc.stages) {
				t.Errorf("stages %v, want %v", stages, tc.stages)
			}
			if len(cfg.Apps) != len(tc.apps) {
				t.Fatalf("%d apps, want %d:\n%s", len(cfg.Apps), len(tc.apps), p.YAML())
			}
			for i, w := range tc.apps {
				a := cfg.Apps[i]
				if a.Name != w.name || a.Image != w.image || a.Tags.String() != w.policy {
					t.Errorf("app %d: %s %s %q, want %s %s %q", i, a.Name, a.Image, a.Tags, w.name, w.image, w.policy)
				}
				for st, dir := range w.paths {
					want := dir
					if !strings.HasSuffix(dir, ".yml") && !strings.HasSuffix(dir, ".yaml") {
						want = dir + "/kustomization.yaml"
					}
					if got := a.Path(st); got != want {
						t.Errorf("app %s stage %s: %s, want %s", a.Name, st, got, want)
					}
				}
			}
			notes := strings.Join(p.Notes, "\n")
			for _, n := range tc.notes {
				if !strings.Contains(notes, n) {
					t.Errorf("no note %q in:\n%s", n, notes)
				}
			}
			if len(tc.notes) == 0 && len(p.Notes) > 0 {
				t.Errorf("unexpected notes:\n%s", notes)
			}
			for _, n := range p.Notes {
				if !strings.Contains(string(p.YAML()), "# note: "+n) {
					t.Errorf("the file does not carry the note %q", n)
				}
			}
		})
	}
}

func TestProposeNothing(t *testing.T) {
	_, err := Propose(fstest.MapFS{
		"README.md":                  file("hello\n"),
		"base/kustomization.yaml":    kust("ghcr.io/acme/web=1.0.0"),
		"overlays/prod/service.yaml": file("kind: Service\n"),
	})
	var nothing *NothingFoundError
	if !errors.As(err, &nothing) || !strings.Contains(err.Error(), "base/kustomization.yaml pins ghcr.io/acme/web") {
		t.Fatalf("err = %v, want a NothingFoundError that names the base", err)
	}
}

// TestSchemaURL: the modeline the proposal starts with names the schema
// the repository publishes, as the README does.
func TestSchemaURL(t *testing.T) {
	data, err := os.ReadFile("../../schema/stagehand.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		ID string `json:"$id"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	if schema.ID != SchemaURL {
		t.Errorf("SchemaURL %s, the schema's $id %s", SchemaURL, schema.ID)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "# yaml-language-server: $schema="+SchemaURL) {
		t.Errorf("README.md does not show the modeline for %s", SchemaURL)
	}
}

// TestProposeTheEndToEndRepository: on the config repository the end to
// end tests seed (an app per registry, each with a base and three
// overlays), the proposal has the same stages and, per image, the same
// folders; apps are named after their images.
func TestProposeTheEndToEndRepository(t *testing.T) {
	apps := []e2e.App{
		{Name: "dockerhub", Image: "docker.io/acme/dockerhub-app"},
		{Name: "harbor", Image: e2e.HarborHost + "/acme/harbor-app"},
		{Name: "gar", Image: e2e.GARHost + "/acme-prod/images/gar-app"},
		{Name: "artifactory", Image: e2e.JFrogHost + "/docker-local/acme/artifactory-app"},
		{Name: "ghcr", Image: "ghcr.io/acme/ghcr-app"},
	}
	repo := fstest.MapFS{}
	for name, data := range e2e.Seed(apps, map[string]string{"ghcr": `pattern: "^main-"`}) {
		repo[name] = &fstest.MapFile{Data: data}
	}
	want, err := config.Parse(config.FileName, repo[config.FileName].Data)
	if err != nil {
		t.Fatal(err)
	}
	delete(repo, config.FileName)
	p, err := Propose(repo)
	if err != nil {
		t.Fatal(err)
	}
	got := parse(t, p)
	if !slices.EqualFunc(got.Stages, want.Stages, func(a, b config.Stage) bool { return a.Name == b.Name && a.Mode == b.Mode }) {
		t.Errorf("stages %+v, want %+v", got.Stages, want.Stages)
	}
	if len(got.Apps) != len(want.Apps) {
		t.Fatalf("%d apps, want %d:\n%s", len(got.Apps), len(want.Apps), p.YAML())
	}
	for _, w := range want.Apps {
		found := got.AppsForImage(w.Image)
		if len(found) != 1 {
			t.Errorf("%s: %d apps propose it", w.Image, len(found))
			continue
		}
		g := found[0]
		if want := path.Base(w.Image); g.Name != want {
			t.Errorf("%s: app %s, want %s", w.Image, g.Name, want)
		}
		for _, st := range want.Stages {
			if g.Path(st.Name) != w.Path(st.Name) {
				t.Errorf("%s in %s: %s, want %s", g.Name, st.Name, g.Path(st.Name), w.Path(st.Name))
			}
		}
	}
}
