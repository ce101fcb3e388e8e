package queue

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAcceptedWorkSurvivesRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url := b.fresh(t)
		log, _ := newLogger()
		mergedAt := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		want := Delivery{
			ID:     "d-1",
			Source: "github",
			Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1.2.0", Digest: "sha256:aa", Vendor: "ghcr"}},
			Checks: &Checks{SHA: "c0ffee", Branches: []string{"stagehand/web"}, PRs: []int{7}},
			PRClosed: &PRClosed{Number: 7, Merged: true, Body: "promote web", HeadRef: "stagehand/web",
				MergeSHA: "d00d", MergedBy: "octocat", MergedAt: mergedAt},
		}

		// Accept, then close without ever starting: a crash right after the 202.
		s := openStore(t, url)
		q, err := New(s, &fakeHandler{}, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if dup := accept(t, q, want); dup {
			t.Fatal("first Accept reported a duplicate")
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		h := &fakeHandler{}
		startQueue(t, url, h, testOptions(log))
		eventually(t, "all three jobs to run after restart", func() bool {
			p, pr, c, _ := h.counts()
			return p == 1 && pr == 1 && c == 1
		})
		got := h.pushCalls()[0]
		if got.Image != "ghcr.io/acme/web" || got.Tag != "1.2.0" || got.Digest != "sha256:aa" || got.Vendor != "ghcr" ||
			got.DeliveryID != "d-1" || got.ReceivedAt.IsZero() {
			t.Errorf("push = %+v", got)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if !reflect.DeepEqual(h.checkCalls[0], *want.Checks) {
			t.Errorf("checks = %+v, want %+v", h.checkCalls[0], *want.Checks)
		}
		if pr := h.prs[0]; !pr.MergedAt.Equal(mergedAt) || pr.Number != 7 || !pr.Merged || pr.Body != "promote web" ||
			pr.HeadRef != "stagehand/web" || pr.MergeSHA != "d00d" || pr.MergedBy != "octocat" {
			t.Errorf("pr closed = %+v", pr)
		}
	})
}

func TestDuplicatesHandledOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		h := &fakeHandler{}
		s := openStore(t, b.fresh(t))
		defer s.Close()
		q, err := New(s, h, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		d := Delivery{ID: "same-id", Source: "dockerhub", Pushes: []Push{{Image: "docker.io/acme/api", Tag: "v1"}}}
		if accept(t, q, d) {
			t.Fatal("first Accept reported a duplicate")
		}
		if !accept(t, q, d) {
			t.Fatal("second Accept of the same delivery id: duplicate = false")
		}
		// A merged PR resent under a new delivery id is one job too.
		pr := &PRClosed{Number: 12, Merged: true, MergeSHA: "abc"}
		accept(t, q, Delivery{ID: "pr-a", Source: "github", PRClosed: pr})
		accept(t, q, Delivery{ID: "pr-b", Source: "github", PRClosed: pr})

		if err := q.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		defer stop(t, q)
		eventually(t, "the queue to drain", func() bool {
			p, prs, _, _ := h.counts()
			return p >= 1 && prs >= 1 && depth(t, q) == 0
		})
		if p, prs, _, _ := h.counts(); p != 1 || prs != 1 {
			t.Errorf("push calls = %d, pr closed calls = %d; want 1 and 1", p, prs)
		}
	})
}

func TestBurstOfPushesCoalesces(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		entered, release := make(chan struct{}), make(chan struct{})
		h := &fakeHandler{push: func(ctx context.Context, _ Push, n int) error {
			if n == 1 { // the slow first call
				close(entered)
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
			return nil
		}}
		_, q := startQueue(t, b.fresh(t), h, testOptions(log))

		const image, pushes = "ghcr.io/acme/web", 50
		tag := func(i int) string { return fmt.Sprintf("1.0.%d", i) }
		accept(t, q, Delivery{ID: "push-0", Pushes: []Push{{Image: image, Tag: tag(0)}}})
		waitFor(t, entered, "the first push to reach the handler")
		for i := 1; i < pushes; i++ {
			accept(t, q, Delivery{ID: fmt.Sprintf("push-%d", i), Pushes: []Push{{Image: image, Tag: tag(i)}}})
		}
		close(release)

		eventually(t, "the newest push to be handled", func() bool {
			calls := h.pushCalls()
			return calls[len(calls)-1].Tag == tag(pushes-1) && depth(t, q) == 0
		})
		if calls := h.pushCalls(); len(calls) > 3 {
			t.Errorf("%d handler calls for a burst of %d pushes; want at most 3", len(calls), pushes)
		}
		if m := h.maxInFlight.Load(); m != 1 {
			t.Errorf("handler ran %d calls at once", m)
		}
	})
}

