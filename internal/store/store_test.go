package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/pgtest"
)

func forEachBackend(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Helper()
	t.Parallel()
	for _, b := range []struct {
		name  string
		fresh func(t testing.TB) string
	}{
		{db.SQLite, func(t testing.TB) string { return "sqlite://" + filepath.Join(t.TempDir(), "stagehand.db") }},
		{db.Postgres, pgtest.Schema},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			d, err := db.Open(context.Background(), b.fresh(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			test(t, New(d))
		})
	}
}

var at = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func TestHolds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, ok, err := s.HoldOn(ctx, "web", "prod"); ok || err != nil {
			t.Fatalf("no hold yet: %v %v", ok, err)
		}
		h := Hold{App: "web", Stage: "prod", By: "ann", Reason: "incident 7", At: at, Issue: 12}
		if err := s.PlaceHold(ctx, h); err != nil {
			t.Fatal(err)
		}
		if err := s.SetHoldNote(ctx, "web", "prod", 901); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.HoldOn(ctx, "web", "prod")
		if err != nil || !ok || got.By != "ann" || got.Reason != "incident 7" || !got.At.Equal(at) || got.Issue != 12 || got.Note != 901 || got.Rollback {
			t.Fatalf("HoldOn = %+v %v %v", got, ok, err)
		}
		// Held again: the newer hold replaces it, its note starts afresh.
		if err := s.PlaceHold(ctx, Hold{App: "web", Stage: "prod", By: "bob", At: at.Add(time.Hour), Rollback: true}); err != nil {
			t.Fatal(err)
		}
		got, _, _ = s.HoldOn(ctx, "web", "prod")
		if got.By != "bob" || !got.Rollback || got.Note != 0 || got.Issue != 0 {
			t.Fatalf("replaced hold = %+v", got)
		}
		_ = s.PlaceHold(ctx, Hold{App: "api", Stage: "staging", By: "cy", At: at})
		all, err := s.Holds(ctx, "")
		if err != nil || len(all) != 2 || all[0].App != "api" || all[1].App != "web" {
			t.Fatalf("Holds = %+v %v", all, err)
		}
		if released, err := s.ReleaseHold(ctx, "web", "prod"); !released || err != nil {
			t.Fatalf("release: %v %v", released, err)
		}
		if released, _ := s.ReleaseHold(ctx, "web", "prod"); released {
			t.Fatal("released a stage that was not held")
		}
	})
}

func TestMerges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		m := Merge{App: "web", Stage: "staging", Image: "ghcr.io/acme/web", Tag: "1.0.0", Digest: "sha256:1", PR: 3, MergeSHA: "m1", MergedBy: "bot", At: at, PushedAt: at.Add(-time.Minute)}
		for i := range 2 { // at least once: a redelivered merge counts once
			if added, err := s.RecordMerge(ctx, m); err != nil || added != (i == 0) {
				t.Fatalf("RecordMerge #%d: added %v, %v", i+1, added, err)
			}
		}
		later := m
		later.Tag, later.Digest, later.PR, later.At, later.PushedAt, later.Group = "1.1.0", "sha256:2", 4, at.Add(time.Hour), time.Time{}, "shop"
		_, _ = s.RecordMerge(ctx, later)
		got, ok, err := s.LastMerge(ctx, "web", "staging")
		if err != nil || !ok || got.PR != 4 || got.Digest != "sha256:2" || !got.PushedAt.IsZero() || got.Group != "shop" {
			t.Fatalf("LastMerge = %+v %v %v", got, ok, err)
		}
		list, err := s.Merges(ctx, "web", 0)
		if err != nil || len(list) != 2 || list[0].PR != 4 || list[1].PR != 3 || !list[1].PushedAt.Equal(m.PushedAt) || list[0].Group != "shop" || list[1].Group != "" {
			t.Fatalf("Merges = %+v %v", list, err)
		}

		// stagehand's own merge is recorded before GitHub names its login;
		// the news names it, and names nobody else over a known login.
		own := Merge{App: "api", Stage: "prod", PR: 9, MergedBy: MergedByStagehand, At: at}
		_, _ = s.RecordMerge(ctx, own)
		news := own
		news.MergedBy = "acme-stagehand[bot]"
		if added, err := s.RecordMerge(ctx, news); added || err != nil {
			t.Fatalf("news of an own merge: added %v, %v", added, err)
		}
		news.MergedBy = "mallory"
		_, _ = s.RecordMerge(ctx, news)
		if got, _, _ := s.LastMerge(ctx, "api", "prod"); got.MergedBy != "acme-stagehand[bot]" {
			t.Fatalf("own merge recorded as merged by %q, want the login GitHub named first", got.MergedBy)
		}

		// The newest merge per app and stage, in one query, agrees with
		// LastMerge for each.
		last, err := s.LastMerges(ctx)
		if err != nil || len(last) != 2 {
			t.Fatalf("LastMerges = %+v %v, want one for api/prod and one for web/staging", last, err)
		}
		for _, l := range last {
			one, _, _ := s.LastMerge(ctx, l.App, l.Stage)
			if l != one {
				t.Errorf("LastMerges has %+v for %s/%s, LastMerge %+v", l, l.App, l.Stage, one)
			}
		}
		if last[1].App != "web" || last[1].PR != 4 {
			t.Errorf("LastMerges for web/staging = %+v, want PR 4", last[1])
		}
	})
}

