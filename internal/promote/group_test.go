package promote

import (
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// The group rows of the plan's table: a group's request through every way
// in, each app decided by the app rules of plan_test.go, the group as one.

// groupConfig is testConfig with two more apps, api and cart, released
// together as group shop; web and worker stay on their own.
const groupConfig = testConfig + `  - name: api
    image: ghcr.io/acme/api
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/api/staging
      preprod: apps/api/preprod
      prod: apps/api/prod
  - name: cart
    image: ghcr.io/acme/cart
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/cart/staging
      preprod: apps/cart/preprod
      prod: apps/cart/prod
groups:
  - name: shop
    apps: [api, cart]
`

// newGroupWorld is newWorld on groupConfig: api and cart run 1.0.0@d1 in
// staging and preprod and nothing in prod, and have records of their own.
func newGroupWorld(t testing.TB) *world {
	w := newWorld(t)
	cfg, err := config.Parse(config.FileName, []byte(groupConfig))
	if err != nil {
		t.Fatal(err)
	}
	w.snap.Config = cfg
	w.snap.Members = map[string]AppRecords{}
	for _, a := range []string{"api", "cart"} {
		w.pin(a, "staging", "1.0.0", d1).pin(a, "preprod", "1.0.0", d1).pin(a, "prod", "", "")
		w.snap.Members[a] = AppRecords{Holds: map[string]gate.Hold{}, Merged: map[string]MergedAt{}}
	}
	return w
}

// candidate is app's push of tag@digest, gathered ago.
func (w *world) candidate(app, tag, digest string, ago time.Duration) *world {
	a, _ := w.snap.Config.App(app)
	r := Request{Kind: Push, Source: FromRegistry, App: app, Image: a.Image, Tag: tag, Digest: digest}
	w.snap.Candidates = append(w.snap.Candidates, Candidate{App: app, Request: r, At: now.Add(-ago)})
	return w
}

func (w *world) heldApp(app, stage string) *world {
	w.snap.Members[app].Holds[stage] = gate.Hold{By: "ann", Reason: "incident 9", At: now.Add(-time.Hour)}
	return w
}

func (w *world) mergedApp(app, stage, digest string, ago time.Duration) *world {
	w.snap.Members[app].Merged[stage] = MergedAt{Digest: digest, At: now.Add(-ago)}
	return w
}

// groupPR is the group's open PR into stage, proposing app@tag@digest pairs.
func (w *world) groupPR(stage string, pins ...MemberPin) *world {
	body := Marker{Group: "shop", Stage: stage, Apps: pins}.String()
	w.snap.Open = &githubapp.PullRequest{Number: 8, Head: Branch("shop", stage), Body: body}
	return w
}

func pinOf(app, tag, digest string) MemberPin {
	return MemberPin{App: app, Image: "ghcr.io/acme/" + app, Tag: tag, Digest: digest}
}

// The group's ways in, as their makers build them.
func viaGroupPush() Request {
	return Request{ID: "group/shop/1", Kind: Push, Source: FromRegistry, App: "shop", Group: "shop"}
}
func groupMerge(name, from string) Request {
	return Request{Kind: Chain, Source: FromMerge, App: name, From: from, Issue: 12}
}
func groupComment(login, name, stage string) Request {
	return Request{Kind: Promote, Source: FromComment, App: name, Stage: stage, Actor: Actor{Login: login}, Issue: 12}
}

func TestDecideGroup(t *testing.T) {
	tests := []struct {
		name    string
		r       Request
		w       func(*world)
		verdict Verdict
		code    Code
		reason  string            // a part of the reason; "" for none to check
		moves   map[string]string // app → digest the group's PR moves, for a proposal
	}{
		// Pushes gathered in the window enter the first stage together.
		{"push proposes every app", viaGroupPush(), func(w *world) {
			w.candidate("api", "1.1.0", d2, 5*time.Second).candidate("cart", "1.2.0", d3, 3*time.Second)
		},
			Propose, "", "", map[string]string{"api": d2, "cart": d3}},
		{"push: the window is open", viaGroupPush(), func(w *world) {
			w.candidate("api", "1.1.0", d2, 5*time.Second).candidate("cart", "1.2.0", d3, time.Second)
		},
			Gather, "", "group shop waits until 2026-12-05T12:00:01Z", nil},
		{"push: ten windows at most", viaGroupPush(), func(w *world) {
			w.candidate("api", "1.1.0", d2, 21*time.Second).candidate("cart", "1.2.0", d3, time.Second)
		},
			Propose, "", "", map[string]string{"api": d2, "cart": d3}},
		{"push: ten windows, not yet", viaGroupPush(), func(w *world) {
			w.candidate("api", "1.1.0", d2, 19*time.Second).candidate("cart", "1.2.0", d3, time.Second)
		},
			Gather, "", "waits until 2026-12-05T12:00:01Z", nil},
		{"push: a held app refuses the group", viaGroupPush(), func(w *world) {
			w.candidate("api", "1.1.0", d2, 5*time.Second).candidate("cart", "1.2.0", d3, 5*time.Second).heldApp("cart", "staging")
		}, Refuse, CodeHeld, "cart is held in staging by @ann: incident 9", nil},
		{"push: an app there already is left out", viaGroupPush(), func(w *world) {
			w.candidate("api", "1.0.0", d1, 5*time.Second).candidate("cart", "1.2.0", d3, 5*time.Second)
		},
			Propose, "", "", map[string]string{"cart": d3}},
		{"push: an older tag is left out", viaGroupPush(), func(w *world) {
			w.candidate("api", "0.9.9", d2, 5*time.Second).candidate("cart", "1.2.0", d3, 5*time.Second)
		},
			Propose, "", "", map[string]string{"cart": d3}},
		{"push: every app there already", viaGroupPush(), func(w *world) { w.candidate("api", "1.0.0", d1, 5*time.Second) },
			Nothing, "", "staging already runs what group shop would move there", nil},
		{"push: nothing gathered", viaGroupPush(), nil, Ignore, "", "no push of group shop's apps waits", nil},
		{"push adds to the open PR", viaGroupPush(), func(w *world) {
			w.groupPR("staging", pinOf("api", "1.1.0", d2)).candidate("cart", "1.2.0", d3, 5*time.Second)
		},
			Propose, "", "", map[string]string{"api": d2, "cart": d3}},
		{"push: the open PR's newer image stays", viaGroupPush(), func(w *world) {
			w.groupPR("staging", pinOf("api", "1.3.0", d3)).candidate("api", "1.1.0", d2, 5*time.Second)
		},
			Propose, "", "", map[string]string{"api": d3}},
		{"release proposes what the hold kept", viaRelease(viaGroupPush()), func(w *world) { w.candidate("api", "1.1.0", d2, time.Hour) },
			Propose, "", "", map[string]string{"api": d2}},
		{"an app's push stays its own outside a group", viaPush("1.1.0", d2), nil, Propose, "", "", nil},

		// A merge moves exactly what the stage merged into pins now.
		{"chain moves the From pins", groupMerge("shop", "staging"), func(w *world) { w.pin("api", "staging", "1.1.0", d2).pin("cart", "staging", "1.2.0", d3) },
			Propose, "", "", map[string]string{"api": d2, "cart": d3}},
		{"an app's chain is its group's", groupMerge("api", "staging"), func(w *world) { w.pin("api", "staging", "1.1.0", d2).pin("cart", "staging", "1.2.0", d3) },
			Propose, "", "", map[string]string{"api": d2, "cart": d3}},
		{"chain: an app there already is left out", groupMerge("shop", "staging"), func(w *world) { w.pin("api", "staging", "1.1.0", d2) },
			Propose, "", "", map[string]string{"api": d2}},
		{"chain: tag-only alike is left out", groupMerge("shop", "staging"), func(w *world) {
			w.pin("api", "staging", "1.1.0", d2).pin("cart", "staging", "0.9.0", "").pin("cart", "preprod", "0.9.0", "")
		}, Propose, "", "", map[string]string{"api": d2}},
		{"chain: a tag-only source refuses", groupMerge("shop", "staging"), func(w *world) { w.pin("api", "staging", "1.1.0", d2).pin("cart", "staging", "0.9.0", "") },
			Refuse, CodeSource, "by tag 0.9.0 only", nil},
		{"chain: a held app refuses", groupMerge("shop", "staging"), func(w *world) { w.pin("api", "staging", "1.1.0", d2).heldApp("api", "preprod") },
			Refuse, CodeHeld, "api is held in preprod", nil},
		{"chain: manual next", groupMerge("shop", "preprod"), nil, TellManual, "", "`/promote shop to prod` or `stagehand promote --app shop --to prod`", nil},
		{"chain: last stage", groupMerge("shop", "prod"), nil, Ignore, "", "prod is the last stage", nil},
		{"soak: the group waits", Request{Kind: Chain, Source: FromSoak, App: "shop", From: "staging"}, func(w *world) {
			w.snap.Config.Stages[1].Soak = time.Hour
			w.pin("api", "staging", "1.1.0", d2).mergedApp("api", "staging", d2, 20*time.Minute)
		}, Wait, CodeSoaking, "40m0s is left", nil},

		// A person promotes the group: a comment, a bare /promote on its
		// PR, the CLI; approvers apply as to any app.
		{"comment proposes", groupComment("ann", "shop", "preprod"), func(w *world) { w.pin("api", "staging", "1.1.0", d2).person("ann") },
			Propose, "", "", map[string]string{"api": d2}},
		{"an app's comment is its group's", groupComment("ann", "cart", "preprod"), func(w *world) { w.pin("api", "staging", "1.1.0", d2).person("ann") },
			Propose, "", "", map[string]string{"api": d2}},
		{"bare /promote on the group's PR", Request{Kind: Promote, Source: FromComment, App: "shop", From: "staging", Actor: Actor{Login: "ann"}, Issue: 8},
			func(w *world) { w.pin("cart", "staging", "1.2.0", d3).person("ann") }, Propose, "", "", map[string]string{"cart": d3}},
		{"comment: reader may not", groupComment("bob", "shop", "preprod"), func(w *world) { w.pin("api", "staging", "1.1.0", d2).person("bob") },
			Refuse, CodeNotAllowed, "@bob may not promote into preprod", nil},
		{"comment: writer is no approver", groupComment("ann", "shop", "prod"), func(w *world) { w.person("ann") },
			Refuse, CodeNotAllowed, "@ann may not promote into prod: only octocat, @acme/release may", nil},
		{"comment: approver", groupComment("octocat", "shop", "prod"), func(w *world) {
			w.person("octocat").mergedApp("api", "preprod", d1, time.Hour).mergedApp("cart", "preprod", d1, time.Hour)
		}, Propose, "", "", map[string]string{"api": d1, "cart": d1}},
		{"comment: soak", groupComment("octocat", "shop", "prod"), func(w *world) {
			w.person("octocat").mergedApp("api", "preprod", d1, time.Hour).mergedApp("cart", "preprod", d1, 10*time.Minute)
		}, Refuse, CodeSoaking, "20m0s is left", nil},
		{"cli proposes", Request{ID: "r2", Kind: Promote, Source: FromCLI, App: "shop", Stage: "preprod"}, func(w *world) { w.pin("api", "staging", "1.1.0", d2) },
			Propose, "", "", map[string]string{"api": d2}},
		{"link: one app's image, not the group", viaLinkOf("api"), func(w *world) { w.pin("api", "staging", "1.1.0", d2) },
			Refuse, CodeOrder, "comment `/promote shop to <stage>`", nil},

		// Checks changed on the group's PR.
		{"checks: bring the PR up to date", Request{Kind: Reconsider, Source: FromChecks, App: "shop", Stage: "staging"},
			func(w *world) { w.groupPR("staging", pinOf("api", "1.1.0", d2), pinOf("cart", "1.2.0", d3)) }, Propose, "", "", map[string]string{"api": d2, "cart": d3}},
		{"checks: held", Request{Kind: Reconsider, Source: FromChecks, App: "shop", Stage: "staging"},
			func(w *world) { w.groupPR("staging", pinOf("api", "1.1.0", d2)).heldApp("api", "staging") }, Refuse, CodeHeld, "api is held in staging", nil},

		// Holds, releases and rollbacks stay each app's own.
		{"hold names an app", Request{Kind: Hold, Source: FromComment, App: "shop", Stage: "prod", Actor: Actor{Login: "ann"}}, func(w *world) { w.person("ann") },
			Refuse, CodeUnknown, "shop is a group (apps: api, cart); a hold names one of its apps", nil},
		{"an app of a group is held alone", Request{Kind: Hold, Source: FromComment, App: "api", Stage: "preprod", Actor: Actor{Login: "ann"}}, func(w *world) { w.person("ann") },
			PlaceHold, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newGroupWorld(t)
			if tt.w != nil {
				tt.w(w)
			}
			p := decided(t, w, tt.r, tt.verdict, tt.code, tt.reason)
			if p.Verdict != Propose || tt.moves == nil {
				return
			}
			if p.Group == nil || p.Group.Name != "shop" || p.Key() != Key("shop", p.Stage.Name) {
				t.Fatalf("a proposal of group shop is %v, key %s", p.Group, p.Key())
			}
			got := map[string]string{}
			for _, m := range p.Members {
				if m.Verdict != Propose {
					continue
				}
				got[m.App.Name] = m.Want.Digest
				pinned, err := manifest.Current(m.Path, m.After, m.App.Image)
				if err != nil || pinned.Digest != m.Want.Digest || pinned.Tag != m.Want.Tag {
					t.Errorf("%s's file pins %+v (%v), want %s@%s", m.App.Name, pinned, err, m.Want.Tag, m.Want.Digest)
				}
			}
			if len(got) != len(tt.moves) {
				t.Fatalf("moves %v, want %v", got, tt.moves)
			}
			for app, d := range tt.moves {
				if got[app] != d {
					t.Fatalf("moves %v, want %v", got, tt.moves)
				}
			}
		})
	}
}

