package promote

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
)

// graphConfig is the pipeline: staging → preprod → {prod-eu,
// prod-us} → global, which takes an image once both prods run it.
const graphConfig = `stages:
  - name: staging
    mode: auto-merge
  - name: preprod
    mode: pull-request
  - name: prod-eu
    mode: auto-merge
    after: [preprod]
  - name: prod-us
    mode: auto-merge
    after: [preprod]
  - name: global
    mode: pull-request
    after: [prod-eu, prod-us]
apps:
  - name: web
    image: ghcr.io/acme/web
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/web/staging
      preprod: apps/web/preprod
      prod-eu: apps/web/prod-eu
      prod-us: apps/web/prod-us
      global: apps/web/global
`

// graph makes w's config the graph pipeline, with web at 1.0.0@d1 in every
// stage.
func (w *world) graph() *world {
	cfg, err := config.Parse(config.FileName, []byte(graphConfig))
	if err != nil {
		w.t.Fatal(err)
	}
	w.snap.Config = cfg
	for _, st := range cfg.Stages {
		w.pin("web", st.Name, "1.0.0", d1)
	}
	return w
}

// soak sets stage's soak time.
func (w *world) soak(stage string, d time.Duration) *world {
	for i := range w.snap.Config.Stages {
		if w.snap.Config.Stages[i].Name == stage {
			w.snap.Config.Stages[i].Soak = d
		}
	}
	return w
}

// inPreprod is the graph pipeline with web 1.1.0@d2 merged into preprod.
func (w *world) inPreprod() *world { return w.graph().pin("web", "preprod", "1.1.0", d2) }

// viaMergeTo is the chain a merge into from becomes for one of the stages
// after it (Split).
func viaMergeTo(from, to string) Request {
	r := viaMerge(from)
	r.Stage = to
	return r
}

// TestDecideGraphSoakUntil: a stage after several waits until the image
// has soaked in the last of them.
func TestDecideGraphSoakUntil(t *testing.T) {
	w := newWorld(t).graph().pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2).soak("global", time.Hour).
		merged("prod-eu", d2, 2*time.Hour).merged("prod-us", d2, 10*time.Minute)
	p := decided(t, w, viaMergeTo("prod-eu", "global"), Wait, CodeSoaking, "")
	if want := now.Add(50 * time.Minute); !p.Until.Equal(want) {
		t.Errorf("Until = %s, want %s", p.Until, want)
	}
}

