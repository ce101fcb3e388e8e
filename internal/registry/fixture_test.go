package registry_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

// fixture is a real in-process registry. Pushes go through their own
// server, straight to the registry; resolves go through srv, which may
// wrap the registry to misbehave, and which records every request.
type fixture struct {
	srv  *httptest.Server
	push *httptest.Server
	host string // of srv, "127.0.0.1:port"

	mu   sync.Mutex
	seen []string // "METHOD /path" of requests that reached srv's handler
	ua   []string
}

func newFixture(tb testing.TB, wrap func(http.Handler) http.Handler) *fixture {
	tb.Helper()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	var h http.Handler = reg
	if wrap != nil {
		h = wrap(reg)
	}
	f := &fixture{push: httptest.NewServer(reg)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Method+" "+r.URL.Path)
		f.ua = append(f.ua, r.UserAgent())
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(f.srv.Close)
	tb.Cleanup(f.push.Close)
	f.host = strings.TrimPrefix(f.srv.URL, "http://")
	return f
}

// requests returns the requests that reached the registry handler.
func (f *fixture) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func (f *fixture) pushRef(tb testing.TB, repo, tag string) name.Tag {
	tb.Helper()
	ref, err := name.NewTag(strings.TrimPrefix(f.push.URL, "http://")+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

func (f *fixture) pushImage(tb testing.TB, repo, tag string) v1.Image {
	tb.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		tb.Fatal(err)
	}
	if err := remote.Write(f.pushRef(tb, repo, tag), img); err != nil {
		tb.Fatal(err)
	}
	return img
}

func (f *fixture) pushIndex(tb testing.TB, repo, tag string) v1.ImageIndex {
	tb.Helper()
	idx, err := random.Index(256, 1, 3)
	if err != nil {
		tb.Fatal(err)
	}
	if err := remote.WriteIndex(f.pushRef(tb, repo, tag), idx); err != nil {
		tb.Fatal(err)
	}
	return idx
}

// resolver allows plain HTTP to the fixture only, cannot leave loopback,
// and uses kc (anonymous when nil), never the Docker config of the machine
// running the tests.
func (f *fixture) resolver(tb testing.TB, kc authn.Keychain, opts ...registry.Option) *registry.Resolver {
	tb.Helper()
	if kc == nil {
		kc = authn.NewMultiKeychain()
	}
	base := []registry.Option{
		registry.WithInsecure(f.host),
		registry.WithTransport(loopbackOnly{}),
		registry.WithKeychain(kc),
	}
	r, err := registry.New(append(base, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// loopbackOnly keeps tests off the network whatever the resolver does.
type loopbackOnly struct{}

func (loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if h := r.URL.Hostname(); h != "127.0.0.1" && h != "localhost" {
		return nil, fmt.Errorf("test transport: refusing non-loopback host %s", r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// staticKeychain hands out one login for one registry host.
type staticKeychain struct{ host, user, pass string }

func (k staticKeychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	if res.RegistryStr() != k.host {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.pass}), nil
}
