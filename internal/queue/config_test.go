package queue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// watchingHandler is a fakeHandler that is told of configuration changes.
type watchingHandler struct {
	*fakeHandler
	mu   sync.Mutex
	shas []string
}

func (h *watchingHandler) ConfigChanged(_ context.Context, c ConfigChanged) error {
	sha := c.SHA
	h.mu.Lock()
	defer h.mu.Unlock()
	h.shas = append(h.shas, sha)
	return nil
}

func (h *watchingHandler) checked() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.shas)
}

// Work set to wait for a fix of the configuration (a push, checks of a
// commit) is tried again as soon as a change of the configuration is
// accepted, not when its wait is over; the handler checks the change
// once, however often GitHub delivers it.
func TestConfigChangeWakesWaitingWork(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		broken := errors.New(".stagehand.yaml is invalid")
		var fixed sync.WaitGroup
		fixed.Add(2)
		h := &watchingHandler{fakeHandler: &fakeHandler{
			pushes: func(_ context.Context, _ []Push, n int) error {
				if n == 1 {
					defer fixed.Done()
					return Later(broken, time.Hour)
				}
				return nil
			},
			checks: func(_ context.Context, _ Checks, n int) error {
				if n == 1 {
					defer fixed.Done()
					return Later(broken, time.Hour)
				}
				return nil
			},
		}}
		_, q := startQueue(t, b.fresh(t), h, testOptions(log))
		accept(t, q, Delivery{ID: "p1", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "1.1.0"}}})
		accept(t, q, Delivery{ID: "s1", Checks: &Checks{SHA: "aaa", Branches: []string{"stagehand/web/staging"}}})
		ch := make(chan struct{})
		go func() { fixed.Wait(); close(ch) }()
		waitFor(t, ch, "the push and the checks to wait for a fix")

		for range 2 { // GitHub delivers the same push event twice
			accept(t, q, Delivery{ID: "fix", Source: "github", ConfigChanged: &ConfigChanged{SHA: "f1x"}})
		}
		eventually(t, "the waiting push and checks worked again", func() bool {
			pushes, _, checks, _ := h.counts()
			return pushes == 2 && checks == 2
		})
		if got := tags(h.pushCalls()[1]); !slices.Equal(got, []string{"1.1.0"}) {
			t.Errorf("the woken push job got %v, want the waiting push", got)
		}
		eventually(t, "the change checked", func() bool { return len(h.checked()) == 1 })
		if got := h.checked(); !slices.Equal(got, []string{"f1x"}) {
			t.Errorf("configuration checked at %v, want once at f1x", got)
		}
		// What is left are the two snoozed jobs, which find their work
		// done when their hour is up; nothing was worked twice.
		eventually(t, "only the snoozed jobs left", func() bool { return depth(t, q) == 2 })
		if pushes, _, checks, _ := h.counts(); pushes != 2 || checks != 2 {
			t.Errorf("%d push and %d checks calls, want 2 each", pushes, checks)
		}
	})
}

// A config change without a SHA is the caller's bug.
func TestAcceptRejectsConfigChangeWithoutSHA(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		_, q := startQueue(t, b.fresh(t), &fakeHandler{}, testOptions(log))
		if _, err := q.Accept(context.Background(), Delivery{ID: "x", ConfigChanged: &ConfigChanged{}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Accept: %v, want ErrInvalid", err)
		}
	})
}
