package registry_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

func TestResolveNotFound(t *testing.T) {
	f := newFixture(t, nil)
	f.pushImage(t, "acme/web", "1.0.0")
	r := f.resolver(t, nil)
	cases := map[string][2]string{
		"unknown tag":  {"acme/web", "9.9.9"},
		"unknown repo": {"acme/nope", "1.0.0"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ref := f.host + "/" + c[0]
			_, err := r.Resolve(t.Context(), ref, c[1])
			if !errors.Is(err, registry.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			var re *registry.Error
			if !errors.As(err, &re) || re.Ref != ref+":"+c[1] || re.Kind != registry.NotFound {
				t.Errorf("err = %#v, want *Error{Kind: NotFound, Ref: %s:%s}", err, ref, c[1])
			}
		})
	}
}

// TestResolveRegistryErrors drives each refusal a registry can answer with
// and checks what a caller branches on.
func TestResolveRegistryErrors(t *testing.T) {
	basic401 := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
		w.WriteHeader(http.StatusUnauthorized)
	}
	onManifests := func(h http.HandlerFunc) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/manifests/") {
					h(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	status := func(code int, retryAfter string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(code)
		}
	}
	cases := []struct {
		name       string
		wrap       func(http.Handler) http.Handler
		sentinel   error
		kind       registry.Kind
		retryAfter time.Duration
		msg        string
	}{
		{"401 everywhere with basic challenge", func(http.Handler) http.Handler { return http.HandlerFunc(basic401) },
			registry.ErrUnauthorized, registry.Unauthorized, 0, "add them to the Docker config (DOCKER_CONFIG) of the stagehand process"},
		{"401 on manifest without challenge", onManifests(status(http.StatusUnauthorized, "")),
			registry.ErrUnauthorized, registry.Unauthorized, 0, "unauthorized"},
		{"403 on manifest", onManifests(status(http.StatusForbidden, "")),
			registry.ErrUnauthorized, registry.Unauthorized, 0, "unauthorized"},
		{"429 with Retry-After", onManifests(status(http.StatusTooManyRequests, "7")),
			registry.ErrRateLimited, registry.RateLimited, 7 * time.Second, "retry after 7s"},
		{"429 without Retry-After", onManifests(status(http.StatusTooManyRequests, "")),
			registry.ErrRateLimited, registry.RateLimited, 0, "rate limited"},
		{"429 on the ping", func(http.Handler) http.Handler { return status(http.StatusTooManyRequests, "120") },
			registry.ErrRateLimited, registry.RateLimited, 2 * time.Minute, "retry after 2m0s"},
		{"400 on manifest", onManifests(status(http.StatusBadRequest, "")),
			nil, registry.Other, 0, "400"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.wrap)
			ref := f.host + "/acme/web"
			_, err := f.resolver(t, nil).Resolve(t.Context(), ref, "1.2.0")
			var re *registry.Error
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *registry.Error", err)
			}
			if re.Kind != tc.kind || re.RetryAfter != tc.retryAfter {
				t.Errorf("Kind, RetryAfter = %v, %v; want %v, %v", re.Kind, re.RetryAfter, tc.kind, tc.retryAfter)
			}
			for _, s := range []error{registry.ErrNotFound, registry.ErrUnauthorized, registry.ErrRateLimited} {
				if got := errors.Is(err, s); got != (s == tc.sentinel) {
					t.Errorf("errors.Is(err, %v) = %v", s, got)
				}
			}
			if !strings.HasPrefix(err.Error(), "resolve "+ref+":1.2.0: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", err, tc.msg)
			}
			if n := strings.Count(strings.Join(f.requests(), "\n"), "/manifests/"); tc.kind == registry.RateLimited && n > 1 {
				t.Errorf("rate-limited request retried %d times inside the call; the caller should schedule it", n)
			}
		})
	}
}

func TestResolveRefusesPlainHTTPOffAllowlist(t *testing.T) {
	f := newFixture(t, nil)
	f.pushImage(t, "acme/web", "1")
	cases := map[string][]registry.Option{
		"no insecure hosts":    nil,
		"another host allowed": {registry.WithInsecure("localhost:5000")},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := registry.New(append(opts, registry.WithTransport(loopbackOnly{}), registry.WithKeychain(staticKeychain{}))...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Resolve(t.Context(), f.host+"/acme/web", "1")
			if !errors.Is(err, registry.ErrPlainHTTP) {
				t.Fatalf("err = %v, want ErrPlainHTTP", err)
			}
			if got := f.requests(); len(got) != 0 {
				t.Errorf("requests reached the registry over plain HTTP: %v", got)
			}
		})
	}
}

func TestResolveHonoursContext(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	f := newFixture(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") {
				entered <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	defer close(release)
	r := f.resolver(t, nil)

	t.Run("cancelled during the request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-entered; cancel() }()
		_, err := r.Resolve(ctx, f.host+"/acme/web", "1")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := r.Resolve(ctx, f.host+"/acme/web", "1")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestResolveRejectsBadInputWithoutRequests(t *testing.T) {
	f := newFixture(t, nil)
	r := f.resolver(t, nil)
	cases := []struct{ image, tag string }{
		{"", "1.0"},
		{f.host + "/acme/web", ""},
		{"ghcr.io/Acme/web", "1.0"},
		{"ghcr.io/acme/web:1.0", "1.0"},
		{"ghcr.io/acme/web@sha256:" + strings.Repeat("a", 64), "1.0"},
		{"https://ghcr.io/acme/web", "1.0"},
		{" ghcr.io/acme/web", "1.0"},
		{"ghcr.io/acme/web", "-1"},
		{"ghcr.io/acme/web", ".1"},
		{"ghcr.io/acme/web", "1.0/x"},
		{"ghcr.io/acme/web", "1:0"},
		{"ghcr.io/acme/web", "1.0 "},
		{"ghcr.io/acme/web", "sha256:" + strings.Repeat("a", 64)},
		{"ghcr.io/acme/web", strings.Repeat("a", 129)},
	}
	for _, c := range cases {
		_, err := r.Resolve(t.Context(), c.image, c.tag)
		if !errors.Is(err, registry.ErrInvalidReference) {
			t.Errorf("Resolve(%q, %q) err = %v, want ErrInvalidReference", c.image, c.tag, err)
		}
	}
	if _, err := r.Tags(t.Context(), "ghcr.io/acme/web:1"); !errors.Is(err, registry.ErrInvalidReference) {
		t.Errorf("Tags err = %v, want ErrInvalidReference", err)
	}
	if got := f.requests(); len(got) != 0 {
		t.Errorf("bad input reached the registry: %v", got)
	}
	if _, err := r.Resolve(t.Context(), f.host+"/acme/web", strings.Repeat("a", 128)); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("128-character tag: err = %v, want it asked for (ErrNotFound)", err)
	}
}