func TestSplit(t *testing.T) {
	cfg, err := config.Parse(config.FileName, []byte(graphConfig))
	if err != nil {
		t.Fatal(err)
	}
	stages := func(rs []Request) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Stage+"|"+r.ID)
		}
		return out
	}
	merge := ChainAfter("web", "preprod", 7)
	all := Request{Kind: Promote, Source: FromComment, App: "web", From: "preprod", All: true}
	for _, tc := range []struct {
		name string
		r    Request
		want []string
	}{
		{"a merge in preprod goes to both prods", merge, []string{"prod-eu|merged/web/preprod/7/prod-eu", "prod-us|merged/web/preprod/7/prod-us"}},
		{"a merge in staging goes on as one", ChainAfter("web", "staging", 7), []string{"|merged/web/staging/7"}},
		{"a merge in prod-eu goes on to global as one", ChainAfter("web", "prod-eu", 7), []string{"|merged/web/prod-eu/7"}},
		{"a chain naming its stage", viaMergeTo("preprod", "prod-us"), []string{"prod-us|"}},
		{"to all", all, []string{"prod-eu|", "prod-us|"}},
		{"to all from a stage with one after it", Request{Kind: Promote, App: "web", From: "staging", All: true}, []string{"preprod|"}},
		{"to all from the last stage: Decide says so", Request{Kind: Promote, App: "web", From: "global", All: true}, []string{"|"}},
		{"a bare /promote is asked which, not split", Request{Kind: Promote, App: "web", From: "preprod"}, []string{"|"}},
	} {
		if got := stages(tc.r.Split(cfg)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Split = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, r := range all.Split(cfg) {
		if r.All || r.From != "preprod" {
			t.Errorf("split request %+v still says all, or lost its source", r)
		}
	}
}

// graphGroupWorld is the graph pipeline with a group shop of api and cart,
// both at 1.1.0@d2 in preprod and 1.0.0@d1 everywhere else.
func graphGroupWorld(t *testing.T) *world {
	w := newWorld(t)
	src := strings.Replace(graphConfig, "apps:\n", "groups:\n  - name: shop\n    apps: [api, cart]\napps:\n", 1)
	for _, a := range []string{"api", "cart"} {
		src += "  - name: " + a + "\n    image: ghcr.io/acme/" + a + "\n    tags: {semver: \">=1.0.0\"}\n    stages:\n"
		for _, st := range []string{"staging", "preprod", "prod-eu", "prod-us", "global"} {
			src += "      " + st + ": apps/" + a + "/" + st + "\n"
		}
	}
	cfg, err := config.Parse(config.FileName, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	w.snap.Config = cfg
	w.snap.Members = map[string]AppRecords{}
	for _, a := range []string{"api", "cart"} {
		for _, st := range cfg.Stages {
			w.pin(a, st.Name, "1.0.0", d1)
		}
		w.pin(a, "preprod", "1.1.0", d2)
		w.snap.Members[a] = AppRecords{Holds: map[string]gate.Hold{}, Merged: map[string]MergedAt{}}
	}
	return w
}

// TestDecideGraphGroup: a group fans out and in as its apps do.
func TestDecideGraphGroup(t *testing.T) {
	merge := ChainAfter("shop", "preprod", 12)
	rs := merge.Split(graphGroupWorld(t).snap.Config)
	if len(rs) != 2 {
		t.Fatalf("a group's merge in preprod splits into %d requests", len(rs))
	}
	for _, r := range rs {
		p := decided(t, graphGroupWorld(t), r, Propose, "", "")
		if p.Group == nil || p.Stage.Name != r.Stage || len(p.Members) != 2 {
			t.Errorf("group chain to %s: group %v stage %s, %d members", r.Stage, p.Group, p.Stage.Name, len(p.Members))
		}
	}
	w := graphGroupWorld(t)
	w.pin("api", "prod-eu", "1.1.0", d2).pin("cart", "prod-eu", "1.1.0", d2)
	decided(t, w, viaGroupMergeTo("prod-eu", "global"), Refuse, CodeFanIn, "prod-us (runs `1.0.0`) does not run api `1.1.0` yet")
	w.pin("api", "prod-us", "1.1.0", d2).pin("cart", "prod-us", "1.1.0", d2)
	decided(t, w, viaGroupMergeTo("prod-us", "global"), Propose, "", "")
}

func viaGroupMergeTo(from, to string) Request {
	r := groupMerge("shop", from)
	r.Stage = to
	return r
}

// A PR into a stage several follow says what its merge leads to in each.
func TestWhatNextFansOut(t *testing.T) {
	preprod := config.Stage{Name: "preprod", Mode: config.PullRequest}
	eu := config.Stage{Name: "prod-eu", Mode: config.AutoMerge}
	us := config.Stage{Name: "prod-us", Mode: config.PullRequest}
	dr := config.Stage{Name: "dr", Mode: config.Manual}
	got := whatNext(preprod, []config.Stage{eu, us, dr}, "main", nil, "web `1.2.3`", "this same image (same digest) for %s")
	want := "merging this PR deploys web `1.2.3` to preprod. Once it is merged, stagehand proposes this same image (same digest) for prod-eu and prod-us. " +
		"dr is next too, manual: nothing moves there until someone promotes it, and stagehand says here how."
	if got != want {
		t.Errorf("whatNext =\n%s\nwant\n%s", got, want)
	}
}
