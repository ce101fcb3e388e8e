package promote_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/promote"
)

// A merge's chain is split by the stages that follow in the config it
// reads: one that was split by an older config, in which one stage
// followed, is run again rather than refused or sent to one stage only.
func TestChainSplitsByTheConfigItReads(t *testing.T) {
	wd := world(t)
	if _, err := chained(wd, "staging"); err != nil { // the engine knows the straight line
		t.Fatal(err)
	}
	cfg, err := wd.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := wd.GitHub.FileAt("main", "apps/web/overlays/prod/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	graph := strings.Replace(string(cfg), "    mode: manual          # nothing moves until someone promotes it\n",
		"    mode: manual\n  - name: dr\n    mode: manual\n    after: [preprod]\n", 1)
	graph = strings.Replace(graph, "      prod: apps/web/overlays/prod\n", "      prod: apps/web/overlays/prod\n      dr: apps/web/overlays/dr\n", 1)
	if _, err := wd.GitHub.Commit("main", "dr follows preprod too", map[string][]byte{
		".stagehand.yaml": []byte(graph), "apps/web/overlays/dr/kustomization.yaml": prod}); err != nil {
		t.Fatal(err)
	}

	if _, err := chained(wd, "preprod"); !errors.Is(err, promote.ErrMoved) {
		t.Fatalf("a chain split by the old config: %v, want it run again (ErrMoved)", err)
	}
	o, err := chained(wd, "preprod")
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != promote.Split || len(o.Each) != 2 || o.Each[0].Stage != "prod" || o.Each[1].Stage != "dr" {
		t.Fatalf("chain from preprod: %s, %+v", o.Result, o.Each)
	}
	for _, e := range o.Each {
		// The sample pins 0.9.0 by tag alone: each stage says so for itself.
		if e.Result != promote.Refused || e.Code != promote.CodeSource || !strings.Contains(e.Reason, "by tag 0.9.0 only") {
			t.Errorf("%s: %s (%s)", e.Stage, e.Result, e.Reason)
		}
	}
}