// Two replicas on one PostgreSQL database: still one handler call at a time,
// and each image ends at its newest push.
func TestReplicasSerialiseHandlerCalls(t *testing.T) {
	t.Parallel()
	url := freshPostgres(t)
	log, _ := newLogger()
	entered, release := make(chan struct{}), make(chan struct{})
	var first atomicOnce
	h := &fakeHandler{push: func(ctx context.Context, _ Push, _ int) error {
		if first.do() {
			close(entered)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		time.Sleep(5 * time.Millisecond) // widen the window for an overlap
		return nil
	}}
	_, q1 := startQueue(t, url, h, testOptions(log))
	_, q2 := startQueue(t, url, h, testOptions(log))
	replicas := []*Queue{q1, q2}

	images := []string{"ghcr.io/acme/a", "ghcr.io/acme/b", "ghcr.io/acme/c"}
	const perImage = 30
	tag := func(i int) string { return fmt.Sprintf("2.0.%d", i) }
	for _, img := range images {
		accept(t, q1, Delivery{ID: img + "-0", Pushes: []Push{{Image: img, Tag: tag(0)}}})
	}
	waitFor(t, entered, "a push to reach the handler")
	for i := 1; i < perImage; i++ {
		for j, img := range images {
			accept(t, replicas[(i+j)%2], Delivery{ID: fmt.Sprintf("%s-%d", img, i), Pushes: []Push{{Image: img, Tag: tag(i)}}})
		}
	}
	close(release)

	lastByImage := func() (map[string]string, map[string]int) {
		last, calls := map[string]string{}, map[string]int{}
		for _, p := range h.pushCalls() {
			last[p.Image] = p.Tag
			calls[p.Image]++
		}
		return last, calls
	}
	eventually(t, "every image's newest push to be handled", func() bool {
		last, _ := lastByImage()
		for _, img := range images {
			if last[img] != tag(perImage-1) {
				return false
			}
		}
		return depth(t, q1) == 0
	})
	if m := h.maxInFlight.Load(); m != 1 {
		t.Errorf("handler ran %d calls at once across replicas", m)
	}
	if _, calls := lastByImage(); calls[images[0]] > 3 || calls[images[1]] > 3 || calls[images[2]] > 3 {
		t.Errorf("handler calls per image = %v; want at most 3 each", calls)
	}
}

func TestChecksCoalesceBySHA(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		h := &fakeHandler{}
		s := openStore(t, b.fresh(t))
		defer s.Close()
		q, err := New(s, h, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		accept(t, q, Delivery{ID: "c1", Checks: &Checks{SHA: "aaa", PRs: []int{1}}})
		accept(t, q, Delivery{ID: "c2", Checks: &Checks{SHA: "aaa", PRs: []int{1, 2}}})
		accept(t, q, Delivery{ID: "c3", Checks: &Checks{SHA: "bbb"}})
		if err := q.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		defer stop(t, q)
		eventually(t, "the queue to drain", func() bool {
			_, _, c, _ := h.counts()
			return c >= 2 && depth(t, q) == 0
		})
		h.mu.Lock()
		defer h.mu.Unlock()
		bySHA := map[string][]Checks{}
		for _, c := range h.checkCalls {
			bySHA[c.SHA] = append(bySHA[c.SHA], c)
		}
		if len(bySHA["aaa"]) != 1 || !reflect.DeepEqual(bySHA["aaa"][0].PRs, []int{1, 2}) || len(bySHA["bbb"]) != 1 {
			t.Errorf("checks calls = %+v; want one per SHA, the newest", h.checkCalls)
		}
	})
}

func TestReconcileRunsPeriodically(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		h := &fakeHandler{}
		opts := testOptions(log)
		opts.ReconcileInterval = 100 * time.Millisecond
		startQueue(t, b.fresh(t), h, opts)
		eventually(t, "two reconciles", func() bool {
			_, _, _, r := h.counts()
			return r >= 2
		})
	})
}

func TestClosedDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		s := openStore(t, b.fresh(t))
		q, err := New(s, &fakeHandler{}, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		ctx := context.Background()
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("Ready on an open store: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Ready(ctx); err == nil {
			t.Error("Ready on a closed store: nil error")
		}
		_, err = q.Accept(ctx, Delivery{ID: "late", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1"}}})
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Accept on a closed store: %v, want ErrUnavailable", err)
		}
		if _, err := q.Depth(ctx); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Depth on a closed store: %v, want ErrUnavailable", err)
		}
		if _, err := q.Failures(ctx, 10); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Failures on a closed store: %v, want ErrUnavailable", err)
		}
	})
}

func TestAcceptRejectsIncompleteDelivery(t *testing.T) {
	t.Parallel()
	s := openStore(t, freshSQLite(t))
	defer s.Close()
	q, err := New(s, &fakeHandler{}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for name, d := range map[string]Delivery{
		"no id":       {Pushes: []Push{{Image: "a"}}},
		"no image":    {ID: "x", Pushes: []Push{{Tag: "1"}}},
		"no sha":      {ID: "x", Checks: &Checks{}},
		"no pr":       {ID: "x", PRClosed: &PRClosed{}},
		"all of them": {Pushes: []Push{{}}, Checks: &Checks{}},
	} {
		if _, err := q.Accept(context.Background(), d); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Accept = %v, want ErrInvalid", name, err)
		}
	}
	if n := depth(t, q); n != 0 {
		t.Errorf("depth after rejected deliveries = %d", n)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	s := openStore(t, freshSQLite(t))
	defer s.Close()
	_, err := New(s, &fakeHandler{}, Options{JobTimeout: -1, MaxAttempts: -2})
	if err == nil || !strings.Contains(err.Error(), "JobTimeout") || !strings.Contains(err.Error(), "MaxAttempts") {
		t.Errorf("New with bad options: %v; want both problems named", err)
	}
}

func stop(t testing.TB, q *Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func waitFor(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("gave up waiting: %s", what)
	}
}
