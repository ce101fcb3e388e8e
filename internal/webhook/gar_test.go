package webhook

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const garExample = "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-insert-full-digest.json"

// TestGARJWT: only a Google-signed RS256 token for our audience, from our
// service account with a verified email, within its lifetime, is accepted.
func TestGARJWT(t *testing.T) {
	body := readTestdata(t, garExample)
	with := func(edit func(*testClaims)) testClaims {
		c := validClaims()
		edit(&c)
		return c
	}
	rs := func(c testClaims) string { return mintJWT(t, googleKey(), jose.RS256, testKid, c) }
	pubDER, err := x509.MarshalPKIXPublicKey(&googleKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		authorization string
		ok            bool
	}{
		{"valid", "Bearer " + rs(validClaims()), true},
		{"scheme in lower case", "bearer " + rs(validClaims()), true},
		{"issuer without https", "Bearer " + rs(with(func(c *testClaims) { c.Issuer = "accounts.google.com" })), true},
		{"expired 30s ago, within leeway", "Bearer " + rs(with(func(c *testClaims) { c.Expiry = jwt.NewNumericDate(fixedNow.Add(-30 * time.Second)) })), true},
		{"email_verified as string", "Bearer " + rs(with(func(c *testClaims) { c.EmailVerified = "true" })), true},

		{"missing header", "", false},
		{"not Bearer", "Basic " + rs(validClaims()), false},
		{"Bearer without token", "Bearer ", false},
		{"garbage token", "Bearer abc.def.ghi", false},
		{"wrong audience", "Bearer " + rs(with(func(c *testClaims) { c.Audience = jwt.Audience{"https://evil.example.com"} })), false},
		{"expired", "Bearer " + rs(with(func(c *testClaims) { c.Expiry = jwt.NewNumericDate(fixedNow.Add(-2 * time.Minute)) })), false},
		{"no exp", "Bearer " + rs(with(func(c *testClaims) { c.Expiry = nil })), false},
		{"no iat", "Bearer " + rs(with(func(c *testClaims) { c.IssuedAt = nil })), false},
		{"issued in the future", "Bearer " + rs(with(func(c *testClaims) { c.IssuedAt = jwt.NewNumericDate(fixedNow.Add(5 * time.Minute)) })), false},
		{"wrong issuer", "Bearer " + rs(with(func(c *testClaims) { c.Issuer = "https://accounts.google.com.evil" })), false},
		{"wrong email", "Bearer " + rs(with(func(c *testClaims) { c.Email = "attacker@evil.iam.gserviceaccount.com" })), false},
		{"no email", "Bearer " + rs(with(func(c *testClaims) { c.Email = "" })), false},
		{"unverified email", "Bearer " + rs(with(func(c *testClaims) { c.EmailVerified = false })), false},
		{"email_verified missing", "Bearer " + rs(with(func(c *testClaims) { c.EmailVerified = nil })), false},
		{"signed by another key, same kid", "Bearer " + mintJWT(t, otherKey(), jose.RS256, testKid, validClaims()), false},
		{"unknown kid", "Bearer " + mintJWT(t, googleKey(), jose.RS256, "other-kid", validClaims()), false},
		{"no kid", "Bearer " + mintJWT(t, googleKey(), jose.RS256, "", validClaims()), false},
		{"RS512", "Bearer " + mintJWT(t, googleKey(), jose.RS512, testKid, validClaims()), false},
		// The classic confusion: HMAC keyed with the public key's bytes.
		{"HS256 with the public key", "Bearer " + mintJWT(t, pubDER, jose.HS256, testKid, validClaims()), false},
		{"alg none", "Bearer " + unsignedJWT(t, validClaims()), false},
		// Google's own documentation token: real, but not signed by our key set and long expired.
		{"Google docs token", strings.TrimPrefix(strings.TrimSpace(string(readTestdata(t, "registry/google-artifact-registry/pubsub-push-oidc-jwt.docs.txt"))), "Authorization: "), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {"application/json"}}
			if tt.authorization != "" {
				h.Set("Authorization", tt.authorization)
			}
			res, err := ParseRegistry(context.Background(), testConfig(), "gar", h, "", body)
			if tt.ok {
				if err != nil || len(res.Pushes) != 1 {
					t.Fatalf("got %+v, %v; want one push", res, err)
				}
				return
			}
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
			if len(res.Pushes) != 0 {
				t.Errorf("pushes on refusal: %+v", res.Pushes)
			}
		})
	}
}

// TestGARIssuers: a configured issuer list replaces the default one.
func TestGARIssuers(t *testing.T) {
	body := readTestdata(t, garExample)
	cfg := testConfig()
	cfg.GAR.Issuers = []string{"https://issuer.example.com"}
	h := http.Header{"Content-Type": {"application/json"}}
	h.Set("Authorization", "Bearer "+mintJWT(t, googleKey(), jose.RS256, testKid, validClaims()))
	if _, err := ParseRegistry(context.Background(), cfg, "gar", h, "", body); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Google issuer with a custom list: err = %v, want ErrUnauthorized", err)
	}
	c := validClaims()
	c.Issuer = "https://issuer.example.com"
	h.Set("Authorization", "Bearer "+mintJWT(t, googleKey(), jose.RS256, testKid, c))
	if _, err := ParseRegistry(context.Background(), cfg, "gar", h, "", body); err != nil {
		t.Errorf("configured issuer: %v", err)
	}
}

// unsignedJWT is an "alg":"none" token with the given claims.
func unsignedJWT(t *testing.T, c testClaims) string {
	t.Helper()
	signed := mintJWT(t, googleKey(), jose.RS256, testKid, c)
	payload := strings.Split(signed, ".")[1]
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"` + testKid + `","typ":"JWT"}`))
	return header + "." + payload + "."
}
