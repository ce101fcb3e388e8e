package registry_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

func TestResolveImage(t *testing.T) {
	f := newFixture(t, nil)
	img := f.pushImage(t, "acme/web", "1.2.0")
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.resolver(t, nil).Resolve(t.Context(), f.host+"/acme/web", "1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if got != want.String() {
		t.Errorf("Resolve = %s, want %s", got, want)
	}
	if slices.Contains(f.requests(), "GET /v2/acme/web/manifests/1.2.0") {
		t.Error("fetched the manifest although HEAD gave its digest")
	}
}

func TestResolveIndexPinsIndexDigest(t *testing.T) {
	f := newFixture(t, nil)
	idx := f.pushIndex(t, "acme/web", "2.0.0")
	want, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.resolver(t, nil).Resolve(t.Context(), f.host+"/acme/web", "2.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if got != want.String() {
		t.Errorf("Resolve = %s, want the index digest %s", got, want)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if got == m.Digest.String() {
			t.Errorf("Resolve returned the platform manifest %s, not the index", got)
		}
	}
}

// Some registries answer HEAD without Docker-Content-Digest, or with one
// that is no use, or not at all; the digest of the GET bytes is then the pin.
func TestResolveFallsBackToGet(t *testing.T) {
	cases := []struct {
		name  string
		index bool
		head  func(w http.ResponseWriter) // rewrites a HEAD manifest answer
	}{
		{"no digest header", false, func(w http.ResponseWriter) { w.Header().Del("Docker-Content-Digest") }},
		{"no digest header, index", true, func(w http.ResponseWriter) { w.Header().Del("Docker-Content-Digest") }},
		{"garbage digest header", false, func(w http.ResponseWriter) { w.Header().Set("Docker-Content-Digest", "sha256:nothex") }},
		{"sha512 digest header", false, func(w http.ResponseWriter) {
			w.Header().Set("Docker-Content-Digest", "sha512:"+strings.Repeat("ab", 64))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
						w = &rewriteHeader{ResponseWriter: w, rewrite: tc.head}
					}
					next.ServeHTTP(w, r)
				})
			})
			var want string
			if tc.index {
				d, _ := f.pushIndex(t, "acme/web", "1").Digest()
				want = d.String()
			} else {
				d, _ := f.pushImage(t, "acme/web", "1").Digest()
				want = d.String()
			}
			got, err := f.resolver(t, nil).Resolve(t.Context(), f.host+"/acme/web", "1")
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Resolve = %s, want %s", got, want)
			}
			if !slices.Contains(f.requests(), "GET /v2/acme/web/manifests/1") {
				t.Errorf("no GET of the manifest; requests: %v", f.requests())
			}
		})
	}
}

func TestResolveFallsBackToGetWhenHeadNotAllowed(t *testing.T) {
	f := newFixture(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	want, _ := f.pushImage(t, "acme/web", "1").Digest()
	got, err := f.resolver(t, nil).Resolve(t.Context(), f.host+"/acme/web", "1")
	if err != nil {
		t.Fatal(err)
	}
	if got != want.String() {
		t.Errorf("Resolve = %s, want %s", got, want)
	}
}

// rewriteHeader lets a test edit response headers just before they are sent.
type rewriteHeader struct {
	http.ResponseWriter
	rewrite func(http.ResponseWriter)
	done    bool
}

func (w *rewriteHeader) WriteHeader(code int) {
	if !w.done {
		w.done = true
		w.rewrite(w.ResponseWriter)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *rewriteHeader) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func TestResolveThroughMirror(t *testing.T) {
	f := newFixture(t, nil)
	cases := []struct{ host, image, pushed string }{
		{"ghcr.io", "ghcr.io/acme/web", "acme/web"},
		{"docker.io", "nginx", "library/nginx"},
		{"index.docker.io", "docker.io/acme/api", "acme/api"},
	}
	for _, tc := range cases {
		t.Run(tc.image, func(t *testing.T) {
			want, _ := f.pushImage(t, tc.pushed, "1.2.0").Digest()
			r := f.resolver(t, nil, registry.WithMirror(tc.host, f.host))
			got, err := r.Resolve(t.Context(), tc.image, "1.2.0")
			if err != nil {
				t.Fatal(err)
			}
			if got != want.String() {
				t.Errorf("Resolve = %s, want %s", got, want)
			}
			_, err = r.Resolve(t.Context(), tc.image, "0.0.1")
			if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), "resolve "+tc.image+":0.0.1 via mirror "+f.host+": ") {
				t.Errorf("err = %v, want ErrNotFound naming the image and the mirror", err)
			}
		})
	}
}