func TestActions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for i, a := range []Action{
			{At: at, Actor: "stagehand", Kind: "push", App: "web", Stage: "staging", Result: "refused", Reason: "held", Source: "push"},
			{At: at.Add(time.Second), Actor: "ann", Kind: "release", App: "web", Stage: "staging", Result: "released", Source: "comment", PR: 7},
			{At: at.Add(time.Second), Actor: "cy", Kind: "hold", App: "api", Stage: "prod", Result: "held", Source: "comment", Group: "shop"},
		} {
			id, err := s.RecordAction(ctx, a)
			if err != nil || id != int64(i+1) {
				t.Fatalf("RecordAction %d = %d, %v", i, id, err)
			}
		}
		web, err := s.Actions(ctx, "web", 0)
		if err != nil || len(web) != 2 || web[0].Kind != "release" || web[0].PR != 7 || web[1].Reason != "held" {
			t.Fatalf("Actions(web) = %+v %v", web, err)
		}
		all, _ := s.Actions(ctx, "", 0)
		if len(all) != 3 || all[0].ID != 3 || all[0].Group != "shop" || all[1].Group != "" {
			t.Fatalf("Actions() = %+v", all)
		}
	})
}

// TestCandidates: the newest push of each member waits for its group; a
// run drops what it used, and a push offered meanwhile stays.
func TestCandidates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		web := Candidate{Group: "shop", App: "web", Request: []byte(`{"tag":"1.0.0"}`), At: at}
		api := Candidate{Group: "shop", App: "api", Request: []byte(`{"tag":"2.0.0"}`), At: at.Add(time.Second)}
		other := Candidate{Group: "back", App: "billing", Request: []byte(`{}`), At: at}
		for _, c := range []Candidate{web, api, other} {
			if err := s.OfferCandidate(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Candidates(ctx, "shop")
		if err != nil || len(got) != 2 || got[0].App != "api" || got[1].App != "web" || string(got[1].Request) != `{"tag":"1.0.0"}` || !got[1].At.Equal(at) {
			t.Fatalf("Candidates = %+v %v", got, err)
		}
		// web is pushed again while a run works on the first push.
		newer := Candidate{Group: "shop", App: "web", Request: []byte(`{"tag":"1.0.1"}`), At: at.Add(2 * time.Second)}
		if err := s.OfferCandidate(ctx, newer); err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			if err := s.DropCandidate(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, _ = s.Candidates(ctx, "shop")
		if len(got) != 1 || string(got[0].Request) != `{"tag":"1.0.1"}` {
			t.Fatalf("after the run: %+v, want only the newer push of web", got)
		}
		if got, _ := s.Candidates(ctx, "back"); len(got) != 1 {
			t.Fatalf("another group's push: %+v", got)
		}
	})
}

func TestLinksHeldAndRequests(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if used, _, err := s.LinkUsed(ctx, "L"); used || err != nil {
			t.Fatal("an unused link is used")
		}
		if first, err := s.UseLink(ctx, "L", at); !first || err != nil {
			t.Fatalf("first use: %v %v", first, err)
		}
		if first, _ := s.UseLink(ctx, "L", at); first {
			t.Fatal("a link was used twice")
		}
		if used, when, _ := s.LinkUsed(ctx, "L"); !used || !when.Equal(at) {
			t.Fatalf("LinkUsed = %v %v", used, when)
		}

		if err := s.KeepHeld(ctx, HeldRequest{App: "web", Stage: "staging", Request: []byte(`{"tag":"1.9.0"}`), At: at}); err != nil {
			t.Fatal(err)
		}
		_ = s.KeepHeld(ctx, HeldRequest{App: "web", Stage: "staging", Request: []byte(`{"tag":"1.9.9"}`), At: at})
		if h, ok, err := s.Held(ctx, "web", "staging"); !ok || err != nil || string(h.Request) != `{"tag":"1.9.9"}` {
			t.Fatalf("Held = %+v %v %v", h, ok, err)
		}
		_ = s.DropHeld(ctx, "web", "staging")
		if _, ok, _ := s.Held(ctx, "web", "staging"); ok {
			t.Fatal("a dropped request is still kept")
		}

		r := Request{ID: "r1", Kind: "promote", App: "web", Stage: "prod", Actor: "link", Source: "link", Created: at}
		if added, err := s.AddRequest(ctx, nil, r); !added || err != nil {
			t.Fatalf("AddRequest: %v %v", added, err)
		}
		if added, _ := s.AddRequest(ctx, nil, r); added {
			t.Fatal("the same request added twice")
		}
		if got, ok, _ := s.RequestByID(ctx, "r1"); !ok || got.State != Queued {
			t.Fatalf("queued request = %+v", got)
		}
		done := Request{ID: "r1", Result: "refused", Code: "held", Reason: "prod is held", PR: 0}
		if err := s.FinishRequest(ctx, done, at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		got, _, _ := s.RequestByID(ctx, "r1")
		if got.State != Done || got.Result != "refused" || got.Code != "held" || got.Reason != "prod is held" || !got.Finished.Equal(at.Add(time.Second)) {
			t.Fatalf("finished request = %+v", got)
		}
		n, err := s.Prune(ctx, at.Add(time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("Prune = %d, %v; want the link and the request", n, err)
		}
	})
}

