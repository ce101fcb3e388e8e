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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keyServer serves a JWKS the way Google does, counting the fetches.
type keyServer struct {
	*httptest.Server
	fetches atomic.Int32
	kid     atomic.Value // of googleKey(); string
}

func newKeyServer(t *testing.T, handler http.HandlerFunc) *keyServer {
	t.Helper()
	ks := &keyServer{}
	ks.kid.Store(testKid)
	if handler == nil {
		handler = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=19754, must-revalidate, no-transform")
			writeJWKS(t, w, jose.JSONWebKey{Key: &googleKey().PublicKey, KeyID: ks.kid.Load().(string), Algorithm: "RS256", Use: "sig"})
		}
	}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.fetches.Add(1)
		handler(w, r)
	}))
	t.Cleanup(ks.Close)
	return ks
}

func writeJWKS(t *testing.T, w http.ResponseWriter, keys ...jose.JSONWebKey) {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Error(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// garRoute runs a GAR delivery with authorization against keys.
func garRoute(t *testing.T, keys KeySource, authorization string) (Result, error) {
	t.Helper()
	body := readTestdata(t, garExample)
	cfg := testConfig()
	cfg.GAR.Keys = keys
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {authorization}}
	return ParseRegistry(context.Background(), cfg, "gar", h, "", body)
}

func genuineToken(t *testing.T, kid string) string {
	return "Bearer " + mintJWT(t, googleKey(), jose.RS256, kid, validClaims())
}

// TestJWKSVerifies: the whole route against keys served over HTTP; the
// key set is fetched once and then cached.
func TestJWKSVerifies(t *testing.T) {
	ks := newKeyServer(t, nil)
	keys := NewJWKS(ks.URL, ks.Client())
	for range 5 {
		res, err := garRoute(t, keys, genuineToken(t, testKid))
		if err != nil || len(res.Pushes) != 1 || res.Pushes[0].Digest != h6ec1 {
			t.Fatalf("got %+v, %v", res, err)
		}
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("%d fetches for five tokens, want 1", n)
	}
	if _, err := garRoute(t, keys, "Bearer "+mintJWT(t, otherKey(), jose.RS256, testKid, validClaims())); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("signed by another key under Google's key id: err = %v, want ErrUnauthorized", err)
	}
}

// TestJWKSKeysDown: when the key set cannot be fetched, the delivery is
// ours to retry (ErrUnavailable, a 503), answered at once, and requests
// that follow within the refetch gap do not go to the endpoint again.
func TestJWKSKeysDown(t *testing.T) {
	ks := newKeyServer(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "backend error", http.StatusServiceUnavailable)
	})
	keys := NewJWKS(ks.URL, ks.Client())
	start := time.Now()
	for i := range 20 {
		_, err := garRoute(t, keys, genuineToken(t, testKid))
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnauthorized) {
			t.Fatalf("request %d: err = %v, want ErrUnavailable", i, err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("20 requests took %v with the keys down, want an answer at once", d)
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("%d fetches for 20 requests with the keys down, want 1", n)
	}
}

