package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestFailingHandler(t *testing.T) {
	const image = "ghcr.io/acme/web"
	cases := []struct {
		name        string
		maxAttempts int
		fail        func(n int) error // the n-th call's error
		wantCalls   int
		wantFailure string // in Failure.Error; "" when the job must succeed
		wantTries   int    // Failure.Attempts
		errorLogs   int    // log lines at error level
		outcomes    map[string]float64
	}{{
		name:      "transient error is retried",
		fail:      func(n int) error { return errorIf(n == 1, errors.New("registry flaked")) },
		wantCalls: 2,
		outcomes:  map[string]float64{outcomeRetry: 1, outcomeOK: 1},
	}, {
		name: "panic is retried",
		fail: func(n int) error {
			if n == 1 {
				panic("assignment to entry in nil map")
			}
			return nil
		},
		wantCalls: 2,
		errorLogs: 1, // with the stack
		outcomes:  map[string]float64{outcomeRetry: 1, outcomeOK: 1},
	}, {
		name:        "retry-after snoozes without spending an attempt",
		maxAttempts: 1,
		fail:        func(n int) error { return errorIf(n == 1, retryLater{50 * time.Millisecond}) },
		wantCalls:   2,
		outcomes:    map[string]float64{outcomeSnoozed: 1, outcomeOK: 1},
	}, {
		name:        "Later snoozes",
		maxAttempts: 1,
		fail: func(n int) error {
			return errorIf(n == 1, Later(errors.New("config broken on main"), 50*time.Millisecond))
		},
		wantCalls: 2,
		outcomes:  map[string]float64{outcomeSnoozed: 1, outcomeOK: 1},
	}, {
		name:        "permanent refusal fails at once",
		fail:        func(int) error { return Permanent(errors.New("image not allowed by policy")) },
		wantCalls:   1,
		wantFailure: "image not allowed by policy",
		wantTries:   1,
		errorLogs:   1,
		outcomes:    map[string]float64{outcomeFailed: 1},
	}, {
		name:        "out of attempts",
		maxAttempts: 2,
		fail:        func(int) error { return errors.New("registry down") },
		wantCalls:   2,
		wantFailure: "registry down",
		wantTries:   2,
		errorLogs:   1,
		outcomes:    map[string]float64{outcomeRetry: 1, outcomeFailed: 1},
	}}
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				log, logs := newLogger()
				reg := prometheus.NewRegistry()
				opts := testOptions(log)
				opts.MaxAttempts = tc.maxAttempts
				opts.Registerer = reg
				h := &fakeHandler{pushes: func(_ context.Context, _ []Push, n int) error { return tc.fail(n) }}
				_, q := startQueue(t, b.fresh(t), h, opts)

				accept(t, q, Delivery{ID: "d", Pushes: []Push{{Image: image, Tag: "1.0.0"}}})
				var failures []Failure
				eventually(t, "the job to finish", func() bool {
					var err error
					if failures, err = q.Failures(context.Background(), 10); err != nil {
						t.Fatalf("Failures: %v", err)
					}
					done := len(h.pushCalls()) >= tc.wantCalls && depth(t, q) == 0
					return done && (tc.wantFailure == "") == (len(failures) == 0)
				})

				if n := len(h.pushCalls()); n != tc.wantCalls {
					t.Errorf("handler calls = %d, want %d", n, tc.wantCalls)
				}
				if n := countLines(logs.String(), "level=ERROR"); n != tc.errorLogs {
					t.Errorf("%d error log lines, want %d; log:\n%s", n, tc.errorLogs, logs)
				}
				if tc.wantFailure == "" {
					if len(failures) != 0 {
						t.Errorf("failures = %+v; want none", failures)
					}
				} else {
					f := failures[0]
					if len(failures) != 1 || f.Kind != KindPush || f.Summary != image || f.Attempts != tc.wantTries ||
						!strings.Contains(f.Error, tc.wantFailure) || f.At.IsZero() || f.JobID == 0 {
						t.Errorf("failures = %+v; want one push of %s after %d attempts with %q", failures, image, tc.wantTries, tc.wantFailure)
					}
					if !strings.Contains(logs.String(), "kind=push") || !strings.Contains(logs.String(), tc.wantFailure) {
						t.Errorf("the error log line should name the kind and the error; log:\n%s", logs)
					}
				}
				for outcome, want := range tc.outcomes {
					if got := jobsTotal(t, reg, KindPush, outcome); got != want {
						t.Errorf("stagehand_jobs_total{kind=push,outcome=%s} = %v, want %v", outcome, got, want)
					}
				}
			})
		}
	})
}

