package queue

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestNotifyRetriesApartFromPromotions: a notification whose receiver
// fails is tried again, with the same payload, until it is delivered; one
// queued twice under its id is delivered once; and while a delivery hangs,
// promotions (here a request) still run: notifications have workers of
// their own.
func TestNotifyRetriesApartFromPromotions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		var (
			mu       sync.Mutex
			calls    = map[string][]string{}
			hanging  = make(chan struct{})
			released = make(chan struct{})
		)
		deliver := func(ctx context.Context, payload []byte, final bool) error {
			// PostgreSQL keeps River's args as jsonb: the payload comes
			// back the same in meaning, not in bytes.
			var p struct{ N string }
			if err := json.Unmarshal(payload, &p); err != nil {
				t.Errorf("payload %s: %v", payload, err)
			}
			mu.Lock()
			calls[p.N] = append(calls[p.N], string(payload))
			n := len(calls[p.N])
			mu.Unlock()
			if final {
				t.Errorf("delivery %s: try %d is not the last of %d", payload, n, NotifyAttempts)
			}
			switch p.N {
			case "slow":
				close(hanging)
				select {
				case <-released:
				case <-ctx.Done():
					return ctx.Err()
				}
			case "flaky":
				if n <= 2 {
					return errors.New("receiver answered 500")
				}
			}
			return nil
		}
		ran := make(chan struct{})
		h := &fakeHandler{request: func(context.Context, []byte, int) error { close(ran); return nil }}
		opts := testOptions(nil)
		opts.Deliver = deliver
		_, q := startQueue(t, b.fresh(t), h, opts)
		ctx := context.Background()

		if err := q.Notify(ctx, []Notification{{ID: "slow", Summary: "slow", Payload: []byte(`{"n":"slow"}`)}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, hanging, "the slow delivery started")
		if err := q.Submit(ctx, "r1", "request", []byte(`{}`), time.Time{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ran, "the request ran while a delivery hangs")
		close(released)

		flaky := Notification{ID: "flaky", Summary: "flaky", Payload: []byte(`{"n":"flaky"}`)}
		if err := q.Notify(ctx, []Notification{flaky, flaky}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the flaky delivery went through on its third try", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(calls["flaky"]) >= 3
		})
		eventually(t, "no job left", func() bool { return depth(t, q) == 0 })
		mu.Lock()
		defer mu.Unlock()
		if n := len(calls["flaky"]); n != 3 {
			t.Errorf("flaky delivered in %d tries, want 3 (queued twice under one id, delivered once)", n)
		}
	})
}

func TestNotifyRefusesWhatItCannotDeliver(t *testing.T) {
	d := openDB(t, freshSQLite(t))
	q, err := Submitter(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Notify(context.Background(), []Notification{{ID: "", Payload: []byte(`{}`)}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no id: %v, want ErrInvalid", err)
	}
	if err := q.Notify(context.Background(), []Notification{{ID: "x", Payload: []byte(`not json`)}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("not JSON: %v, want ErrInvalid", err)
	}
}
