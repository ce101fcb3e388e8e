package webhook

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// GoogleJWKSURL serves the keys Google signs OIDC tokens with.
const GoogleJWKSURL = "https://www.googleapis.com/oauth2/v3/certs"

// KeySource gives the RSA public key for a JWT key id, or an error wrapping
// ErrKeyNotFound when it has none.
type KeySource interface {
	Key(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// StaticKeys is a fixed KeySource (tests, air-gapped setups).
type StaticKeys map[string]*rsa.PublicKey

// Key implements KeySource.
func (s StaticKeys) Key(_ context.Context, kid string) (*rsa.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("key id %s: %w", quote(kid), ErrKeyNotFound)
}

// JWKS limits.
const (
	jwksMinTTL        = time.Minute
	jwksMaxTTL        = 24 * time.Hour
	jwksDefaultTTL    = time.Hour
	jwksUnknownKidGap = time.Minute // at most one refetch per minute for unknown key ids
	jwksMaxBytes      = 1 << 20
)

// JWKS is a KeySource that fetches a JSON Web Key Set over HTTP and caches it
// for the response's Cache-Control max-age (clamped to [1m, 24h]; 1h when
// absent). An unknown key id triggers a refetch at most once a minute, so that
// rotated keys are picked up and forged key ids cannot make us hammer the
// endpoint. Safe for concurrent use; fetches are serialised.
type JWKS struct {
	url    string
	client *http.Client
	// Now is the clock; nil means time.Now. Set it before first use.
	Now func() time.Time

	fetching chan struct{} // a one-slot lock that a waiting ctx can abandon

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey
	expires     time.Time
	lastAttempt time.Time
	generation  int
}

// NewJWKS returns a caching KeySource for the key set at url; nil client
// means http.DefaultClient.
func NewJWKS(url string, client *http.Client) *JWKS {
	if client == nil {
		client = http.DefaultClient
	}
	return &JWKS{url: url, client: client, fetching: make(chan struct{}, 1)}
}

func (j *JWKS) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Key implements KeySource.
func (j *JWKS) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	key, known := j.keys[kid]
	now := j.now()
	fresh := now.Before(j.expires)
	mayRetry := j.lastAttempt.IsZero() || now.Sub(j.lastAttempt) >= jwksUnknownKidGap
	gen := j.generation
	j.mu.Unlock()

	switch {
	case known && fresh:
		return key, nil
	case !known && fresh && !mayRetry:
		return nil, fmt.Errorf("key id %s: %w", quote(kid), ErrKeyNotFound)
	}
	if err := j.refresh(ctx, gen); err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("key id %s: %w", quote(kid), ErrKeyNotFound)
}

// refresh fetches the set unless another caller did since generation gen.
func (j *JWKS) refresh(ctx context.Context, gen int) error {
	select {
	case j.fetching <- struct{}{}:
		defer func() { <-j.fetching }()
	case <-ctx.Done():
		return ctx.Err()
	}
	j.mu.Lock()
	done := j.generation != gen
	j.mu.Unlock()
	if done {
		return nil
	}

	keys, ttl, err := j.fetch(ctx)

	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	j.lastAttempt = now
	if err != nil {
		return err
	}
	j.keys, j.expires = keys, now.Add(ttl)
	j.generation++
	return nil
}

func (j *JWKS) fetch(ctx context.Context) (map[string]*rsa.PublicKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %w", err)
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: fetch %s: %w", j.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("jwks: fetch %s: status %s", j.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes))
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: read %s: %w", j.url, err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %s: %w", j.url, err)
	}
	return keys, cacheTTL(resp.Header.Get("Cache-Control")), nil
}

// parseJWKS keeps the RSA signing keys that have a key id.
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok || k.KeyID == "" || (k.Use != "" && k.Use != "sig") ||
			(k.Algorithm != "" && k.Algorithm != string(jose.RS256)) {
			continue
		}
		keys[k.KeyID] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no RS256 signing keys with a key id")
	}
	return keys, nil
}

// cacheTTL reads max-age from Cache-Control, clamped to [jwksMinTTL, jwksMaxTTL].
func cacheTTL(cacheControl string) time.Duration {
	ttl := jwksDefaultTTL
	for _, d := range strings.Split(cacheControl, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return jwksMinTTL
		case strings.HasPrefix(d, "max-age="):
			if s, err := strconv.Atoi(strings.TrimPrefix(d, "max-age=")); err == nil && s >= 0 {
				ttl = time.Duration(min(s, int(jwksMaxTTL/time.Second))) * time.Second
			}
		}
	}
	return min(max(ttl, jwksMinTTL), jwksMaxTTL)
}
