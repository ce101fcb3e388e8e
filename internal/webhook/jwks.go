package webhook

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// GoogleJWKSURL serves the keys Google signs OIDC tokens with.
const GoogleJWKSURL = "https://www.googleapis.com/oauth2/v3/certs"

// KeySource verifies a JWT's signature with the signer's keys and returns
// its payload; go-oidc's oidc.KeySet has this shape. An error wrapping
// ErrUnavailable means the keys could not be had, which is ours to retry
// (503); any other error is a token that does not verify (401).
type KeySource interface {
	VerifySignature(ctx context.Context, jwt string) (payload []byte, err error)
}

// StaticKeys is a fixed KeySource, RS256 keys by key id (tests, air-gapped
// setups). It is never unavailable.
type StaticKeys map[string]*rsa.PublicKey

// VerifySignature implements KeySource.
func (s StaticKeys) VerifySignature(_ context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("not exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	key, ok := s[kid]
	if !ok {
		return nil, fmt.Errorf("key id %s is not known", quote(kid))
	}
	return jws.Verify(key)
}

// Limits on fetching a remote key set.
const (
	// jwksFetchTimeout bounds one fetch, connection to last byte: a slow
	// endpoint must not hold the requests that wait for it.
	jwksFetchTimeout = 5 * time.Second
	// jwksRefetchGap is the least time between two fetches over the
	// network, however many tokens with unknown key ids arrive. Google
	// publishes a key well before it signs with it, so a genuine new key
	// id is found by the first fetch after the gap at the latest.
	jwksRefetchGap = 30 * time.Second
	jwksMaxBytes   = 1 << 20
)

// JWKS is the KeySource for a remote JSON Web Key Set, such as Google's.
// go-oidc's RemoteKeySet does the work: it caches the keys, checks the
// signature, and fetches the set again when a token's key id is not
// cached, with one fetch in flight whose result every waiting request
// shares. It refetches for every unknown key id and sets no deadline, so it
// fetches through a keyFetcher, which does. Safe for concurrent use.
type JWKS struct {
	set   *oidc.RemoteKeySet
	fetch *keyFetcher
}

// NewJWKS returns the KeySource for the key set at url, fetched with client
// (nil means http.DefaultClient; its Timeout, if shorter, applies too).
func NewJWKS(url string, client *http.Client) *JWKS {
	if client == nil {
		client = http.DefaultClient
	}
	f := &keyFetcher{client: client, timeout: jwksFetchTimeout, gap: jwksRefetchGap, now: time.Now}
	// go-oidc takes its HTTP client from the context, and uses the
	// context for nothing else.
	ctx := oidc.ClientContext(context.Background(), &http.Client{Transport: f})
	return &JWKS{set: oidc.NewRemoteKeySet(ctx, url), fetch: f}
}

// VerifySignature implements KeySource.
func (j *JWKS) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	payload, err := j.set.VerifySignature(ctx, raw)
	if err != nil && !errors.Is(err, ErrUnavailable) && ctx.Err() != nil {
		// The request ended while it waited for a fetch: not the token's fault.
		return nil, fmt.Errorf("waiting for the key set: %w: %w", ErrUnavailable, err)
	}
	return payload, err
}

// keyFetcher is the http.RoundTripper under the RemoteKeySet. Each fetch
// gets a deadline and a size limit, and a key set that is not one is a
// failed fetch. It goes to the network at most once per gap: within the
// gap it answers the last good key set again (so a token with an unknown
// key id is refused at once as not Google's) or, when the last fetch
// failed, that failure (so the request is answered 503 at once, not after
// another wait for an endpoint that is down).
type keyFetcher struct {
	client  *http.Client
	timeout time.Duration
	gap     time.Duration
	now     func() time.Time

	mu   sync.Mutex
	last time.Time // when the last fetch over the network started
	body []byte    // the key set of the last good fetch
	err  error     // of the last fetch; nil when it succeeded or is under way
}

// RoundTrip implements http.RoundTripper.
func (f *keyFetcher) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	now := f.now()
	if ago := now.Sub(f.last); !f.last.IsZero() && ago < f.gap {
		body, err := f.body, f.err
		f.mu.Unlock()
		switch {
		case err != nil:
			return nil, fmt.Errorf("the key set fetch %v ago failed, next try in %v: %w",
				ago.Round(time.Second), (f.gap - ago).Round(time.Second), err)
		case body == nil: // only if a caller other than go-oidc runs fetches side by side
			return nil, fmt.Errorf("the first key set fetch is under way: %w", ErrUnavailable)
		}
		return keySetResponse(req, body), nil
	}
	f.last = now
	f.mu.Unlock()

	body, err := f.get(req)

	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
	if err != nil {
		return nil, err
	}
	f.body = body
	return keySetResponse(req, body), nil
}

// get fetches the key set within f.timeout; its errors wrap ErrUnavailable.
func (f *keyFetcher) get(req *http.Request) ([]byte, error) {
	ctx, cancel := context.WithTimeout(req.Context(), f.timeout)
	defer cancel()
	fail := func(err error) ([]byte, error) {
		return nil, fmt.Errorf("fetch key set %s: %w: %w", req.URL.Redacted(), ErrUnavailable, err)
	}
	resp, err := f.client.Do(req.Clone(ctx))
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("status %s", resp.Status))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	switch {
	case err != nil:
		return fail(err)
	case len(body) > jwksMaxBytes:
		return fail(fmt.Errorf("larger than %d bytes", jwksMaxBytes))
	}
	if err := checkKeySet(body); err != nil {
		return fail(err)
	}
	return body, nil
}

// checkKeySet accepts a JSON Web Key Set with at least one RS256 signing
// key that has a key id. Keys of types go-jose does not know are skipped,
// as go-oidc skips them.
func checkKeySet(body []byte) error {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			if errors.Is(err, jose.ErrUnsupportedKeyType) {
				continue
			}
			return fmt.Errorf("not a JSON Web Key Set: %w", err)
		}
		if _, ok := k.Key.(*rsa.PublicKey); ok && k.KeyID != "" &&
			(k.Use == "" || k.Use == "sig") && (k.Algorithm == "" || k.Algorithm == string(jose.RS256)) {
			return nil
		}
	}
	return errors.New("no RS256 signing key with a key id")
}

// keySetResponse answers req with body, as the endpoint did.
func keySetResponse(req *http.Request, body []byte) *http.Response {
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
