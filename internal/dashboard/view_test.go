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
