package queue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// imagesHandler records the image each Pushes call is for.
type imagesHandler struct {
	*fakeHandler
	mu     sync.Mutex
	images []string
}

func (h *imagesHandler) Pushes(ctx context.Context, image string, batch []Push) error {
	h.mu.Lock()
	h.images = append(h.images, image)
	h.mu.Unlock()
	return h.fakeHandler.Pushes(ctx, image, batch)
}

// TestPushesOfEachRepositoryApart: the pushes of one image for two config
// repositories are two pieces of work: one repository failing is retried
// alone, and the other's is handled at once, each with its own pushes.
func TestPushesOfEachRepositoryApart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		log, _ := newLogger()
		h := &imagesHandler{fakeHandler: &fakeHandler{pushes: func(ctx context.Context, batch []Push, n int) error {
			if batch[0].Repo == "acme/b" {
				return errors.New("acme/b's config is broken")
			}
			return nil
		}}}
		opts := testOptions(log)
		opts.MaxBackoff = time.Hour // acme/b's retry would come much later
		_, q := startQueue(t, b.fresh(t), h, opts)
		accept(t, q, Delivery{ID: "d1", Pushes: []Push{
			{Repo: "acme/a", Image: "ghcr.io/acme/web", Tag: "1"},
			{Repo: "acme/b", Image: "ghcr.io/acme/web", Tag: "1"},
		}})
		accept(t, q, Delivery{ID: "d2", Pushes: []Push{{Repo: "acme/a", Image: "ghcr.io/acme/web", Tag: "2"}}})
		eventually(t, "acme/a's pushes handled", func() bool {
			n := 0
			for _, batch := range h.pushCalls() {
				for _, p := range batch {
					if p.Repo == "acme/a" {
						n++
					}
				}
			}
			return n >= 2
		})
		for _, batch := range h.pushCalls() {
			for _, p := range batch {
				if p.Repo != batch[0].Repo {
					t.Errorf("one call mixes repositories: %+v", batch)
				}
			}
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if slices.ContainsFunc(h.images, func(s string) bool { return s != "ghcr.io/acme/web" }) {
			t.Errorf("images handed over: %v; want the image itself", h.images)
		}
	})
}
