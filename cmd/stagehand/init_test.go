package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// TestInitOnTheSample: on the sample config repository without its
// .stagehand.yaml, init prints a proposal and writes nothing; --write
// writes one that stagehand validate accepts and that means what the
// sample's does; a second --write refuses to replace it, --force does.
func TestInitOnTheSample(t *testing.T) {
	dir := t.TempDir()
	src := "../../testdata/configrepo"
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == config.FileName {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, config.FileName)

	code, stdout, stderr := stagehand(t, "init", dir)
	if code != 0 || !strings.Contains(stdout, "stages:") {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(target); err == nil {
		t.Fatal("init without --write wrote the file")
	}
	printed := stdout

	code, stdout, stderr = stagehand(t, "init", "--write", dir)
	if code != 0 || !strings.Contains(stdout, "wrote "+target+": 3 stage(s), 1 app(s)") {
		t.Fatalf("init --write: exit %d\n%s%s", code, stdout, stderr)
	}
	written, err := os.ReadFile(target)
	if err != nil || string(written) != printed {
		t.Fatalf("written file differs from the printed one (%v):\n%s\n---\n%s", err, written, printed)
	}
	code, stdout, stderr = stagehand(t, "validate", dir)
	if code != 0 || !strings.Contains(stdout, "ok: 1 app(s) across 3 stage(s)") {
		t.Fatalf("validate after init: exit %d\n%s%s", code, stdout, stderr)
	}
	got, err := config.Parse(config.FileName, written)
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile(filepath.Join(src, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	want, err := config.Parse(config.FileName, sample)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Stages) != len(want.Stages) || len(got.Apps) != 1 || len(want.Apps) != 1 {
		t.Fatalf("stages %+v apps %+v; want stages %+v apps %+v", got.Stages, got.Apps, want.Stages, want.Apps)
	}
	for i, st := range want.Stages {
		if got.Stages[i].Name != st.Name || got.Stages[i].Mode != st.Mode {
			t.Errorf("stage %d: %+v, want %+v", i, got.Stages[i], st)
		}
		if g, w := got.Apps[0].Path(st.Name), want.Apps[0].Path(st.Name); g != w {
			t.Errorf("web in %s: %s, want %s", st.Name, g, w)
		}
	}
	if g, w := got.Apps[0], want.Apps[0]; g.Name != w.Name || g.Image != w.Image || !g.Tags.Ordered() {
		t.Errorf("app %s %s %s, want %s %s and a semver policy", g.Name, g.Image, g.Tags, w.Name, w.Image)
	}

	mine := append(written, []byte("# my own edit\n")...)
	if err := os.WriteFile(target, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = stagehand(t, "init", "--write", dir)
	if code != 1 || !strings.Contains(stderr, "exists; init does not replace it without --force") {
		t.Fatalf("init --write over a file: exit %d\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(target); string(data) != string(mine) {
		t.Fatal("init --write replaced an existing file")
	}
	code, stdout, stderr = stagehand(t, "init", "--write", "--force", dir)
	if data, _ := os.ReadFile(target); code != 0 || string(data) != printed {
		t.Fatalf("init --write --force: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestInitRefusals(t *testing.T) {
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "README.md"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"init", "--force", empty}, 2, "--force only goes with --write"},
		{[]string{"init", "a", "b"}, 2, "at most one directory"},
		{[]string{"init", filepath.Join(empty, "nope")}, 1, "is not a directory"},
		{[]string{"init", "--write", empty}, 1, "found no kustomization in a stage folder"},
		{[]string{"init", "--help"}, 0, "Usage: stagehand init"},
	}
	for _, tt := range tests {
		code, stdout, stderr := stagehand(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("stagehand %v: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stderr ~%q", tt.args, code, stdout, stderr, tt.code, tt.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(empty, config.FileName)); err == nil {
		t.Error("a refused init wrote a file")
	}
}