func TestClosedDatabase(t *testing.T) {
	t.Parallel()
	d, err := db.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(d)
	_ = d.Close()
	ctx := context.Background()
	for name, err := range map[string]error{
		"PlaceHold":    s.PlaceHold(ctx, Hold{App: "a", Stage: "b"}),
		"RecordMerge":  func() error { _, err := s.RecordMerge(ctx, Merge{App: "a", Stage: "b"}); return err }(),
		"KeepHeld":     s.KeepHeld(ctx, HeldRequest{App: "a", Stage: "b"}),
		"RecordAction": func() error { _, err := s.RecordAction(ctx, Action{}); return err }(),
	} {
		if !errors.Is(err, db.ErrUnavailable) {
			t.Errorf("%s on a closed database: %v, want db.ErrUnavailable", name, err)
		}
	}
}

// TestRepositoriesApart: each config repository has its own holds,
// history and audit log, though its apps and stages have the same names
// as another's; records from before several were served go to the one
// that claims them.
func TestRepositoriesApart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// Written before stagehand served several repositories.
		if _, err := s.RecordMerge(ctx, Merge{App: "web", Stage: "prod", PR: 1, Tag: "0.9", At: at}); err != nil {
			t.Fatal(err)
		}
		a, b := s.ForRepo("acme/a"), s.ForRepo("acme/b")
		if n, err := a.Claim(ctx, "acme/a"); err != nil || n != 1 {
			t.Fatalf("claim = %d, %v; want the one old merge", n, err)
		}
		if err := a.PlaceHold(ctx, Hold{App: "web", Stage: "prod", By: "ann", At: at}); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := b.HoldOn(ctx, "web", "prod"); ok {
			t.Error("a hold in acme/a holds acme/b's web too")
		}
		if hs, _ := b.Holds(ctx, ""); len(hs) != 0 {
			t.Errorf("acme/b lists holds %v", hs)
		}
		for _, st := range []*Store{a, b} {
			if _, err := st.RecordMerge(ctx, Merge{App: "web", Stage: "prod", PR: 2, Tag: st.Repo(), At: at.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.RecordAction(ctx, Action{App: "web", Stage: "prod", Kind: "push", Result: "opened", At: at}); err != nil {
				t.Fatal(err)
			}
		}
		if m, _, _ := b.LastMerge(ctx, "web", "prod"); m.Tag != "acme/b" {
			t.Errorf("acme/b's last merge is %q's", m.Tag)
		}
		if ms, _ := a.Merges(ctx, "web", 0); len(ms) != 2 || ms[1].Tag != "0.9" {
			t.Errorf("acme/a's history = %+v, want its merge and the claimed one", ms)
		}
		if ms, _ := b.Merges(ctx, "", 0); len(ms) != 1 {
			t.Errorf("acme/b's history = %+v, want its one merge", ms)
		}
		if as, _ := b.Actions(ctx, "", 0); len(as) != 1 {
			t.Errorf("acme/b's actions = %d, want 1", len(as))
		}
		if ms, _ := s.LastMerges(ctx); len(ms) != 2 {
			t.Errorf("unscoped, the last merges are %d, want one per repository", len(ms))
		}
		for i, st := range []*Store{a, b} {
			if _, err := st.StartDeployment(ctx, Deployment{App: "web", Stage: "prod", PR: 10 + i, Tag: "1.0.0", Digest: st.Repo(), State: DeployVerifying, MergedAt: at.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		if ds, _ := a.LastDeployments(ctx); len(ds) != 1 || ds[0].Digest != "acme/a" {
			t.Errorf("acme/a's last deployments = %+v, want its own one", ds)
		}
		if released, _ := b.ReleaseHold(ctx, "web", "prod"); released {
			t.Error("acme/b released acme/a's hold")
		}
	})
}