func TestResolveSendsKeychainCredentials(t *testing.T) {
	var authed atomic.Int64
	f := newFixture(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != "ci" || p != "s3cret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			authed.Add(1)
			next.ServeHTTP(w, r)
		})
	})
	want, _ := f.pushImage(t, "acme/web", "1").Digest()

	got, err := f.resolver(t, staticKeychain{f.host, "ci", "s3cret"}).Resolve(t.Context(), f.host+"/acme/web", "1")
	if err != nil {
		t.Fatal(err)
	}
	if got != want.String() || authed.Load() == 0 {
		t.Errorf("Resolve = %s with %d authenticated requests, want %s", got, authed.Load(), want)
	}
	for name, kc := range map[string]staticKeychain{
		"no credentials":     {},
		"wrong password":     {f.host, "ci", "nope"},
		"another host's key": {"ghcr.io", "ci", "s3cret"},
	} {
		_, err := f.resolver(t, kc).Resolve(t.Context(), f.host+"/acme/web", "1")
		if !errors.Is(err, registry.ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", name, err)
		}
	}
}

func TestResolveSendsUserAgent(t *testing.T) {
	f := newFixture(t, nil)
	f.pushImage(t, "acme/web", "1")
	if _, err := f.resolver(t, nil, registry.WithUserAgent("stagehand-test/0.1")).Resolve(t.Context(), f.host+"/acme/web", "1"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ua := range f.ua {
		if !strings.HasPrefix(ua, "stagehand-test/0.1") {
			t.Errorf("User-Agent %q", ua)
		}
	}
}

func TestTags(t *testing.T) {
	f := newFixture(t, nil)
	for _, tag := range []string{"1.0.0", "1.1.0", "latest"} {
		f.pushImage(t, "acme/web", tag)
	}
	f.pushImage(t, "acme/other", "9.0.0")
	r := f.resolver(t, nil, registry.WithMirror("ghcr.io", f.host))

	for _, image := range []string{f.host + "/acme/web", "ghcr.io/acme/web"} {
		got, err := r.Tags(t.Context(), image)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if want := []string{"1.0.0", "1.1.0", "latest"}; !slices.Equal(got, want) {
			t.Errorf("Tags(%s) = %v, want %v", image, got, want)
		}
	}
	_, err := r.Tags(t.Context(), "ghcr.io/acme/nope")
	if !errors.Is(err, registry.ErrNotFound) || !strings.HasPrefix(err.Error(), "list tags ghcr.io/acme/nope via mirror ") {
		t.Errorf("err = %v, want ErrNotFound from list tags", err)
	}
}

func BenchmarkResolve(b *testing.B) {
	f := newFixture(b, nil)
	f.pushIndex(b, "acme/web", "1.2.0")
	r := f.resolver(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(ctx, f.host+"/acme/web", "1.2.0"); err != nil {
			b.Fatal(err)
		}
	}
}

// A registry that hands out tokens (as Docker Hub, GHCR and Harbor do) is
// pinged and asked for a token once per repository: each later push costs
// the manifest HEAD alone, one round trip before the PR instead of three.
func TestResolveReusesTheRegistrysToken(t *testing.T) {
	var tokens atomic.Int64
	var f *fixture
	f = newFixture(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				tokens.Add(1)
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"token": "t0k3n", "expires_in": 300}`)
				return
			}
			if r.Header.Get("Authorization") != "Bearer t0k3n" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+f.host+`/token",service="registry"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	f.pushImage(t, "acme/web", "1")
	f.pushImage(t, "acme/web", "2")
	f.pushImage(t, "acme/api", "1")
	r := f.resolver(t, nil)
	resolve := func(repo, tag string) []string {
		t.Helper()
		before := len(f.requests())
		if _, err := r.Resolve(t.Context(), f.host+"/"+repo, tag); err != nil {
			t.Fatal(err)
		}
		return f.requests()[before:]
	}
	if first := resolve("acme/web", "1"); len(first) < 3 {
		t.Errorf("the first resolve made %v; want the ping, the token and the HEAD", first)
	}
	if again := resolve("acme/web", "2"); !slices.Equal(again, []string{"HEAD /v2/acme/web/manifests/2"}) {
		t.Errorf("the second resolve of acme/web made %v, want the manifest HEAD alone", again)
	}
	if other := resolve("acme/api", "1"); !slices.Contains(other, "GET /token") {
		t.Errorf("acme/api resolved with %v: another repository needs its own token", other)
	}
	if tokens.Load() != 2 {
		t.Errorf("%d tokens asked for, want one per repository (2)", tokens.Load())
	}
}
