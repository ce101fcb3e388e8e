package dashboard

import (
	"cmp"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
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

// A stage that verifies shows its health gate for the image it runs:
// verified, verifying (since, until), unhealthy (which status, a link);
// for another image, or a stage without verify, nothing.
func TestCellHealth(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	const d = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	staging := config.Stage{Name: "staging", Verify: []string{"kustomization/apps-staging", "argocd/web-staging"}, VerifyTimeout: 30 * time.Minute}
	in := func(st config.Stage, dep store.Deployment) stateInput {
		dep.Digest = cmp.Or(dep.Digest, d)
		return stateInput{c: promote.Cell{Stage: st, File: promote.File{Pinned: manifest.Pinned{Found: true, Tag: "1.4.2", Digest: d}}, Health: &dep}, now: now}
	}
	merged, deadline := now.Add(-10*time.Minute), now.Add(20*time.Minute)
	for _, c := range []struct {
		name string
		in   stateInput
		want state
	}{
		{"verified", in(staging, store.Deployment{State: store.DeployHealthy, DoneAt: now.Add(-2 * time.Hour)}),
			state{Class: "verified", Label: "verified", Detail: "kustomization/apps-staging, argocd/web-staging success 2h ago", Fixed: "kustomization/apps-staging, argocd/web-staging success at 2026-12-05 10:00 UTC"}},
		{"verifying", in(staging, store.Deployment{State: store.DeployVerifying, MergedAt: merged, Deadline: deadline}),
			state{Class: "verifying", Label: "verifying", Detail: "waiting for kustomization/apps-staging, argocd/web-staging since 11:50 UTC, until Sat 12:20 UTC"}},
		{"verifying past its timeout", in(staging, store.Deployment{State: store.DeployVerifying, MergedAt: merged.Add(-time.Hour), Deadline: now.Add(-time.Minute)}),
			state{Class: "verifying", Label: "verifying", Detail: "waiting for kustomization/apps-staging, argocd/web-staging since 10:50 UTC; its verify_timeout passed at Sat 11:59 UTC"}},
		{"failed", in(staging, store.Deployment{State: store.DeployFailed, Context: "argocd/web-staging", Description: "Degraded", TargetURL: "https://argocd.example.com/applications/web-staging"}),
			state{Class: "unhealthy", Label: "unhealthy", Detail: "status argocd/web-staging is failing: Degraded", Link: "https://argocd.example.com/applications/web-staging"}},
		{"timed out", in(staging, store.Deployment{State: store.DeployTimedOut}),
			state{Class: "unhealthy", Label: "unhealthy", Detail: "kustomization/apps-staging, argocd/web-staging not success within verify_timeout (30m0s)"}},
	} {
		if got, ok := health(c.in); !ok || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.name, got, ok, c.want)
		}
	}
	other := in(staging, store.Deployment{State: store.DeployFailed, Digest: "sha256:2222"})
	if s, ok := health(other); ok {
		t.Errorf("the gate of another image shows: %+v", s)
	}
	if s, ok := health(in(config.Stage{Name: "dev"}, store.Deployment{State: store.DeployDone})); ok {
		t.Errorf("a stage without verify shows %+v", s)
	}
}
