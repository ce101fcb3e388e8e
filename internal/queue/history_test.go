package queue

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestStageHistory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := openStore(t, b.fresh(t))
		ctx := context.Background()
		if _, ok, err := s.LastDone(ctx, "web", "prod"); ok || err != nil {
			t.Fatalf("empty history: ok=%v err=%v", ok, err)
		}
		at := time.Unix(1700000000, 0)
		d1 := StageDone{App: "web", Stage: "prod", Image: "ghcr.io/acme/web", Tag: "1.0.0", Digest: "sha256:aa", PR: 4, MergeSHA: "m1", MergedBy: "octocat", At: at}
		d2 := d1
		d2.Tag, d2.Digest, d2.PR, d2.At = "1.1.0", "sha256:bb", 7, at.Add(time.Hour)
		for _, d := range []StageDone{d1, d2, d2, d1} { // redelivered merges count once
			if err := s.StageDone(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		got, ok, err := s.LastDone(ctx, "web", "prod")
		if err != nil || !ok || got.Tag != "1.1.0" || got.PR != 7 || got.MergedBy != "octocat" || !got.At.Equal(d2.At) {
			t.Fatalf("LastDone = %+v, %v, %v", got, ok, err)
		}
	})
}

// TestJobsLeftRunningAreRescuedAtStart: with SQLite there is one replica,
// so a job still marked running when the queue starts belongs to a process
// that died; it runs at once instead of after River's rescue delay.
func TestJobsLeftRunningAreRescuedAtStart(t *testing.T) {
	url := freshSQLite(t)
	s := openStore(t, url)
	q, err := New(s, &fakeHandler{}, testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	accept(t, q, Delivery{ID: "d1", Source: "generic", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1.0.0"}}})
	if _, err := s.db().exec(context.Background(), `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = CURRENT_TIMESTAMP WHERE state = 'available'`); err != nil {
		t.Fatal(err)
	}
	s.Close()

	h := &fakeHandler{}
	_, q2 := startQueue(t, url, h, testOptions(nil))
	eventually(t, "the orphaned push is handled", func() bool { p, _, _, _ := h.counts(); return p == 1 })
	eventually(t, "the rescued job completes", func() bool { return depth(t, q2) == 0 })
}

// recordingChain records Chain calls.
type recordingChain struct {
	fakeHandler
	mu    sync.Mutex
	calls []string
}

func (h *recordingChain) Chain(ctx context.Context, app, from string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, app+"/"+from)
	return nil
}

func TestScheduledChainRunsWhenDue(t *testing.T) {
	h := &recordingChain{}
	_, q := startQueue(t, freshSQLite(t), h, testOptions(nil))
	if err := q.ScheduleChain(context.Background(), "web", "preprod", time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the chain runs", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.calls) >= 1
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.calls[0] != "web/preprod" {
		t.Fatalf("calls %v", h.calls)
	}
}

func TestPruneForgetsOldUsedLinks(t *testing.T) {
	s := openStore(t, freshSQLite(t))
	defer s.Close()
	q, err := New(s, &fakeHandler{}, testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for id, at := range map[string]time.Time{"old": time.Now().Add(-30 * 24 * time.Hour), "new": time.Now()} {
		if first, err := s.UseLink(ctx, id, at); err != nil || !first {
			t.Fatalf("UseLink %s: %v %v", id, first, err)
		}
	}
	if err := q.workPrune(ctx, pruneArgs{}); err != nil {
		t.Fatal(err)
	}
	if first, _ := s.UseLink(ctx, "old", time.Now()); !first {
		t.Error("a link used a month ago is still remembered")
	}
	if first, _ := s.UseLink(ctx, "new", time.Now()); first {
		t.Error("a link used just now was forgotten")
	}
}
