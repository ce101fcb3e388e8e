package dashboard

import (
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/window"
)

// A stage inside a freeze window shows it, with when it opens; outside,
// nothing.
func TestCellFrozen(t *testing.T) {
	w, err := window.Parse("Fri 16:00 - Mon 08:00", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	in := stateInput{c: promote.Cell{Stage: config.Stage{Name: "prod", Windows: window.Set{w}}}}
	in.now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC) // a Saturday
	s, ok := frozen(in)
	if want := "Fri 16:00 - Mon 08:00 (UTC); opens Mon 2026-12-07 08:00 UTC"; !ok || s.Label != "frozen" || s.Detail != want {
		t.Errorf("Saturday: %+v %v, want frozen with %q", s, ok, want)
	}
	in.now = time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC) // a Tuesday
	if s, ok := frozen(in); ok {
		t.Errorf("Tuesday: %+v, want no state", s)
	}
}

// Behind compares a stage with each stage it follows: global, after
// prod-eu and prod-us, is behind while either runs another image, and
// names which; in a straight line, the stage above.
func TestCellBehindEachStageItFollows(t *testing.T) {
	const d1, d2 = "sha256:1111", "sha256:2222"
	cell := func(stage, tag, digest string, after ...string) promote.Cell {
		c := promote.Cell{Stage: config.Stage{Name: stage, After: after}}
		c.File.Pinned.Found, c.File.Pinned.Tag, c.File.Pinned.Digest = true, tag, digest
		return c
	}
	global := cell("global", "1.0.0", d1, "prod-eu", "prod-us")
	for _, tc := range []struct {
		name   string
		prev   []promote.Cell
		detail string // "" for not behind
	}{
		{"both ahead", []promote.Cell{cell("prod-eu", "1.1.0", d2), cell("prod-us", "1.1.0", d2)}, "prod-eu has 1.1.0, prod-us has 1.1.0"},
		{"one ahead", []promote.Cell{cell("prod-eu", "1.0.0", d1), cell("prod-us", "1.1.0", d2)}, "prod-us has 1.1.0"},
		{"neither", []promote.Cell{cell("prod-eu", "1.0.0", d1), cell("prod-us", "1.0.0", d1)}, ""},
	} {
		in := stateInput{c: global}
		for i := range tc.prev {
			in.prev = append(in.prev, &tc.prev[i])
		}
		s, ok := behind(in)
		if ok != (tc.detail != "") || s.Detail != tc.detail {
			t.Errorf("%s: behind = %+v, %v; want %q", tc.name, s, ok, tc.detail)
		}
	}
}