func viaLinkOf(app string) Request {
	return Request{ID: "r1", Kind: Promote, Source: FromLink, App: app, From: "staging", Stage: "preprod", Digest: d2, LinkID: "L1", Actor: Actor{Bearer: true}}
}

// TestDecideGroupProposal checks what a group's proposal carries: the
// stage, the merge of an auto-merge stage, the source stage of a chain,
// and the hold a refusal keeps its request for.
func TestDecideGroupProposal(t *testing.T) {
	w := newGroupWorld(t).candidate("api", "1.1.0", d2, 5*time.Second)
	p := Decide(viaGroupPush(), w.snap)
	if p.Verdict != Propose || p.Stage.Name != "staging" || !p.Merge || len(p.Next) != 1 || p.Next[0].Name != "preprod" || len(p.Candidates) != 1 {
		t.Fatalf("group push: %+v", p)
	}
	w = newGroupWorld(t).pin("api", "staging", "1.1.0", d2)
	p = Decide(groupMerge("shop", "staging"), w.snap)
	if p.Verdict != Propose || p.Stage.Name != "preprod" || p.Merge || p.Members[0].Want.From != "staging" {
		t.Fatalf("group chain into preprod: %+v", p)
	}
	w = newGroupWorld(t).candidate("api", "1.1.0", d2, 5*time.Second).heldApp("api", "staging")
	if p = Decide(viaGroupPush(), w.snap); p.Held == nil || p.Held.Reason != "incident 9" {
		t.Fatalf("a refusal by a hold carries it: %+v", p.Held)
	}
}

