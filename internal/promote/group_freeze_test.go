package promote_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// TestGroupWaitsForFreezeWindow: the group's pushes into a frozen first
// stage wait, all of them kept, and move together in one PR when the
// window opens.
func TestGroupWaitsForFreezeWindow(t *testing.T) {
	// Noon today: far from the window's ends, whenever the test runs.
	y, m, day := time.Now().UTC().Date()
	gw := &groupWorld{q: &dueQueue{}, now: time.Date(y, m, day, 12, 0, 0, 0, time.UTC)}
	dir := groupSeed(t)
	cfgFile := filepath.Join(dir, ".stagehand.yaml")
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	today := gw.now.Format("2006-01-02")
	frozen := strings.Replace(string(cfg), "    mode: auto-merge", "    mode: auto-merge\n    windows:\n      - deny: \""+today+" - "+today+"\"", 1)
	if frozen == string(cfg) {
		t.Fatal("the seed's staging changed shape")
	}
	if err := os.WriteFile(cfgFile, []byte(frozen), 0o644); err != nil {
		t.Fatal(err)
	}
	wd, err := demo.Start(context.Background(), demo.Options{Seed: dir, Validate: true, Engine: func(o *promote.Options) {
		o.Scheduler = gw.q
		o.Now = gw.clock
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wd.Close)
	gw.World = wd

	shop := []string{"web", "api", "worker"}
	for _, app := range shop {
		_, o := gw.pushApp(t, app, "1.0.0")
		expect(t, o, promote.Gathered)
	}
	gw.advance(3 * time.Second)
	outs := gw.runDue(t)
	if len(outs) != 1 || outs[0].Result != promote.Waiting || outs[0].Code != promote.CodeFrozen || !strings.Contains(outs[0].Reason, "staging is inside its freeze window "+today+" - "+today+" (UTC)") {
		t.Fatalf("the group's push inside the window: %+v", outs)
	}
	opens := time.Date(gw.now.Year(), gw.now.Month(), gw.now.Day()+1, 0, 0, 0, 0, time.UTC)
	if !outs[0].Until.Equal(opens) {
		t.Fatalf("waits until %s, want %s", outs[0].Until, opens)
	}
	if prs := gw.GitHub.PullRequests(); len(prs) != 0 {
		t.Fatalf("PRs opened inside the window: %+v", prs)
	}

	// A later push inside the window joins the waiting ones.
	d, _ := gw.pushApp(t, "web", "1.1.0")
	gw.advance(3 * time.Second)
	if outs := gw.runDue(t); len(outs) != 1 || outs[0].Result != promote.Waiting {
		t.Fatalf("the second burst inside the window: %+v", outs)
	}

	gw.advance(opens.Sub(gw.clock()) + time.Second)
	gw.runDue(t)
	staging := gw.prsOf(promote.Branch("shop", "staging"))
	if len(staging) != 1 {
		t.Fatalf("PRs into staging once the window opened: %v", staging)
	}
	got := gw.pins(t, "main", "staging", shop...)
	if got["web"] != "1.1.0@"+d || !strings.HasPrefix(got["api"], "1.0.0@") || !strings.HasPrefix(got["worker"], "1.0.0@") {
		t.Fatalf("staging pins %v once the window opened", got)
	}
}
