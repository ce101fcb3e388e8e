package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestPromotionState covers the state the promotion workflow keeps: holds,
// the audit log, the history listing and single-use links. One store per
// backend keeps the suite quick.
func TestPromotionState(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := openStore(t, b.fresh(t))
		t.Cleanup(func() { _ = s.Close() })
		t.Run("holds", func(t *testing.T) { testHolds(t, s) })
		t.Run("actions", func(t *testing.T) { testActions(t, s) })
		t.Run("history", func(t *testing.T) { testHistory(t, s) })
		t.Run("links", func(t *testing.T) { testLinks(t, s) })
	})
}

func testHolds(t *testing.T, s *Store) {
	ctx := context.Background()
	wantHold := func(app, stage string, want Hold, held bool) {
		t.Helper()
		got, ok, err := s.HoldOn(ctx, app, stage)
		if err != nil {
			t.Fatalf("HoldOn(%s, %s): %v", app, stage, err)
		}
		if ok != held {
			t.Fatalf("HoldOn(%s, %s) held = %v, want %v", app, stage, ok, held)
		}
		if !got.At.Equal(want.At) {
			t.Errorf("HoldOn(%s, %s).At = %v, want %v", app, stage, got.At, want.At)
		}
		got.At, want.At = time.Time{}, time.Time{}
		if got != want {
			t.Errorf("HoldOn(%s, %s) = %+v, want %+v", app, stage, got, want)
		}
	}

	wantHold("web", "prod", Hold{}, false)
	placed := Hold{App: "web", Stage: "prod", By: "stagehand", Reason: "rolled back from 1.2.0", At: time.Unix(1700000000, 123456789), Rollback: true}
	if err := s.PlaceHold(ctx, placed); err != nil {
		t.Fatal(err)
	}
	wantHold("web", "prod", placed, true)
	wantHold("web", "staging", Hold{}, false) // a hold is per stage
	wantHold("api", "prod", Hold{}, false)    // and per app

	replaced := Hold{App: "web", Stage: "prod", By: "octocat", Reason: "incident 42", At: placed.At.Add(time.Minute)}
	if err := s.PlaceHold(ctx, replaced); err != nil {
		t.Fatal(err)
	}
	wantHold("web", "prod", replaced, true)

	for _, want := range []bool{true, false} { // releasing twice: the second finds nothing
		released, err := s.ReleaseHold(ctx, "web", "prod")
		if err != nil || released != want {
			t.Fatalf("ReleaseHold = %v, %v; want %v", released, err, want)
		}
	}
	wantHold("web", "prod", Hold{}, false)
}

func testActions(t *testing.T, s *Store) {
	ctx := context.Background()
	if got, err := s.Actions(ctx, "", 10); err != nil || len(got) != 0 {
		t.Fatalf("empty log: %v, %v", got, err)
	}
	base := time.Unix(1700000000, 987654321)
	full := Action{At: base, Actor: "octocat", Kind: "promote", App: "web", Stage: "prod",
		FromTag: "1.0.0", FromDigest: "sha256:aa", ToTag: "1.1.0", ToDigest: "sha256:bb",
		PR: 12, Result: "opened", Reason: "promote comment", Source: "comment"}
	records := []Action{
		full,
		{At: base.Add(time.Second), Actor: "stagehand", Kind: "chain", App: "api", Stage: "staging", Result: "merged", Source: "chain"},
		{At: base.Add(3 * time.Second), Actor: "hubot", Kind: "promote", App: "web", Stage: "prod", Result: "refused", Reason: "held", Source: "link"},
		// Recorded later but happened earlier: listed by when it happened.
		{At: base.Add(2 * time.Second), Actor: "octocat", Kind: "hold", App: "web", Stage: "prod", Result: "held", Source: "cli"},
		// Same time as the previous one: the later record comes first.
		{At: base.Add(2 * time.Second), Actor: "octocat", Kind: "release", App: "web", Stage: "prod", Result: "released", Source: "cli"},
	}
	var lastID int64
	for i := range records {
		records[i].ID = 999 // ignored
		id, err := s.RecordAction(ctx, records[i])
		if err != nil {
			t.Fatal(err)
		}
		if id <= lastID {
			t.Fatalf("record %d got id %d after %d", i, id, lastID)
		}
		records[i].ID, lastID = id, id
	}

	newestFirst := []Action{records[2], records[4], records[3], records[1], records[0]}
	tests := []struct {
		app   string
		limit int
		want  []Action
	}{
		{app: "", limit: 10, want: newestFirst},
		{app: "", limit: 0, want: newestFirst}, // default limit
		{app: "", limit: 2, want: newestFirst[:2]},
		{app: "web", limit: 10, want: []Action{records[2], records[4], records[3], records[0]}},
		{app: "web", limit: 1, want: []Action{records[2]}},
		{app: "api", limit: 10, want: []Action{records[1]}},
		{app: "nope", limit: 10, want: []Action{}},
	}
	for _, tt := range tests {
		got, err := s.Actions(ctx, tt.app, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !sameActions(got, tt.want) {
			t.Errorf("Actions(%q, %d) =\n%s\nwant\n%s", tt.app, tt.limit, fmtActions(got), fmtActions(tt.want))
		}
	}

	// Recorders racing, as replicas would, never share an id.
	const n = 10
	ids := make(chan int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id, err := s.RecordAction(ctx, Action{At: base.Add(time.Hour), Actor: fmt.Sprint("racer", i), Kind: "push", App: "race"})
			if err != nil {
				t.Error(err)
			}
			ids <- id
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if id <= lastID || seen[id] {
			t.Errorf("concurrent record got id %d (earlier ids up to %d, seen %v)", id, lastID, seen)
		}
		seen[id] = true
	}
	if got, err := s.Actions(ctx, "race", 100); err != nil || len(got) != n {
		t.Errorf("Actions(race) listed %d, %v; want %d", len(got), err, n)
	}
}

// sameActions compares field by field, times with Equal.
func sameActions(got, want []Action) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.At.Equal(w.At) {
			return false
		}
		g.At, w.At = time.Time{}, time.Time{}
		if g != w {
			return false
		}
	}
	return true
}

