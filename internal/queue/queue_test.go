package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

func TestAcceptedWorkSurvivesRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url := b.fresh(t)
		log, _ := newLogger()
		mergedAt := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		pushedAt := time.Date(2026, 3, 1, 11, 59, 0, 0, time.UTC)
		want := Delivery{
			ID:     "d-1",
			Source: "github",
			Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1.2.0", Digest: "sha256:aa", Vendor: "ghcr", PushedAt: pushedAt}},
			Checks: &Checks{SHA: "c0ffee", Branches: []string{"stagehand/web"}, PRs: []int{7}},
			PRClosed: &PRClosed{Number: 7, Merged: true, Body: "promote web", HeadRef: "stagehand/web",
				MergeSHA: "d00d", MergedBy: "octocat", MergedAt: mergedAt},
		}

		// Accept, then close without ever starting: a crash right after the 202.
		d := openDB(t, url)
		q, err := New(d, &fakeHandler{}, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if dup := accept(t, q, want); dup {
			t.Fatal("first Accept reported a duplicate")
		}
		if err := d.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		h := &fakeHandler{}
		startQueue(t, url, h, testOptions(log))
		eventually(t, "all three jobs to run after restart", func() bool {
			p, pr, c, _ := h.counts()
			return p == 1 && pr == 1 && c == 1
		})
		got := h.pushCalls()[0]
		if len(got) != 1 || got[0].Image != "ghcr.io/acme/web" || got[0].Tag != "1.2.0" || got[0].Digest != "sha256:aa" || got[0].Vendor != "ghcr" ||
			got[0].DeliveryID != "d-1" || got[0].ReceivedAt.IsZero() || !got[0].PushedAt.Equal(pushedAt) {
			t.Errorf("pushes = %+v", got)
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
		d := openDB(t, b.fresh(t))
		defer d.Close()
		q, err := New(d, h, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		dl := Delivery{ID: "same-id", Source: "dockerhub", Pushes: []Push{{Image: "docker.io/acme/api", Tag: "v1"}}}
		if accept(t, q, dl) {
			t.Fatal("first Accept reported a duplicate")
		}
		if !accept(t, q, dl) {
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

// A burst of pushes of one image, in any order, reaches the handler as few
// batches that hold every tag, so that the handler can choose the newest by
// its own rules; a tag pushed twice comes once, with its last push.
func TestBurstOfPushesIsHandedOverWhole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		entered, release := make(chan struct{}), make(chan struct{})
		h := &fakeHandler{pushes: func(ctx context.Context, _ []Push, n int) error {
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
		order := rand.Perm(pushes - 1)
		for _, i := range order {
			accept(t, q, Delivery{ID: fmt.Sprintf("push-%d", i+1), Pushes: []Push{{Image: image, Tag: tag(i + 1), Digest: "first"}}})
		}
		// The same tag again, pushed anew: one arrival, the last.
		again := order[0] + 1
		accept(t, q, Delivery{ID: "again", Pushes: []Push{{Image: image, Tag: tag(again), Digest: "second"}}})
		close(release)

		eventually(t, "the queue to drain", func() bool { return depth(t, q) == 0 && len(h.pushCalls()) >= 2 })
		calls := h.pushCalls()
		if len(calls) > 3 {
			t.Errorf("%d handler calls for a burst of %d pushes; want at most 3", len(calls), pushes)
		}
		seen := map[string]int{}
		for _, batch := range calls[1:] {
			for _, p := range batch {
				seen[p.Tag]++
				if p.Tag == tag(again) && p.Digest != "second" {
					t.Errorf("tag %s pushed twice came as its first push: %+v", p.Tag, p)
				}
			}
			if !slices.IsSortedFunc(batch, func(a, b Push) int { return int(a.Seq - b.Seq) }) {
				t.Errorf("a batch is not in arrival order: %v", tags(batch))
			}
		}
		for i := 1; i < pushes; i++ {
			if seen[tag(i)] != 1 {
				t.Errorf("tag %s reached the handler %d times after the first call, want once", tag(i), seen[tag(i)])
			}
		}
	})
}

// A push that arrives while an older job of the same image waits out its
// backoff is worked at once, not after the backoff.
func TestNewPushDoesNotWaitForAnOlderRetry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		failed := make(chan struct{})
		h := &fakeHandler{pushes: func(ctx context.Context, batch []Push, n int) error {
			if n == 1 {
				defer close(failed)
				return errors.New("GitHub answered 502")
			}
			return nil
		}}
		opts := testOptions(log)
		opts.MaxBackoff = time.Hour // the retry would come much later
		_, q := startQueue(t, b.fresh(t), h, opts)
		accept(t, q, Delivery{ID: "d1", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1"}}})
		waitFor(t, failed, "the first try to fail")
		accept(t, q, Delivery{ID: "d2", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "2"}}})
		eventually(t, "the new push to be handled", func() bool { return len(h.pushCalls()) >= 2 })
		got := tags(h.pushCalls()[1])
		if !slices.Equal(got, []string{"1", "2"}) {
			t.Errorf("second call got %v; want the failed push and the new one together", got)
		}
	})
}