func TestGroupMarker(t *testing.T) {
	m := Marker{Group: "shop", Stage: "staging", Apps: []MemberPin{pinOf("api", "1.1.0", d2), pinOf("cart", "1.2.0", d3)}}
	got, ok, err := ParseMarker("body\n" + m.String())
	if err != nil || !ok || got.Name() != "shop" || len(got.Apps) != 2 || got.Apps[1].Digest != d3 {
		t.Fatalf("ParseMarker = %+v %v %v", got, ok, err)
	}
	for _, bad := range []Marker{
		{Group: "shop", Stage: "staging"},
		{Group: "shop", Apps: m.Apps},
		{Group: "shop", Stage: "staging", Apps: []MemberPin{{App: "api"}}},
	} {
		if _, _, err := ParseMarker(bad.String()); err == nil {
			t.Errorf("marker %+v must be an error", bad)
		}
	}
}

// TestDecideGroupSharedFile: api and cart pin their images in one
// kustomization per stage. Each is decided on its own pin (the reader
// gives each app the file as it pins that app), and the group's proposal
// writes the file once with both changes: cart's rewrite is made on api's.
func TestDecideGroupSharedFile(t *testing.T) {
	shared := strings.NewReplacer("apps/api/", "apps/shop/", "apps/cart/", "apps/shop/").Replace(groupConfig)
	cfg, err := config.Parse(config.FileName, []byte(shared))
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	w.snap.Config = cfg
	w.snap.Members = map[string]AppRecords{}
	kust := func(api, cart string) []byte {
		return []byte("images:\n  - name: ghcr.io/acme/api\n" + api + "  - name: ghcr.io/acme/cart\n" + cart)
	}
	for _, stage := range []string{"staging", "preprod"} {
		path := "apps/shop/" + stage + "/kustomization.yaml"
		data := kust("    newTag: 1.0.0\n    digest: "+d1+"\n", "    newTag: 1.2.0\n    digest: "+d3+"\n")
		if stage == "preprod" {
			data = kust("    newTag: 0.9.0\n", "    newTag: 0.9.0\n")
		}
		for _, a := range []string{"api", "cart"} {
			pinned, err := manifest.Current(path, data, "ghcr.io/acme/"+a)
			if err != nil {
				t.Fatal(err)
			}
			rec, ok := w.snap.Members[a]
			if !ok {
				rec = AppRecords{Holds: map[string]gate.Hold{}, Merged: map[string]MergedAt{}, Files: map[string]File{}}
			}
			rec.Files[path] = File{Path: path, Target: manifest.Kustomization(path), Data: data, Pinned: pinned}
			w.snap.Members[a] = rec
		}
	}

	p := Decide(groupMerge("shop", "staging"), w.snap)
	if p.Verdict != Propose {
		t.Fatalf("chain of shop into preprod: %s (%s)", p.Verdict, p.Reason)
	}
	var after []byte
	for _, m := range p.Members {
		if m.Path != "apps/shop/preprod/kustomization.yaml" || m.After == nil {
			t.Fatalf("%s writes %s: %q", m.App.Name, m.Path, m.After)
		}
		after = m.After
	}
	for a, want := range map[string]string{"api": "1.0.0@" + d1, "cart": "1.2.0@" + d3} {
		got, err := manifest.Current("apps/shop/preprod/kustomization.yaml", after, "ghcr.io/acme/"+a)
		if err != nil || got.Tag+"@"+got.Digest != want {
			t.Errorf("the group's preprod file pins %s as %s@%s (%v), want %s:\n%s", a, got.Tag, got.Digest, err, want, after)
		}
	}
	// Each app's change is its own: cart's Before is api's After.
	if string(p.Members[1].Before) != string(p.Members[0].After) {
		t.Errorf("%s rewrote %q, not %s's output", p.Members[1].App.Name, p.Members[1].Before, p.Members[0].App.Name)
	}
}
