package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/notify"
)

// FuzzParse checks that Parse never panics, returns a Config exactly when
// it returns no error, and that what it returns keeps its promises.
func FuzzParse(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join("..", "..", "testdata", "configrepo", FileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte(validBase + secondApp))
	f.Add([]byte(groupsBase))
	f.Add([]byte(notifyBase))
	f.Add([]byte(fanOut))
	for _, tc := range slices.Concat(badFiles, badGroups, badNotify, badWindows, badTargets, badGraphs) {
		f.Add([]byte(tc.src))
	}
	for _, tc := range badVerify {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v; want exactly one of them", cfg, err)
		}
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || len(perr.Problems) == 0 {
				t.Fatalf("error %v (%T) is not an *Error with problems", err, err)
			}
			if n := strings.Count(perr.Error(), "\n") + 1; n != len(perr.Problems) {
				t.Fatalf("Error() has %d lines for %d problems:\n%s", n, len(perr.Problems), perr)
			}
			return
		}
		// An editor using the schema must never flag a file stagehand takes.
		if err := schemaValidate(t, string(data)); err != nil {
			t.Fatalf("Parse accepts it, the schema (schema/stagehand.schema.json) refuses it: %v", err)
		}
		if len(cfg.Stages) == 0 || cfg.First().Name != cfg.Stages[0].Name {
			t.Fatalf("valid config without stages or base branch: %+v", cfg)
		}
		checkGraph(t, cfg)
		for _, st := range cfg.Stages {
			if len(st.Windows) > MaxWindows || st.Windows.Forever() {
				t.Fatalf("stage %s: windows %v", st.Name, st.Windows)
			}
			for _, w := range st.Windows {
				if w.Loc == nil {
					t.Fatalf("stage %s: window %s has no zone", st.Name, w.Spec)
				}
			}
		}
		for _, app := range cfg.Apps {
			for _, st := range cfg.Stages {
				p := app.Path(st.Name)
				if p == "" || strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") {
					t.Fatalf("app %s stage %s: path %q", app.Name, st.Name, p)
				}
				checkTarget(t, app.Target(st.Name))
			}
			if len(cfg.AppsForImage(app.Image)) == 0 {
				t.Fatalf("AppsForImage(%q) does not find app %s", app.Image, app.Name)
			}
		}
		if len(cfg.Notify) > MaxReceivers {
			t.Fatalf("%d receivers", len(cfg.Notify))
		}
		for _, r := range cfg.Notify {
			if (r.URL == "") == (r.URLEnv == "") || (r.Format != notify.FormatJSON && r.Format != notify.FormatSlack) ||
				(r.Format == notify.FormatJSON && r.SecretEnv == "") || (r.URL != "" && notify.CheckURL(r.URL) != "") {
				t.Fatalf("receiver %+v", r)
			}
		}
		for _, g := range cfg.Groups {
			if len(g.Apps) == 0 || len(g.Apps) > MaxGroupApps || g.Window <= 0 || g.Window > MaxWindow {
				t.Fatalf("group %+v", g)
			}
			if _, ok := cfg.App(g.Name); ok {
				t.Fatalf("group %s has an app's name", g.Name)
			}
			for _, m := range g.Apps {
				if _, ok := cfg.App(m); !ok {
					t.Fatalf("group %s lists %s, which is no app", g.Name, m)
				}
				if in, _ := cfg.GroupOf(m); in.Name != g.Name {
					t.Fatalf("%s is in group %s and %s", m, g.Name, in.Name)
				}
			}
		}
	})
}

// checkGraph checks the promises of a valid config's stage graph: the
// first stage follows none, every other follows stages of the file, and
// every stage is reached from the first, without a cycle.
func checkGraph(t *testing.T, cfg *Config) {
	t.Helper()
	placed := map[string]bool{}
	for len(placed) < len(cfg.Stages) {
		progress := false
		for i, st := range cfg.Stages {
			if placed[st.Name] {
				continue
			}
			if (i == 0) != (len(st.After) == 0) {
				t.Fatalf("stage %d %s follows %v", i, st.Name, st.After)
			}
			if !slices.ContainsFunc(st.After, func(a string) bool { return !placed[a] }) {
				placed[st.Name], progress = true, true
			}
			if len(cfg.Prev(st.Name)) != len(st.After) {
				t.Fatalf("stage %s: Prev %v, After %v", st.Name, cfg.Prev(st.Name), st.After)
			}
			for _, n := range cfg.Next(st.Name) {
				if !slices.Contains(n.After, st.Name) {
					t.Fatalf("Next(%s) has %s, which does not follow it", st.Name, n.Name)
				}
			}
		}
		if !progress {
			t.Fatalf("stages without an order from the first: %+v", cfg.Stages)
		}
	}
}