// Replicas on one PostgreSQL database share the work, run different keys
// at once, and every image ends with its newest push handed over.
func TestReplicasShareTheWork(t *testing.T) {
	t.Parallel()
	url := freshPostgres(t)
	log, _ := newLogger()
	var mu sync.Mutex
	byQueue := map[string]int{}
	last := map[string]string{}
	handler := func(name string) *fakeHandler {
		return &fakeHandler{pushes: func(ctx context.Context, batch []Push, _ int) error {
			time.Sleep(20 * time.Millisecond) // work that takes a while
			mu.Lock()
			defer mu.Unlock()
			byQueue[name]++
			for _, p := range batch {
				if p.Tag > last[p.Image] {
					last[p.Image] = p.Tag
				}
			}
			return nil
		}}
	}
	h1, h2 := handler("one"), handler("two")
	// Two workers each: more work waits than one replica takes at once,
	// so sharing it is not left to which replica polls first.
	opts := testOptions(log)
	opts.Workers = 2
	_, q1 := startQueue(t, url, h1, opts)
	_, q2 := startQueue(t, url, h2, opts)
	const images, perImage = 10, 5
	var wg sync.WaitGroup
	for i := range images {
		for j := range perImage {
			wg.Go(func() {
				q := []*Queue{q1, q2}[(i+j)%2]
				accept(t, q, Delivery{ID: fmt.Sprintf("%d-%d", i, j), Pushes: []Push{{Image: fmt.Sprintf("ghcr.io/acme/app-%d", i), Tag: fmt.Sprintf("1.0.%d", j)}}})
			})
		}
	}
	wg.Wait()
	eventually(t, "every image's newest push", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for i := range images {
			if last[fmt.Sprintf("ghcr.io/acme/app-%d", i)] != fmt.Sprintf("1.0.%d", perImage-1) {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	if byQueue["one"] == 0 || byQueue["two"] == 0 {
		t.Errorf("work by replica = %v; want both to work", byQueue)
	}
	if m := max(h1.maxInFlight.Load(), h2.maxInFlight.Load()); m < 2 {
		t.Errorf("at most %d jobs ran at once in one replica; want several", m)
	}
}

func TestChecksCoalesceBySHA(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		h := &fakeHandler{}
		d := openDB(t, b.fresh(t))
		defer d.Close()
		q, err := New(d, h, testOptions(log))
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

// A request submitted for later runs when it is due; with an id, twice is
// once.
func TestSubmit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		h := &fakeHandler{}
		_, q := startQueue(t, b.fresh(t), h, testOptions(log))
		ctx := context.Background()
		due := time.Now().Add(300 * time.Millisecond)
		if err := q.Submit(ctx, "", "later", []byte(`{"n":1}`), due); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := q.Submit(ctx, "r-1", "now", []byte(`{"n":2}`), time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "both requests", func() bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			return len(h.requests) >= 2
		})
		if time.Now().Before(due) {
			t.Error("the scheduled request ran before it was due")
		}
		time.Sleep(100 * time.Millisecond)
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.requests) != 2 || compact(h.requests[0]) != `{"n":2}` || compact(h.requests[1]) != `{"n":1}` {
			t.Errorf("requests = %q", h.requests)
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
		d := openDB(t, b.fresh(t))
		q, err := New(d, &fakeHandler{}, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		ctx := context.Background()
		if err := d.Ready(ctx); err != nil {
			t.Fatalf("Ready on an open database: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := d.Ready(ctx); err == nil {
			t.Error("Ready on a closed database: nil error")
		}
		_, err = q.Accept(ctx, Delivery{ID: "late", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1"}}})
		if !errors.Is(err, db.ErrUnavailable) {
			t.Errorf("Accept on a closed database: %v, want ErrUnavailable", err)
		}
		if _, err := q.Depth(ctx); !errors.Is(err, db.ErrUnavailable) {
			t.Errorf("Depth on a closed database: %v, want ErrUnavailable", err)
		}
		if _, err := q.Failures(ctx, 10); !errors.Is(err, db.ErrUnavailable) {
			t.Errorf("Failures on a closed database: %v, want ErrUnavailable", err)
		}
	})
}

func TestAcceptRejectsIncompleteDelivery(t *testing.T) {
	t.Parallel()
	d := openDB(t, freshSQLite(t))
	defer d.Close()
	q, err := New(d, &fakeHandler{}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for name, dl := range map[string]Delivery{
		"no id":       {Pushes: []Push{{Image: "a", Tag: "1"}}},
		"no image":    {ID: "x", Pushes: []Push{{Tag: "1"}}},
		"no tag":      {ID: "x", Pushes: []Push{{Image: "a"}}},
		"no sha":      {ID: "x", Checks: &Checks{}},
		"no pr":       {ID: "x", PRClosed: &PRClosed{}},
		"all of them": {Pushes: []Push{{}}, Checks: &Checks{}},
	} {
		if _, err := q.Accept(context.Background(), dl); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Accept = %v, want ErrInvalid", name, err)
		}
	}
	if n := depth(t, q); n != 0 {
		t.Errorf("depth after rejected deliveries = %d", n)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	d := openDB(t, freshSQLite(t))
	defer d.Close()
	_, err := New(d, &fakeHandler{}, Options{JobTimeout: -1, PollInterval: time.Microsecond, LeaseBeat: time.Second, LeaseStale: time.Second})
	if err == nil || !strings.Contains(err.Error(), "negative") || !strings.Contains(err.Error(), "PollInterval") || !strings.Contains(err.Error(), "LeaseStale") {
		t.Errorf("New with bad options: %v; want every problem named", err)
	}
}

// A Submitter works nothing, and says whether a server does.
func TestSubmitterAndWorking(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url := b.fresh(t)
		d := openDB(t, url)
		defer d.Close()
		s, err := Submitter(d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := s.Start(ctx); err == nil {
			t.Error("a Submitter started working")
		}
		if working, err := s.Working(ctx); err != nil || working {
			t.Fatalf("Working with no server = %v, %v", working, err)
		}
		log, _ := newLogger()
		h := &fakeHandler{}
		startQueue(t, url, h, testOptions(log))
		eventually(t, "a server to work the queue", func() bool {
			working, err := s.Working(ctx)
			return err == nil && working
		})
		if err := s.Submit(ctx, "cli-1", "promote", []byte(`{}`), time.Time{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the server to work the submitted request", func() bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			return len(h.requests) == 1
		})
	})
}

// compact is JSON without spaces: PostgreSQL keeps job args as jsonb,
// which respaces them.
func compact(b []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}

// Deliveries accepted at the same moment share transactions (group
// commit), and lose nothing by it: each is accepted once and reported a
// duplicate when sent again, even within one group, and every push reaches
// the handler.
func TestConcurrentAcceptsEachCountOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		h := &fakeHandler{}
		d := openDB(t, b.fresh(t))
		defer d.Close()
		q, err := New(d, h, testOptions(log))
		if err != nil {
			t.Fatal(err)
		}
		const senders, images = 200, 5
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			fresh = map[string]int{}
		)
		for i := range senders {
			for copy := range 2 { // every delivery sent twice, at once
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := fmt.Sprintf("d-%d", i)
					dup, err := q.Accept(context.Background(), Delivery{ID: id, Source: "generic",
						Pushes: []Push{{Image: fmt.Sprintf("ghcr.io/acme/app%d", i%images), Tag: fmt.Sprintf("1.0.%d", i)}}})
					if err != nil {
						t.Errorf("Accept %s (copy %d): %v", id, copy, err)
						return
					}
					if !dup {
						mu.Lock()
						fresh[id]++
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		for i := range senders {
			if id := fmt.Sprintf("d-%d", i); fresh[id] != 1 {
				t.Errorf("%s accepted as new %d times, want once", id, fresh[id])
			}
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer stop(t, q)
		eventually(t, "every push handled", func() bool {
			n := 0
			for _, batch := range h.pushCalls() {
				n += len(batch)
			}
			return n >= senders && depth(t, q) == 0
		})
		seen := map[string]int{}
		for _, batch := range h.pushCalls() {
			for _, p := range batch {
				seen[p.Image+":"+p.Tag]++
			}
		}
		if len(seen) != senders {
			t.Errorf("%d distinct pushes handled, want %d", len(seen), senders)
		}
	})
}
