package queue

import (
	"context"
	"sync"
	"testing"
)

// issueHandler is a fakeHandler that keeps a promotions issue: it counts
// refreshes and edits, and a refresh may wait for the test.
type issueHandler struct {
	fakeHandler
	mu        sync.Mutex
	refreshes int
	edits     []IssueEdited
	running   chan struct{} // closed when the first refresh runs
	release   chan struct{} // the first refresh returns once closed
}

func (h *issueHandler) KeepIssue(ctx context.Context, repo string) error {
	h.mu.Lock()
	h.refreshes++
	first := h.refreshes == 1
	h.mu.Unlock()
	if first && h.running != nil {
		close(h.running)
		<-h.release
	}
	return nil
}

func (h *issueHandler) IssueEdited(ctx context.Context, e IssueEdited) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.edits = append(h.edits, e)
	return nil
}

func (h *issueHandler) count() (refreshes, edits int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refreshes, len(h.edits)
}

// TestIssueRefreshesCoalesce: a burst of refreshes is one; a refresh asked
// for while one runs is not lost in it; an edit delivered twice is acted on
// once.
func TestIssueRefreshesCoalesce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		h := &issueHandler{running: make(chan struct{}), release: make(chan struct{})}
		d := openDB(t, b.fresh(t))
		defer d.Close()
		q, err := New(d, h, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		ctx := context.Background()
		for range 5 {
			if err := q.RefreshIssue(ctx, ""); err != nil {
				t.Fatal(err)
			}
		}
		edit := IssueEdited{Number: 3, Body: "- [x] a", From: "- [ ] a", User: "alice", UpdatedAt: "2026-12-05T12:00:00Z"}
		accept(t, q, Delivery{ID: "e1", IssueEdited: &edit})
		accept(t, q, Delivery{ID: "e2", IssueEdited: &edit}) // GitHub's redelivery under a new id
		if err := q.Start(ctx); err != nil {
			t.Fatalf("Start: %v", err)
		}
		defer stop(t, q)
		waitFor(t, h.running, "the first refresh")
		// Asked for while the first runs: one more refresh, however often.
		for range 3 {
			if err := q.RefreshIssue(ctx, ""); err != nil {
				t.Fatal(err)
			}
		}
		close(h.release)
		eventually(t, "the queue to drain", func() bool {
			r, e := h.count()
			return r >= 2 && e >= 1 && depth(t, q) == 0
		})
		if r, e := h.count(); r != 2 || e != 1 {
			t.Errorf("%d refreshes and %d edits, want 2 (the burst, then what came while it ran) and 1", r, e)
		}
	})
}
