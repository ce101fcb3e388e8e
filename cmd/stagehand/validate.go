package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate", "validate [dir]\n\nChecks a config repository checkout (default: the current directory): .stagehand.yaml\nparses, and every app has a readable kustomization (or values or YAML file) in every stage.", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{msg: "validate takes at most one directory"}
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	cfg, findings := promote.CheckRepo(os.DirFS(dir))
	problems := 0
	for _, f := range findings {
		if f.Problem {
			problems++
			fmt.Fprintln(stderr, "error:", f.Msg)
		} else {
			fmt.Fprintln(stdout, "note:", f.Msg)
		}
	}
	if problems > 0 {
		return fmt.Errorf("%d problem(s) in %s", problems, dir)
	}
	for _, line := range cfg.Outline() {
		fmt.Fprintln(stdout, line)
	}
	for _, app := range cfg.Apps {
		for _, st := range cfg.Stages {
			if t := app.Target(st.Name); !t.IsKustomization() {
				fmt.Fprintln(stdout, "note:", targetNote(app, st.Name, t))
			}
		}
	}
	for _, st := range cfg.Stages {
		if len(st.Verify) > 0 {
			fmt.Fprintln(stdout, "note:", verifyNote(st))
		}
		if len(st.Windows) > 0 {
			fmt.Fprintln(stdout, "note:", windowsNote(st, time.Now()))
		}
	}
	fmt.Fprintf(stdout, "ok: %d app(s) across %d stage(s)\n", len(cfg.Apps), len(cfg.Stages))
	return nil
}

// verifyNote says what a stage's health gate waits for, so that a context
// named differently from what Flux or Argo CD post shows before it blocks.
func verifyNote(st config.Stage) string {
	then := "the image stops there"
	if st.OnFailure == config.HoldStage {
		then = "the image stops there and " + st.Name + " is held"
	}
	return fmt.Sprintf("after a merge into %s, the next stage takes the image only once %s %s success on the merge commit, within %s; otherwise %s",
		st.Name, strings.Join(st.Verify, " and "), map[bool]string{true: "is", false: "are all"}[len(st.Verify) == 1], shortDuration(st.VerifyTimeout), then)
}

// shortDuration writes d as people write it: 20m, not 20m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// windowsNote says when nothing moves into a stage, and whether that is
// now, so that a window written in the wrong zone shows at once.
func windowsNote(st config.Stage, now time.Time) string {
	ws := make([]string, len(st.Windows))
	for i, w := range st.Windows {
		ws[i] = w.String()
	}
	msg := fmt.Sprintf("nothing moves into %s during %s", st.Name, strings.Join(ws, ", "))
	if _, opens, denied := st.Windows.Denied(now); denied {
		return msg + fmt.Sprintf("; it is frozen now, until %s", opens.UTC().Format("Mon 2006-01-02 15:04 MST"))
	}
	return msg + "; it is open now"
}

// targetNote says what a promotion writes where a stage pins an app by
// YAML paths, so a path that points at the wrong field shows before a PR.
func targetNote(app config.App, stage string, t manifest.Target) string {
	switch {
	case t.Image != "":
		return fmt.Sprintf("a promotion of %s into %s sets %s in %s to %s:<tag>@sha256:…", app.Name, stage, t.Image, t.File, app.Image)
	case t.Digest != "":
		return fmt.Sprintf("a promotion of %s into %s sets %s in %s to <tag> and %s to sha256:…", app.Name, stage, t.Tag, t.File, t.Digest)
	}
	return fmt.Sprintf("a promotion of %s into %s sets %s in %s to <tag>@sha256:…", app.Name, stage, t.Tag, t.File)
}
