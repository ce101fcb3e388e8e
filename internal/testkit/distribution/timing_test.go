package distribution

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
)

// TestBurst pushes images to many tags at once, starting in shuffled
// order: every push gets its manifest event, with its digest.
func TestBurst(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	rec := NewRecorder(t)
	reg := NewTest(t, WithEndpoint(rec.URL()+hookPath))

	const n = 20
	start := time.Now().Add(100 * time.Millisecond)
	order := rand.Perm(n) // push i starts order[i] ms after start
	pushed := make([]Pushed, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		img, err := random.Image(imageLayerSize, imageLayers)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			at := start.Add(time.Duration(order[i]) * time.Millisecond)
			pushed[i], errs[i] = reg.PushAt(ctx, at, fmt.Sprintf("app:t%02d", i), img)
		})
	}
	wg.Wait()
	for i, p := range pushed {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if p.Started.Before(start) {
			t.Errorf("push %d started %s early", i, start.Sub(p.Started))
		}
		d := wait(t, ctx, rec, ManifestPush("app", p.Ref.TagStr()))
		if got := d.Events[0].Target.Digest; got != p.Digest.String() {
			t.Errorf("%s: event digest %s, pushed %s", p.Ref, got, p.Digest)
		}
	}
}

// TestLatency logs how long a registry takes to start and a manifest push
// event to arrive; go test -run Latency -v shows them.
func TestLatency(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	rec := NewRecorder(t)
	begin := time.Now()
	reg := NewTest(t, WithEndpoint(rec.URL()+hookPath))
	t.Logf("registry started in %s", time.Since(begin))

	const n = 20
	var fromStart, fromDone []time.Duration
	for i := range n {
		p, err := reg.PushImage(ctx, fmt.Sprintf("app:v%d", i))
		if err != nil {
			t.Fatal(err)
		}
		d := wait(t, ctx, rec, ManifestPush("app", p.Ref.TagStr()))
		fromStart = append(fromStart, d.At.Sub(p.Started))
		fromDone = append(fromDone, d.At.Sub(p.Done))
	}
	t.Logf("manifest event after the push began: %s", spread(fromStart))
	t.Logf("manifest event after remote.Write returned: %s", spread(fromDone))
}

func spread(ds []time.Duration) string {
	s := slices.Sorted(slices.Values(ds))
	return fmt.Sprintf("min %s, median %s, max %s over %d", s[0], s[len(s)/2], s[len(s)-1], len(s))
}
