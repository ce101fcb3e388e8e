package distribution

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"go.uber.org/goleak"
)

const (
	hookPath = "/webhooks/registry/distribution"
	auth     = "Bearer s3cret"
	// What Distribution v3 sends (notifications.EventsMediaType); v2.x
	// sent ...events.v1+json. Spelled out so an upgrade that changes it
	// fails here.
	eventsMediaType = "application/vnd.docker.distribution.events.v2+json"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wait(t *testing.T, ctx context.Context, rec *Recorder, match func(Delivery) bool) Delivery {
	t.Helper()
	d, err := rec.Wait(ctx, match)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// blobs lists what a push of img uploads: its layers and its config.
func blobs(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var hs []v1.Hash
	for _, l := range layers {
		h, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return append(hs, cfg)
}

func TestPushNotifies(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	rec := NewRecorder(t)
	reg := NewTest(t, WithEndpoint(rec.URL()+hookPath), WithHeader("Authorization", auth))

	p, err := reg.PushImage(ctx, "team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if p.MediaType != types.DockerManifestSchema2 {
		t.Errorf("pushed media type %s, want %s", p.MediaType, types.DockerManifestSchema2)
	}
	d := wait(t, ctx, rec, ManifestPush("team/app", "v1"))
	// The HEAD Push checks with comes after the manifest; so does its
	// pull event, the last one a push makes.
	wait(t, ctx, rec, func(d Delivery) bool { return len(d.Events) > 0 && d.Events[0].Action == "pull" })

	if got := d.Header.Get("Content-Type"); got != eventsMediaType {
		t.Errorf("Content-Type %q, want %q", got, eventsMediaType)
	}
	if got := d.Header.Get("Authorization"); got != auth {
		t.Errorf("Authorization %q, want %q", got, auth)
	}
	e := d.Events[0]
	if e.Target.Digest != p.Digest.String() || e.Target.MediaType != string(p.MediaType) {
		t.Errorf("manifest event target %s (%s), want %s (%s)", e.Target.Digest, e.Target.MediaType, p.Digest, p.MediaType)
	}
	if e.Request.Host != reg.Host() || e.Request.Method != http.MethodPut {
		t.Errorf("manifest event request %s %s, want PUT %s", e.Request.Method, e.Request.Host, reg.Host())
	}
	if want := reg.URL() + "/v2/team/app/manifests/" + p.Digest.String(); e.Target.URL != want {
		t.Errorf("manifest event url %s, want %s", e.Target.URL, want)
	}

	pushed := map[string]Event{} // blob digest → its push event
	for _, d := range rec.Deliveries() {
		if len(d.Events) != 1 {
			t.Errorf("delivery has %d events; Distribution v3 sends one per request:\n%s", len(d.Events), d.Body)
			continue
		}
		if d.Header.Get("Content-Type") != eventsMediaType || d.Header.Get("Authorization") != auth {
			t.Errorf("delivery headers %v", d.Header)
		}
		if e := d.Events[0]; e.Action == "push" && e.Target.Tag == "" {
			pushed[e.Target.Digest] = e
		}
	}
	want := blobs(t, p.Artifact.(v1.Image))
	if len(pushed) != len(want) {
		t.Errorf("%d blob push events, want %d (layers and config)", len(pushed), len(want))
	}
	for _, h := range want {
		e, ok := pushed[h.String()]
		switch {
		case !ok:
			t.Errorf("no push event for blob %s", h)
		case e.Target.MediaType != "application/octet-stream" || e.Target.Repository != "team/app" || e.Request.Host != reg.Host():
			t.Errorf("blob %s event: %+v", h, e)
		}
	}
}

func TestPushIndexNotifies(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	rec := NewRecorder(t)
	reg := NewTest(t, WithEndpoint(rec.URL()+hookPath))

	p, err := reg.PushIndex(ctx, "multi:v1")
	if err != nil {
		t.Fatal(err)
	}
	if p.MediaType != types.OCIImageIndex {
		t.Errorf("pushed media type %s, want %s", p.MediaType, types.OCIImageIndex)
	}
	idx := wait(t, ctx, rec, ManifestPush("multi", "v1"))
	if e := idx.Events[0]; e.Target.MediaType != string(types.OCIImageIndex) || e.Target.Digest != p.Digest.String() {
		t.Errorf("index event target %s (%s), want %s (%s)", e.Target.Digest, e.Target.MediaType, p.Digest, types.OCIImageIndex)
	}

	// The index's images went first, by digest: push events without a tag.
	im, err := p.Artifact.(v1.ImageIndex).IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		found := false
		for _, d := range rec.Deliveries() {
			if e := d.Events[0]; e.Action == "push" && e.Target.Digest == m.Digest.String() {
				found = true
				if e.Target.Tag != "" || e.Target.MediaType != string(m.MediaType) {
					t.Errorf("image %s of the index: tag %q, media type %s", m.Digest, e.Target.Tag, e.Target.MediaType)
				}
				if d.At.After(idx.At) {
					t.Errorf("image %s notified after its index", m.Digest)
				}
			}
		}
		if !found {
			t.Errorf("no push event for image %s of the index", m.Digest)
		}
	}
}

func TestPushSameImageUnderAnotherTag(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	rec := NewRecorder(t)
	reg := NewTest(t, WithEndpoint(rec.URL()+hookPath))

	first, err := reg.PushImage(ctx, "app:v1")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, ctx, rec, ManifestPush("app", "v1"))
	before := len(rec.Deliveries())
	again, err := reg.Push(ctx, "app:v2", first.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != first.Digest {
		t.Fatalf("same image, digests %s and %s", first.Digest, again.Digest)
	}
	d := wait(t, ctx, rec, ManifestPush("app", "v2"))
	if d.Events[0].Target.Digest != first.Digest.String() {
		t.Errorf("v2 event digest %s, want %s", d.Events[0].Target.Digest, first.Digest)
	}
	// The registry has every blob: the client only checks (HEAD), and
	// Distribution reports those checks as pulls, not pushes.
	for _, d := range rec.Deliveries()[before:] {
		if e := d.Events[0]; e.Action == "push" && e.Target.Tag == "" {
			t.Errorf("blob %s pushed again", e.Target.Digest)
		}
	}
}

// TestRetry: a receiver that refuses gets the same event again, without
// waiting threshold times, then once per backoff, until it accepts; the
// events behind it wait in the queue and follow in order. The push itself
// never waits for notifications.
func TestRetry(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	rec := NewRecorder(t)
	const backoff = 50 * time.Millisecond
	reg := NewTest(t, WithEndpoint(rec.URL()+hookPath), WithThreshold(2), WithBackoff(backoff))

	rec.Reply(http.StatusUnsupportedMediaType)
	rec.Answer(http.StatusInternalServerError)
	p, err := reg.PushImage(ctx, "app:v1")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, ctx, rec, func(Delivery) bool { return len(rec.Deliveries()) >= 4 })
	rec.Answer(http.StatusAccepted)
	wait(t, ctx, rec, ManifestPush("app", "v1"))
	wait(t, ctx, rec, func(d Delivery) bool { return d.Events[0].Action == "pull" })

	all := rec.Deliveries()
	first := 0
	for first < len(all) && !all[first].Accepted() {
		first++
	}
	if first < 4 || first == len(all) {
		t.Fatalf("accepted delivery %d, want 4 or later", first)
	}
	if p.Done.After(all[first].At) {
		t.Errorf("the push returned at %s, after its first notification was accepted at %s", p.Done, all[first].At)
	}
	if all[0].Status != http.StatusUnsupportedMediaType {
		t.Errorf("first answer %d", all[0].Status)
	}
	for i, d := range all[1 : first+1] {
		if !bytes.Equal(d.Body, all[0].Body) {
			t.Fatalf("attempt %d is another batch:\n%s\nfirst:\n%s", i+2, d.Body, all[0].Body)
		}
		// Threshold 2: the second attempt follows the first at once,
		// the others wait the backoff after the failure before.
		if gap := d.At.Sub(all[i].At); i >= 1 && gap < backoff {
			t.Errorf("attempt %d came %s after the one before, under the %s backoff", i+2, gap, backoff)
		}
	}
	seen := map[string]bool{all[0].Events[0].ID: true}
	var order []string
	for _, d := range all[first+1:] {
		if !d.Accepted() {
			t.Errorf("refused after the receiver recovered: %d", d.Status)
		}
		e := d.Events[0]
		if seen[e.ID] {
			t.Errorf("event %s delivered twice after it was accepted", e.ID)
		}
		seen[e.ID] = true
		order = append(order, e.Action+":"+e.Target.Tag)
	}
	// 3 blobs (the first of them retried above), the manifest, the HEAD.
	if want := []string{"push:", "push:", "push:v1", "pull:v1"}; strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("events after the retried one: %v, want %v", order, want)
	}
}

