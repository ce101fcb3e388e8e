package distribution

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// TestNotificationPrecedesTag: a receiver that resolves the tag the moment
// the manifest push event arrives sees the tag as it was before the push.
func TestNotificationPrecedesTag(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	type seen struct {
		event, resolved string // digests; resolved "" for 404
	}
	var mu sync.Mutex
	var got []seen
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct{ Events []Event }
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, e := range env.Events {
			if e.Action != "push" || e.Target.Tag == "" {
				continue
			}
			ref, err := name.NewTag(e.Request.Host+"/"+e.Target.Repository+":"+e.Target.Tag, name.Insecure)
			if err != nil {
				t.Error(err)
				continue
			}
			s := seen{event: e.Target.Digest}
			desc, err := remote.Head(ref, remote.WithContext(r.Context()), remote.WithTransport(tr))
			var te *transport.Error
			switch {
			case errors.As(err, &te) && te.StatusCode == http.StatusNotFound:
			case err != nil:
				t.Error(err)
			default:
				s.resolved = desc.Digest.String()
			}
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	reg := NewTest(t, WithEndpoint(srv.URL), WithTagDelay(500*time.Millisecond))

	first, err := reg.PushImage(ctx, "app:v1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := reg.PushImage(ctx, "app:v1")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []seen{
		{event: first.Digest.String()},                                   // a new tag: not there yet
		{event: second.Digest.String(), resolved: first.Digest.String()}, // still the digest before
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("resolved on receipt: %+v, want %+v", got, want)
	}
}