func fmtActions(as []Action) string {
	out := ""
	for _, a := range as {
		out += fmt.Sprintf("  %+v\n", a)
	}
	return out
}

func testHistory(t *testing.T, s *Store) {
	ctx := context.Background()
	at := time.Unix(1700000000, 5)
	web1 := StageDone{App: "web", Stage: "staging", Image: "ghcr.io/acme/web", Tag: "1.0.0", Digest: "sha256:aa", PR: 3, MergeSHA: "m3", MergedBy: "stagehand", At: at}
	web2 := StageDone{App: "web", Stage: "prod", Image: "ghcr.io/acme/web", Tag: "1.0.0", Digest: "sha256:aa", PR: 5, MergeSHA: "m5", MergedBy: "octocat", At: at.Add(time.Hour)}
	api1 := StageDone{App: "api", Stage: "staging", Image: "ghcr.io/acme/api", Tag: "2.0.0", Digest: "sha256:cc", PR: 4, MergeSHA: "m4", MergedBy: "stagehand", At: at.Add(30 * time.Minute)}
	web3 := StageDone{App: "web", Stage: "staging", Image: "ghcr.io/acme/web", Tag: "1.1.0", Digest: "sha256:bb", PR: 6, MergeSHA: "m6", MergedBy: "stagehand", At: at.Add(2 * time.Hour)}
	for _, d := range []StageDone{web2, web1, web3, api1} { // out of order on purpose
		if err := s.StageDone(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		app   string
		limit int
		want  []StageDone
	}{
		{app: "web", limit: 10, want: []StageDone{web3, web2, web1}},
		{app: "web", limit: 2, want: []StageDone{web3, web2}},
		{app: "", limit: 10, want: []StageDone{web3, web2, api1, web1}},
		{app: "api", limit: 0, want: []StageDone{api1}},
		{app: "nope", limit: 10, want: []StageDone{}},
	}
	for _, tt := range tests {
		got, err := s.History(ctx, tt.app, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		same := len(got) == len(tt.want)
		for i := 0; same && i < len(got); i++ {
			g, w := got[i], tt.want[i]
			same = g.At.Equal(w.At)
			g.At, w.At = time.Time{}, time.Time{}
			same = same && g == w
		}
		if !same {
			t.Errorf("History(%q, %d) = %+v, want %+v", tt.app, tt.limit, got, tt.want)
		}
	}
}

func testLinks(t *testing.T, s *Store) {
	ctx := context.Background()
	at := time.Unix(1700000000, 0)
	for i, want := range []bool{true, false, false} {
		first, err := s.UseLink(ctx, "link-a", at.Add(time.Duration(i)*time.Second))
		if err != nil || first != want {
			t.Fatalf("use %d of link-a = %v, %v; want %v", i+1, first, err, want)
		}
	}
	if first, err := s.UseLink(ctx, "link-b", at); err != nil || !first {
		t.Fatalf("first use of link-b = %v, %v; want true", first, err)
	}

	// Ten clicks at once: exactly one wins.
	const n = 10
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		wins  int
		errs  []error
		start = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-start
			first, err := s.UseLink(ctx, "link-c", at)
			mu.Lock()
			defer mu.Unlock()
			if first {
				wins++
			}
			errs = append(errs, err)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent uses were first, want exactly 1", wins, n)
	}
}