func TestJobTimeoutCancelsHandler(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		firstErr := make(chan error, 1)
		h := &fakeHandler{pushes: func(ctx context.Context, _ []Push, n int) error {
			if n > 1 {
				return nil
			}
			<-ctx.Done() // a call that hangs until its deadline
			firstErr <- ctx.Err()
			return ctx.Err()
		}}
		opts := testOptions(log)
		opts.JobTimeout = 200 * time.Millisecond
		_, q := startQueue(t, b.fresh(t), h, opts)
		accept(t, q, Delivery{ID: "d", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1"}}})
		select {
		case err := <-firstErr:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("the call's context ended with %v, want deadline exceeded", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("gave up waiting for the call's context to end")
		}
	})
}

func TestStopWaitsForRunningJob(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		entered, release := make(chan struct{}), make(chan struct{})
		cancelled := make(chan bool, 1)
		h := &fakeHandler{pushes: func(ctx context.Context, _ []Push, _ int) error {
			close(entered)
			select {
			case <-release:
				cancelled <- false
			case <-ctx.Done():
				cancelled <- true
			}
			return ctx.Err()
		}}
		d := openDB(t, b.fresh(t))
		defer d.Close()
		q, err := New(d, h, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		accept(t, q, Delivery{ID: "d", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1"}}})
		waitFor(t, entered, "the push to reach the handler")

		stopped := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			stopped <- q.Stop(ctx)
		}()
		// Give Stop a moment to begin; the assertions hold however long it takes.
		time.Sleep(50 * time.Millisecond)
		close(release)
		if err := <-stopped; err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if <-cancelled {
			t.Error("Stop cancelled a job it had time to wait for")
		}
		if n := depth(t, q); n != 0 {
			t.Errorf("depth after a graceful stop = %d; the job should have completed", n)
		}
	})
}

func TestStopDeadlineRetriesAfterRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url := b.fresh(t)
		log, _ := newLogger()
		entered := make(chan struct{})
		stuck := &fakeHandler{pushes: func(ctx context.Context, _ []Push, _ int) error {
			close(entered)
			<-ctx.Done()
			return ctx.Err()
		}}
		d := openDB(t, url)
		q, err := New(d, stuck, testOptions(log))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		accept(t, q, Delivery{ID: "d", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "7"}}})
		waitFor(t, entered, "the push to reach the handler")

		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Fatalf("Stop past its deadline: %v", err)
		}
		// Only the push counts: the prune job that runs at start may be
		// waiting too, depending on when leadership was won.
		var n int64
		if err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+d.Table("river_job")+
			` WHERE kind = ? AND state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`, KindPush).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("push jobs waiting after the cancelled one = %d, want 1 (waiting to run again)", n)
		}
		_ = d.Close()

		h := &fakeHandler{}
		_, q2 := startQueue(t, url, h, testOptions(log))
		eventually(t, "the cancelled push to run after restart", func() bool {
			calls := h.pushCalls()
			return len(calls) == 1 && calls[0][0].Tag == "7" && depth(t, q2) == 0
		})
		if f, err := q2.Failures(context.Background(), 10); err != nil || len(f) != 0 {
			t.Errorf("Failures = %+v, %v; a job cut short by Stop is not a failure", f, err)
		}
	})
}

func errorIf(cond bool, err error) error {
	if cond {
		return err
	}
	return nil
}

func countLines(s, substr string) int {
	n := 0
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

// jobsTotal reads stagehand_jobs_total{kind,outcome} from reg.
func jobsTotal(t testing.TB, reg *prometheus.Registry, kind, outcome string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != "stagehand_jobs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// A failed call's retry does not repeat what a newer push's job already
// did: the newer job takes the failed push along, and the retry finds
// nothing left.
func TestRetryDoesNotRepeatNewerWork(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		entered, release := make(chan struct{}), make(chan struct{})
		h := &fakeHandler{pushes: func(ctx context.Context, _ []Push, n int) error {
			if n > 1 {
				return nil
			}
			close(entered)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return errors.New("registry flaked")
		}}
		_, q := startQueue(t, b.fresh(t), h, testOptions(log))
		accept(t, q, Delivery{ID: "d1", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1"}}})
		waitFor(t, entered, "the first push to reach the handler")
		accept(t, q, Delivery{ID: "d2", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "2"}}})
		close(release)

		eventually(t, "the queue to drain", func() bool { return len(h.pushCalls()) >= 2 && depth(t, q) == 0 })
		time.Sleep(300 * time.Millisecond) // room for a wrong third call (MaxBackoff is 200ms)
		calls := h.pushCalls()
		if len(calls) != 2 || strings.Join(tags(calls[0]), ",") != "1" || strings.Join(tags(calls[1]), ",") != "1,2" {
			t.Errorf("calls = %v; want [1] (failed), then [1 2] once", calls)
		}
	})
}