// TestJWKSForgedKeyIDs: a flood of tokens with made-up key ids costs one
// fetch, not one each, and a genuine token is still verified at once.
func TestJWKSForgedKeyIDs(t *testing.T) {
	ks := newKeyServer(t, nil)
	keys := NewJWKS(ks.URL, ks.Client())
	const n = 200
	forged := make([]string, n)
	for i := range forged {
		forged[i] = "Bearer " + mintJWT(t, otherKey(), jose.RS256, rand.Text(), validClaims())
	}
	var wg sync.WaitGroup
	var refused atomic.Int32
	for _, tok := range forged {
		wg.Go(func() {
			if _, err := garRoute(t, keys, tok); errors.Is(err, ErrUnauthorized) {
				refused.Add(1)
			} else {
				t.Errorf("forged key id: err = %v, want ErrUnauthorized", err)
			}
		})
	}
	wg.Wait()
	if got := refused.Load(); got != n {
		t.Errorf("%d of %d forged tokens refused", got, n)
	}
	if got := ks.fetches.Load(); got != 1 {
		t.Errorf("%d fetches for %d forged key ids, want 1", got, n)
	}
	start := time.Now()
	if res, err := garRoute(t, keys, genuineToken(t, testKid)); err != nil || len(res.Pushes) != 1 {
		t.Fatalf("genuine token after the flood: %+v, %v", res, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("genuine token took %v after the flood", d)
	}
	t.Logf("%d forged key ids, %d fetches", n, ks.fetches.Load())
}

// TestJWKSSlowKeys: a key set endpoint that does not answer is given up
// on after the fetch deadline, and the next request does not wait again.
func TestJWKSSlowKeys(t *testing.T) {
	release := make(chan struct{})
	ks := newKeyServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before ks.Close
	keys := NewJWKS(ks.URL, ks.Client())
	keys.fetch.timeout = 200 * time.Millisecond

	start := time.Now()
	_, err := garRoute(t, keys, genuineToken(t, testKid))
	if d := time.Since(start); !errors.Is(err, ErrUnavailable) || d > 2*time.Second {
		t.Fatalf("slow keys: err = %v after %v, want ErrUnavailable after about 200ms", err, d)
	}
	start = time.Now()
	_, err = garRoute(t, keys, genuineToken(t, testKid))
	if d := time.Since(start); !errors.Is(err, ErrUnavailable) || d > 100*time.Millisecond {
		t.Errorf("next request: err = %v after %v, want ErrUnavailable at once", err, d)
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

// TestJWKSRefetch: a key id that is not cached is looked for again at most
// once per gap: a rotated key is found, a failed fetch is retried after
// the gap, and keys already cached keep working while the endpoint is down.
func TestJWKSRefetch(t *testing.T) {
	var down atomic.Bool
	var ks *keyServer
	ks = newKeyServer(t, func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "x", http.StatusInternalServerError)
			return
		}
		writeJWKS(t, w, jose.JSONWebKey{Key: &googleKey().PublicKey, KeyID: ks.kid.Load().(string), Algorithm: "RS256", Use: "sig"})
	})
	now := fixedNow
	keys := NewJWKS(ks.URL, ks.Client())
	keys.fetch.now = func() time.Time { return now }

	step := func(name, kid string, want error, wantFetches int32) {
		t.Helper()
		_, err := garRoute(t, keys, genuineToken(t, kid))
		// go-oidc forgets a finished fetch a moment after it answers the
		// requests that waited for it; a request in that moment shares
		// the finished one. The next request fetches.
		for try := 0; try < 100 && ks.fetches.Load() < wantFetches; try++ {
			time.Sleep(5 * time.Millisecond)
			_, err = garRoute(t, keys, genuineToken(t, kid))
		}
		if !errors.Is(err, want) || want == nil && err != nil {
			t.Errorf("%s: err = %v, want %v", name, err, want)
		}
		if got := ks.fetches.Load(); got != wantFetches {
			t.Errorf("%s: %d fetches, want %d", name, got, wantFetches)
		}
	}
	step("first use fetches", "k1", ErrUnauthorized, 1) // the set has testKid only
	ks.kid.Store("k1")                                  // Google rotated
	step("unknown key id within the gap: no fetch", "k1", ErrUnauthorized, 1)
	now = now.Add(jwksRefetchGap)
	step("after the gap: fetched, found", "k1", nil, 2)
	step("cached", "k1", nil, 2)

	down.Store(true)
	now = now.Add(jwksRefetchGap)
	step("cached key while the endpoint is down", "k1", nil, 2)
	step("new key id while the endpoint is down", "k2", ErrUnavailable, 3)
	step("within the gap after a failure: no fetch", "k2", ErrUnavailable, 3)
	down.Store(false)
	ks.kid.Store("k2")
	now = now.Add(jwksRefetchGap)
	step("after the gap: fetched again", "k2", nil, 4)
}

// TestJWKSBadKeySets: an answer that is not a usable key set is a failed
// fetch (ours, 503), not a bad token.
func TestJWKSBadKeySets(t *testing.T) {
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
		{"too large", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", jwksMaxBytes) + `"}`))
		}},
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
			ks := newKeyServer(t, tt.handler)
			if _, err := garRoute(t, NewJWKS(ks.URL, ks.Client()), genuineToken(t, testKid)); !errors.Is(err, ErrUnavailable) {
				t.Errorf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

// TestJWKSCallerGivesUp: a request whose context ends while it waits for
// a fetch is not told that its token is bad.
func TestJWKSCallerGivesUp(t *testing.T) {
	release := make(chan struct{})
	ks := newKeyServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	keys := NewJWKS(ks.URL, ks.Client())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	raw := mintJWT(t, googleKey(), jose.RS256, testKid, validClaims())
	if _, err := keys.VerifySignature(ctx, raw); !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}
