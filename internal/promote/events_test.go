package promote

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/notify"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// TestEvents: which outcomes tell the receivers what, for every way in.
func TestEvents(t *testing.T) {
	at := time.Date(2026, 12, 5, 16, 0, 0, 0, time.UTC)
	want := Want{Tag: "1.4.2", Digest: "sha256:abc"}
	push := Request{Kind: Push, Source: FromRegistry, App: "web"}
	chain := Request{Kind: Chain, Source: FromMerge, App: "web", From: "staging", Issue: 4}
	promo := Request{Kind: Promote, Source: FromComment, App: "web", Stage: "prod", Issue: 9, Actor: Actor{Login: "alice"}}
	hold := Request{Kind: Hold, Source: FromComment, App: "web", Stage: "prod", Issue: 9, Actor: Actor{Login: "alice"}, Reason: "change freeze"}
	release := Request{Kind: Release, Source: FromComment, App: "web", Stage: "prod", Issue: 9, Actor: Actor{Login: "alice"}}
	rollback := Request{Kind: Rollback, Source: FromComment, App: "web", Stage: "prod", Issue: 9, Actor: Actor{Login: "bob"}}
	reconsider := Request{Kind: Reconsider, Source: FromChecks, App: "web", Stage: "staging"}
	link := Request{Kind: Promote, Source: FromLink, App: "web", Stage: "prod"}
	verify := Request{Kind: Verify, Source: FromVerify, App: "web", Stage: "staging"}
	out := func(stage string, res, published Result, pr int) Outcome {
		return Outcome{App: "web", Stage: stage, Result: res, Published: published, PR: pr, To: want, Reason: "because"}
	}
	for _, tc := range []struct {
		name string
		r    Request
		o    Outcome
		want string // kind actor source pr tag reason; "" for no event
	}{
		{"a push opens a PR", push, out("staging", Opened, Opened, 3), "opened stagehand push 3 1.4.2 "},
		{"a push's PR updated", push, out("staging", Updated, Updated, 3), "opened stagehand push 3 1.4.2 "},
		{"opened and merged at once: opened, the merge is Merged's", push, out("staging", Merged, Opened, 3), "opened stagehand push 3 1.4.2 "},
		{"an open PR merged once checks pass: Merged's", reconsider, out("staging", Merged, Unchanged, 3), ""},
		{"the open PR proposes it already", push, out("staging", Unchanged, Unchanged, 3), ""},
		{"a chain opens the next PR", chain, out("preprod", Opened, Opened, 5), "opened stagehand chain 5 1.4.2 "},
		{"a chain refused", chain, out("preprod", Refused, "", 0), "refused stagehand chain 0 1.4.2 because"},
		{"a person's promotion refused, where they asked", promo, out("prod", Refused, "", 0), "refused alice comment 9 1.4.2 because"},
		{"a link's promotion", link, out("prod", Opened, Opened, 11), "opened link link 11 1.4.2 "},
		{"a hold, with the person's reason", hold, out("prod", HoldPlaced, "", 0), "held alice comment 9  change freeze"},
		{"a release", release, out("prod", HoldLifted, "", 0), "released alice comment 9  "},
		{"a rollback opens its PR", rollback, out("prod", Opened, Opened, 12), "rolled-back bob comment 12 1.4.2 "},
		{"a push ignored", push, out("staging", Ignored, "", 0), ""},
		{"a push already there", push, out("staging", AlreadyThere, "", 0), ""},
		{"a push waits for a broken config", push, Outcome{App: "web", Result: Refused, Code: CodeConfig}, ""},
		{"a failure, retried", promo, out("prod", Failed, "", 0), ""},
		{"a soak wait", chain, out("preprod", Waiting, "", 0), ""},
		{"a manual stage", chain, out("prod", Manual, "", 0), ""},
		{"a health gate failed", verify, out("staging", HealthFailed, "", 4), "verify-failed stagehand verify 4 1.4.2 because"},
		{"a health gate green: the chain tells what it opens", verify, out("staging", HealthOK, "", 4), ""},
		{"a health gate still waiting", verify, out("staging", HealthWaiting, "", 4), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := events(Plan{Request: tc.r}, tc.o, at)
			got := ""
			if len(evs) > 1 {
				t.Fatalf("%d events: %+v", len(evs), evs)
			}
			if len(evs) == 1 {
				ev := evs[0]
				pr := 0
				if ev.PR != nil {
					pr = ev.PR.Number
				}
				got = string(ev.Kind) + " " + ev.Actor + " " + ev.Source + " " + strconv.Itoa(pr) + " " + ev.Tag + " " + ev.Reason
				if ev.App != "web" || ev.Stage != tc.o.Stage || !ev.At.Equal(at) {
					t.Errorf("event %+v", ev)
				}
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestGroupEvents: a group's outcome tells of each app it moved or
// refused, naming the group, with the group's PR.
func TestGroupEvents(t *testing.T) {
	p := Plan{Request: Request{Kind: Push, Source: FromRegistry, App: "shop", Group: "shop"}, Group: &config.Group{Name: "shop"}}
	o := Outcome{App: "shop", Group: "shop", Stage: "staging", Result: Merged, Published: Opened, PR: 7, Members: []Outcome{
		{App: "web", Stage: "staging", Result: Merged, To: Want{Tag: "1.0.0"}},
		{App: "api", Stage: "staging", Result: AlreadyThere},
		{App: "cart", Stage: "staging", Result: Refused, Reason: "cart is held in staging"},
	}}
	var got []string
	for _, ev := range events(p, o, time.Now()) {
		if ev.Group != "shop" || ev.PR == nil || ev.PR.Number != 7 {
			t.Errorf("event %+v: want group shop and PR 7", ev)
		}
		got = append(got, string(ev.Kind)+" "+ev.App)
	}
	if want := "opened web|refused cart"; strings.Join(got, "|") != want {
		t.Errorf("events %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestMergedEvent(t *testing.T) {
	ev := mergedEvent(store.Merge{App: "web", Stage: "prod", Tag: "1.4.2", Digest: "sha256:abc", PR: 12, MergedBy: "octocat", Group: "shop"})
	if ev.Kind != notify.Merged || ev.Actor != "octocat" || ev.PR.Number != 12 || ev.Group != "shop" || ev.Digest != "sha256:abc" || ev.Source != "merge" {
		t.Errorf("merged event %+v", ev)
	}
}
