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

// viaMergeTo is the chain a merge into from becomes for one of the stages
// after it (Split).
func viaMergeTo(from, to string) Request {
	r := viaMerge(from)
	r.Stage = to
	return r
}

// TestDecideGraph: where stages fan out, a merge moves the image on to
// each stage after it, each by its own rules (holds and soak times of one
// branch do not hold up the other); where they fan in, a stage takes an
// image only once every stage it follows runs it.
func TestDecideGraph(t *testing.T) {
	bearer := Actor{Bearer: true}
	inPreprod := func(w *world) *world { return w.graph().pin("web", "preprod", "1.1.0", d2) }
	tests := []struct {
		name    string
		r       Request
		w       func(*world)
		verdict Verdict
		code    Code
		reason  string
	}{
		{"fan-out: to prod-eu", viaMergeTo("preprod", "prod-eu"), func(w *world) { inPreprod(w) }, Propose, "", ""},
		{"fan-out: to prod-us", viaMergeTo("preprod", "prod-us"), func(w *world) { inPreprod(w) }, Propose, "", ""},
		{"fan-out: a chain naming no stage is split first", viaMerge("preprod"), func(w *world) { inPreprod(w) }, Refuse, CodeOrder, "preprod is followed by prod-eu, prod-us"},
		{"fan-out: a straight part is as before", viaMerge("staging"), func(w *world) { w.graph().pin("web", "staging", "1.1.0", d2) }, Propose, "", ""},
		{"fan-out: a hold in prod-eu holds prod-eu", viaMergeTo("preprod", "prod-eu"), func(w *world) { inPreprod(w).held("prod-eu", false) }, Refuse, CodeHeld, "held in prod-eu"},
		{"fan-out: and not prod-us", viaMergeTo("preprod", "prod-us"), func(w *world) { inPreprod(w).held("prod-eu", false) }, Propose, "", ""},
		{"fan-out: soak in one branch waits", viaMergeTo("preprod", "prod-eu"), func(w *world) {
			inPreprod(w).soak("prod-eu", time.Hour).merged("preprod", d2, 20*time.Minute)
		}, Wait, CodeSoaking, "40m0s is left"},
		{"fan-out: the other branch goes", viaMergeTo("preprod", "prod-us"), func(w *world) {
			inPreprod(w).soak("prod-eu", time.Hour).merged("preprod", d2, 20*time.Minute)
		}, Propose, "", ""},
		{"fan-out: a stage that no longer follows", viaMergeTo("staging", "prod-eu"), func(w *world) { inPreprod(w) }, Ignore, "", "prod-eu no longer follows staging"},

		{"fan-in: waits for the other prod", viaMergeTo("prod-eu", "global"), func(w *world) { inPreprod(w).pin("web", "prod-eu", "1.1.0", d2) }, Refuse, CodeFanIn,
			"global takes an image only once prod-eu, prod-us all run it, and prod-us (runs `1.0.0`) does not run web `1.1.0` yet; it moves on to global when that stage runs it too"},
		{"fan-in: goes once both run it", viaMergeTo("prod-us", "global"), func(w *world) {
			inPreprod(w).pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2)
		}, Propose, "", ""},
		{"fan-in: a chain that finds it there", viaMergeTo("prod-eu", "global"), func(w *world) {
			inPreprod(w).pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2).pin("web", "global", "1.1.0", d2)
		}, Nothing, "", "global already runs"},
		{"fan-in: soak counts in each", viaMergeTo("prod-us", "global"), func(w *world) {
			inPreprod(w).pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2).soak("global", time.Hour).
				merged("prod-eu", d2, 2*time.Hour).merged("prod-us", d2, 10*time.Minute)
		}, Wait, CodeSoaking, "50m0s is left"},
		{"fan-in: a person's promotion too", viaComment("ann", "global"), func(w *world) {
			inPreprod(w).pin("web", "prod-eu", "1.1.0", d2).person("ann")
		}, Refuse, CodeFanIn, "prod-us (runs `1.0.0`) does not run web `1.1.0` yet"},
		{"fan-in: a person's promotion once both run it", viaComment("ann", "global"), func(w *world) {
			inPreprod(w).pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2).person("ann")
		}, Propose, "", ""},
		{"fan-in: the other pins nothing", viaMergeTo("prod-eu", "global"), func(w *world) {
			inPreprod(w).pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "", "")
		}, Refuse, CodeFanIn, "prod-us (pins nothing) does not run"},

		{"a bare /promote on preprod asks which", Request{Kind: Promote, Source: FromComment, App: "web", From: "preprod", Actor: Actor{Login: "ann"}}, func(w *world) { inPreprod(w).person("ann") },
			Refuse, CodeOrder, "preprod is followed by prod-eu, prod-us: say which, with `/promote web to prod-eu`, or `/promote web to all` for each of them"},
		{"a /promote naming one goes", viaComment("ann", "prod-us"), func(w *world) { inPreprod(w).person("ann") }, Propose, "", ""},
		{"a link to one of them", viaLink("preprod", "prod-us", d2, bearer), func(w *world) { inPreprod(w) }, Propose, "", ""},
		{"a link from a stage the target does not follow", viaLink("staging", "prod-us", d1, bearer), func(w *world) { inPreprod(w) }, Refuse, CodeOrder, "prod-us no longer comes right after staging"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.w(w)
			decided(t, w, tt.r, tt.verdict, tt.code, tt.reason)
		})
	}
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
