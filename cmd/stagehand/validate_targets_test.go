package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateTargets: validate reads a Helm values target and an image
// target the way promotion does, says what a promotion writes there, and
// names a path that leads nowhere.
func TestValidateTargets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".stagehand.yaml", `stages:
  - name: staging
    mode: auto-merge
  - name: prod
    mode: manual
apps:
  - name: web
    image: ghcr.io/acme/web
    tags: {semver: ">=1.0.0"}
    stages:
      staging: {file: charts/web/values-staging.yaml, tag: image.tag, digest: image.digest}
      prod: {file: deploy/prod/web.yaml, image: "spec.template.spec.containers[name=web].image"}
`)
	write("charts/web/values-staging.yaml", "image:\n  tag: \"1.0.0\"\n  digest: \"\"\n")
	write("deploy/prod/web.yaml", "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web:0.9.0\n")
	code, stdout, stderr := stagehand(t, "validate", dir)
	for _, want := range []string{
		"note: a promotion of web into staging sets image.tag in charts/web/values-staging.yaml to <tag> and image.digest to sha256:…",
		"note: a promotion of web into prod sets spec.template.spec.containers[name=web].image in deploy/prod/web.yaml to ghcr.io/acme/web:<tag>@sha256:…",
		"ok: 1 app(s) across 2 stage(s)",
	} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("exit %d, stdout lacks %q:\n%s%s", code, want, stdout, stderr)
		}
	}
	write("deploy/prod/web.yaml", "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:0.9.0\n")
	code, _, stderr = stagehand(t, "validate", dir)
	if want := "deploy/prod/web.yaml: YAML path not found: spec.template.spec.containers[name=web].image: no item of spec.template.spec.containers has name: web"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, stderr)
	}
}
