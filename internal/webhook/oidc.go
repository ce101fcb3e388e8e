package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// clockLeeway is the clock skew allowed on exp and iat.
const clockLeeway = 60 * time.Second

var defaultGoogleIssuers = []string{"accounts.google.com", "https://accounts.google.com"}

// googleClaims are the claims Pub/Sub puts in its push JWT beyond the
// registered ones. email_verified is a JSON boolean in Pub/Sub tokens; some
// Google tokens have sent the string "true", which is accepted too.
type googleClaims struct {
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
}

func (c googleClaims) verified() bool {
	s := string(c.EmailVerified)
	return s == "true" || s == `"true"`
}

// verify checks "Bearer <JWT>": RS256 over a key from g.Keys, iss, aud,
// email and email_verified, exp (required) and iat (required, not in the
// future), with clockLeeway. When the keys cannot be had the error wraps
// ErrUnavailable: that is ours, not the sender's, and Pub/Sub retries.
//
// go-oidc's IDTokenVerifier is not used on purpose: it flattens the key
// set's errors into text, so "Google's keys are down" (503) would read as
// "bad signature" (401); it allows no clock leeway on exp and does not
// require iat. The key set (JWKS) is go-oidc's; the claims are checked here.
func (g GoogleOIDC) verify(ctx context.Context, authorization string) error {
	scheme, raw, ok := strings.Cut(authorization, " ")
	if authorization == "" {
		return unauthorized("gar", "missing Authorization header")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return unauthorized("gar", "Authorization is not a Bearer token")
	}
	// Only RS256 is accepted: this refuses "none", HS256 and every other
	// algorithm before any key is looked up.
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return unauthorized("gar", "JWT: %v", err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return unauthorized("gar", "JWT has no key id")
	}
	kid := tok.Headers[0].KeyID
	payload, err := g.Keys.VerifySignature(ctx, raw)
	if errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("gar: Google's signing keys: %w", err)
	}
	if err != nil {
		return unauthorized("gar", "JWT signature does not verify with Google's key %s", quote(kid))
	}
	var std jwt.Claims
	var google googleClaims
	if err := json.Unmarshal(payload, &std); err != nil {
		return unauthorized("gar", "JWT claims: %v", err)
	}
	if err := json.Unmarshal(payload, &google); err != nil {
		return unauthorized("gar", "JWT claims: %v", err)
	}
	issuers := g.Issuers
	if issuers == nil {
		issuers = defaultGoogleIssuers
	}
	if !slices.Contains(issuers, std.Issuer) {
		return unauthorized("gar", "JWT issuer %s is not accepted", quote(std.Issuer))
	}
	if std.Expiry == nil || std.IssuedAt == nil {
		return unauthorized("gar", "JWT lacks exp or iat")
	}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	want := jwt.Expected{AnyAudience: jwt.Audience{g.Audience}, Time: now()}
	if err := std.ValidateWithLeeway(want, clockLeeway); err != nil {
		return unauthorized("gar", "JWT claims: %v", err)
	}
	if !strings.EqualFold(google.Email, g.ServiceAccount) {
		return unauthorized("gar", "JWT email %s is not the configured service account", quote(google.Email))
	}
	if !google.verified() {
		return unauthorized("gar", "JWT email is not verified")
	}
	return nil
}
