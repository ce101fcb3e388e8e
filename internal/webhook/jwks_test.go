package webhook

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jwksHandler serves googleKey() under kid, counting requests in hits.
func jwksHandler(t *testing.T, kid string, hits *atomic.Int32) http.Handler {
	t.Helper()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits != nil {
			hits.Add(1)
		}
		w.Header().Set("Cache-Control", "public, max-age=600, must-revalidate")
		writeJWKS(t, w, jose.JSONWebKey{Key: &googleKey().PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	})
}

func writeJWKS(t *testing.T, w http.ResponseWriter, keys ...jose.JSONWebKey) {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Error(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// TestJWKSCaching: keys are cached for max-age; an unknown kid refetches
// at most once a minute; a rotated key is found after a refetch.
func TestJWKSCaching(t *testing.T) {
	var hits atomic.Int32
	var kid atomic.Value
	kid.Store("k1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jwksHandler(t, kid.Load().(string), &hits).ServeHTTP(w, r)
	}))
	defer srv.Close()

	now := fixedNow
	j := NewJWKS(srv.URL, srv.Client())
	j.Now = func() time.Time { return now }
	ctx := context.Background()

	key := func(k string) error { _, err := j.Key(ctx, k); return err }
	step := func(name string, err error, wantErr error, wantHits int32) {
		t.Helper()
		if !errors.Is(err, wantErr) {
			t.Errorf("%s: err = %v, want %v", name, err, wantErr)
		}
		if got := hits.Load(); got != wantHits {
			t.Errorf("%s: %d fetches, want %d", name, got, wantHits)
		}
	}
	step("first use fetches", key("k1"), nil, 1)
	step("cached", key("k1"), nil, 1)
	step("unknown kid right after a fetch: no refetch", key("k2"), ErrKeyNotFound, 1)
	now = now.Add(2 * time.Minute)
	kid.Store("k2") // Google rotated
	step("unknown kid a minute later refetches", key("k2"), nil, 2)
	step("then the old key is gone", key("k1"), ErrKeyNotFound, 2)
	now = now.Add(9 * time.Minute)
	step("still within max-age", key("k2"), nil, 2)
	now = now.Add(2 * time.Minute)
	step("max-age passed", key("k2"), nil, 3)
}

func TestJWKSErrors(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"status 500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "x", 500) }},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>")) }},
		{"only unusable keys", func(w http.ResponseWriter, _ *http.Request) {
			writeJWKS(t, w,
				jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "ec", Algorithm: "ES256", Use: "sig"},
				jose.JSONWebKey{Key: &googleKey().PublicKey, KeyID: "enc", Algorithm: "RSA-OAEP", Use: "enc"},
				jose.JSONWebKey{Key: &googleKey().PublicKey, Algorithm: "RS256", Use: "sig"}, // no kid
			)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := NewJWKS(srv.URL, srv.Client()).Key(context.Background(), "k1")
			if err == nil || errors.Is(err, ErrKeyNotFound) {
				t.Errorf("err = %v, want a fetch error", err)
			}
		})
	}
	// A caller whose context ends while another fetch runs gives up.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	j := NewJWKS("http://127.0.0.1:1/unused", nil)
	j.fetching <- struct{}{}
	if _, err := j.Key(ctx, "k1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: err = %v", err)
	}
}

func TestCacheTTL(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", time.Hour},
		{"public, max-age=19754, must-revalidate, no-transform", 19754 * time.Second},
		{"max-age=5", time.Minute},
		{"no-store", time.Minute},
		{"max-age=999999999999999999", 24 * time.Hour},
		{"max-age=-1", time.Hour},
		{"Max-Age=120", 2 * time.Minute},
	}
	for _, tt := range tests {
		if got := cacheTTL(tt.header); got != tt.want {
			t.Errorf("cacheTTL(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

// TestJWKSConcurrentFirstUse: callers arriving together share one fetch.
func TestJWKSConcurrentFirstUse(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(jwksHandler(t, "k1", &hits))
	defer srv.Close()
	j := NewJWKS(srv.URL, srv.Client())
	errs := make(chan error, 8)
	for range 8 {
		go func() { _, err := j.Key(context.Background(), "k1"); errs <- err }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}
