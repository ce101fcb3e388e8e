package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
)

// TestMain lets the test binary be stagehand itself: a test that needs a
// real process (one it can SIGKILL) runs os.Args[0] with crashRunMainEnv=1,
// so no separate build is needed.
func TestMain(m *testing.M) {
	if os.Getenv(crashRunMainEnv) == "1" {
		main() // runs the command line and exits
	}
	os.Exit(m.Run())
}

func stagehand(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 2, "Commands:", ""},
		{[]string{"help"}, 0, "promote", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"version"}, 0, "stagehand ", ""},
		{[]string{"validate", "--help"}, 0, "", "Usage: stagehand validate"},
		{[]string{"promote", "--help"}, 0, "", "STAGEHAND_GITHUB_APP_ID"},
		{[]string{"promote", "--bogus"}, 2, "", "flag provided but not defined"},
		{[]string{"promote", "--app", "web"}, 2, "", "--app and --to are required"},
		{[]string{"promote", "--app", "web", "--to", "all"}, 2, "", "say which stage's image moves on, with --from STAGE"},
		{[]string{"promote", "--app", "web", "--to", "prod", "--from", "staging"}, 2, "", "--from goes with --to all"},
		{[]string{"promote", "--help"}, 0, "", "--repo names the config repository"},
		{[]string{"promote", "--repo", "acme", "--app", "web", "--to", "prod"}, 2, "", `--repo "acme": want owner/name`},
		{[]string{"promote", "--config-repo", "acme/config", "--repo", "acme/other", "--app", "web", "--to", "prod"}, 2, "", "--repo acme/other: STAGEHAND_CONFIG_REPO (acme/config) does not take it in"},
		{[]string{"promote", "--config-repo", "acme/*", "--repo", "globex/config", "--app", "web", "--to", "prod"}, 2, "", "--repo globex/config: STAGEHAND_CONFIG_REPO (acme/*) does not take it in"},
		{[]string{"promote", "--config-repo", "acme", "--app", "web", "--to", "prod"}, 2, "", `STAGEHAND_CONFIG_REPO: "acme": want owner/name or owner/*`},
		{[]string{"history", "--help"}, 0, "", "--repo names the config"},
		{[]string{"history", "--repo", "acme/web/x", "--app", "web"}, 2, "", `--repo "acme/web/x": want owner/name`},
		{[]string{"validate", "a", "b"}, 2, "", "at most one directory"},
	}
	for _, tt := range tests {
		code, stdout, stderr := stagehand(t, tt.args...)
		if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("stagehand %v: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout ~%q, stderr ~%q", tt.args, code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
}

func TestPromoteReportsEveryMissingSetting(t *testing.T) {
	for _, k := range []string{"STAGEHAND_GITHUB_APP_ID", "STAGEHAND_GITHUB_PRIVATE_KEY_FILE", "STAGEHAND_GITHUB_PRIVATE_KEY", "STAGEHAND_CONFIG_REPO"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	code, _, stderr := stagehand(t, "promote", "--app", "web", "--to", "prod")
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr: %s", code, stderr)
	}
	for _, want := range []string{"GitHub App ID is not set", "private key is not set"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestValidate(t *testing.T) {
	code, stdout, stderr := stagehand(t, "validate", "../../testdata/configrepo")
	if code != 0 || !strings.Contains(stdout, "ok: 1 app(s) across 3 stage(s)") {
		t.Fatalf("sample: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "stages: staging → preprod → prod\n") {
		t.Errorf("validate does not print the stages' order:\n%s", stdout)
	}
	if !strings.Contains(stdout, "pinned by tag 0.9.0 only") {
		t.Errorf("no note about tag-only pins:\n%s", stdout)
	}

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
	write(".stagehand.yaml", "stages:\n  - name: staging\n    mode: auto-merge\napps:\n  - name: web\n    image: ghcr.io/acme/web\n    tags: {semver: \">=1.0.0\"}\n    stages:\n      staging: apps/web/staging\n")
	code, _, stderr = stagehand(t, "validate", dir)
	if code != 1 || !strings.Contains(stderr, "apps/web/staging/kustomization.yaml: web's staging stage: cannot read the kustomization") {
		t.Fatalf("missing kustomization: exit %d\n%s", code, stderr)
	}
	write("apps/web/staging/kustomization.yaml", "images:\n  - name: ghcr.io/acme/web\n    newTag: [1\n")
	code, _, stderr = stagehand(t, "validate", dir)
	if code != 1 || !strings.Contains(stderr, "apps/web/staging/kustomization.yaml:") {
		t.Fatalf("broken kustomization: exit %d\n%s", code, stderr)
	}
	write("apps/web/staging/kustomization.yaml", "images:\n  - name: ghcr.io/acme/web\n    newTag: 1.0.0\n")
	write(".stagehand.yaml", "stages:\n  - name: staging\n    mode: auto-merge\n    windows:\n      - deny: \"1999-12-24 - 1999-12-26\"\n        timezone: Europe/Berlin\napps:\n  - name: web\n    image: ghcr.io/acme/web\n    tags: {semver: \">=1.0.0\"}\n    stages:\n      staging: apps/web/staging\n")
	code, stdout, stderr = stagehand(t, "validate", dir)
	if code != 0 || !strings.Contains(stdout, "note: nothing moves into staging during 1999-12-24 - 1999-12-26 (Europe/Berlin); it is open now") {
		t.Fatalf("windows: exit %d\n%s%s", code, stdout, stderr)
	}
	write(".stagehand.yaml", "stages:\n  - name: staging\n    mode: auto-merge\n    verify:\n      - context: kustomization/apps-staging\n      - context: argocd/web-staging\n    verify_timeout: 2h\n    on_failure: hold\ndashboard: issue\napps:\n  - name: web\n    image: ghcr.io/acme/web\n    tags: {semver: \">=1.0.0\"}\n    stages:\n      staging: apps/web/staging\n")
	code, stdout, stderr = stagehand(t, "validate", dir)
	if want := "note: after a merge into staging, the next stage takes the image only once kustomization/apps-staging and argocd/web-staging are all success on the merge commit, within 2h; otherwise the image stops there and staging is held"; code != 0 || !strings.Contains(stdout, want) {
		t.Fatalf("verify: exit %d, want %q\n%s%s", code, want, stdout, stderr)
	}
	if want := "note: stagehand keeps one issue labelled stagehand"; !strings.Contains(stdout, want) {
		t.Errorf("dashboard: issue: want %q\n%s", want, stdout)
	}
	write(".stagehand.yaml", "stages:\n  - name: staging\n    mode: auto-merge\n    windows:\n      - deny: \"Fri 16:00 - Mon 8:00\"\n        timezone: Europe/Berln\napps: []\n")
	code, _, stderr = stagehand(t, "validate", dir)
	if code != 1 || !strings.Contains(stderr, ".stagehand.yaml:5:15: deny: \"8:00\" is not a time of day") || !strings.Contains(stderr, ".stagehand.yaml:6:19: timezone: \"Europe/Berln\" is not a time zone") {
		t.Fatalf("bad windows: exit %d\n%s", code, stderr)
	}
	write(".stagehand.yaml", "stages:\n  - name: staging\n    mode: automerge\n")
	code, _, stderr = stagehand(t, "validate", dir)
	if code != 1 || !strings.Contains(stderr, ".stagehand.yaml:3:11: mode: \"automerge\" is not a mode") || !strings.Contains(stderr, "apps") {
		t.Fatalf("bad config: exit %d\n%s", code, stderr)
	}
}

// TestPromoteAgainstGitHub runs the CLI as a release manager would, against
// the GitHub stand-in and a database no stagehand serve works: a dry run
// decides as a /promote would (the source stage pins only a tag, so it
// refuses; after a pin it shows the change) and writes nothing; a real
// promotion needs a serve to apply it, and says so.
func TestPromoteAgainstGitHub(t *testing.T) {
	key, err := githubfake.GenerateAppKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := githubfake.NewTest(t, githubfake.Options{Seed: "../../testdata/configrepo", AppKey: &key.PublicKey})
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STAGEHAND_GITHUB_API_URL", gh.URL())
	t.Setenv("STAGEHAND_GITHUB_APP_ID", "1")
	t.Setenv("STAGEHAND_GITHUB_PRIVATE_KEY_FILE", keyFile)
	t.Setenv("STAGEHAND_CONFIG_REPO", gh.Owner()+"/"+gh.Repo())
	t.Setenv("STAGEHAND_DATABASE_URL", filepath.Join(t.TempDir(), "stagehand.db"))
	t.Setenv("GITHUB_TOKEN", "")

	code, stdout, stderr := stagehand(t, "promote", "--app", "web", "--to", "preprod", "--dry-run")
	if code != 1 || !strings.Contains(stdout+stderr, "by tag 0.9.0 only, with no digest") {
		t.Fatalf("tag-only source: exit %d\n%s%s", code, stdout, stderr)
	}

	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	file := "apps/web/overlays/staging/kustomization.yaml"
	data, err := gh.FileAt("main", file)
	if err != nil {
		t.Fatal(err)
	}
	pinned := strings.Replace(string(data), `newTag: "0.9.0"   # pinned by stagehand`, "newTag: \"1.2.0\"   # pinned by stagehand\n    digest: "+digest, 1)
	if _, err := gh.Commit("main", "pin staging", map[string][]byte{file: []byte(pinned)}); err != nil {
		t.Fatal(err)
	}
	head, _ := gh.Head("main")
	code, stdout, stderr = stagehand(t, "promote", "--app", "web", "--to", "preprod", "--dry-run")
	if code != 0 || !strings.Contains(stdout, "planned 1.2.0") || !strings.Contains(stdout, "+    digest: "+digest) {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	// To all from staging is to preprod alone here, planned the same way.
	code, stdout, stderr = stagehand(t, "promote", "--app", "web", "--from", "staging", "--to", "all", "--dry-run")
	if code != 0 || !strings.Contains(stdout, "preprod") || !strings.Contains(stdout, "planned 1.2.0") || !strings.Contains(stdout, "+    digest: "+digest) {
		t.Fatalf("dry run to all: exit %d\n%s%s", code, stdout, stderr)
	}
	if after, _ := gh.Head("main"); after != head || len(gh.PullRequests()) != 0 {
		t.Fatal("a dry run wrote to GitHub")
	}

	code, stdout, stderr = stagehand(t, "promote", "--app", "web", "--to", "preprod")
	if code != 1 || !strings.Contains(stderr, "no stagehand serve works the queue") || len(gh.PullRequests()) != 0 {
		t.Fatalf("promote with no serve: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestWindowsNote(t *testing.T) {
	cfg, err := config.Parse("c.yaml", []byte("stages:\n  - name: prod\n    mode: manual\n    windows:\n      - deny: \"Fri 16:00 - Mon 08:00\"\n        timezone: Europe/Berlin\napps: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := windowsNote(cfg.Stages[0], time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	if want := "nothing moves into prod during Fri 16:00 - Mon 08:00 (Europe/Berlin); it is frozen now, until Mon 2026-12-07 07:00 UTC"; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
}