// TestCloseStopsEverything closes a registry while its notifications are
// being retried against a receiver that refuses them all.
func TestCloseStopsEverything(t *testing.T) {
	// Not parallel: goleak sees every goroutine of the process. This
	// cleanup, registered first, runs after the registry's and the
	// recorder's.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx := testContext(t)
	rec := NewRecorder(t)
	rec.Answer(http.StatusInternalServerError)
	reg, err := New(WithEndpoint(rec.URL()+hookPath), WithThreshold(1), WithBackoff(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.PushImage(ctx, "app:v1"); err != nil {
		t.Fatal(err)
	}
	wait(t, ctx, rec, func(Delivery) bool { return true }) // now waiting an hour to retry

	start := time.Now()
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close took %s", took)
	}
	if err := reg.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := reg.PushImage(ctx, "app:v2"); err == nil {
		t.Error("pushed to a closed registry")
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []Option
		want string // in the error; "" means no error
	}{
		{"none", nil, ""},
		{"all", []Option{WithEndpoint("http://127.0.0.1:1/hook"), WithHeader("Authorization", auth), WithTimeout(time.Second), WithThreshold(3), WithBackoff(time.Millisecond)}, ""},
		{"two endpoints", []Option{WithEndpoint("http://a/"), WithEndpoint("http://b/")}, "WithEndpoint given more than once"},
		{"not http", []Option{WithEndpoint("ftp://a/")}, "not an http(s) URL"},
		{"no host", []Option{WithEndpoint("http:///hook")}, "not an http(s) URL"},
		{"header alone", []Option{WithHeader("Authorization", auth)}, "WithHeader without WithEndpoint"},
		{"empty header", []Option{WithEndpoint("http://a/"), WithHeader("", "x")}, "empty key"},
		{"zero timeout", []Option{WithEndpoint("http://a/"), WithTimeout(0)}, "not positive"},
		{"negative threshold", []Option{WithEndpoint("http://a/"), WithThreshold(-1)}, "not positive"},
		{"two backoffs", []Option{WithEndpoint("http://a/"), WithBackoff(time.Second), WithBackoff(time.Second)}, "given more than once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := makeOptions(tc.opts...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (!errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want ErrOptions with %q", err, tc.want)
			}
		})
	}
}

// TestNotInProduct: the binary people deploy must not carry a registry.
func TestNotInProduct(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool:", err)
	}
	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", "github.com/stagehand-dev/stagehand/cmd/stagehand").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for pkg := range strings.Lines(string(out)) {
		if strings.Contains(pkg, "distribution/distribution") || strings.Contains(pkg, "/internal/testkit/") {
			t.Errorf("cmd/stagehand links %s", strings.TrimSpace(pkg))
		}
	}
}
