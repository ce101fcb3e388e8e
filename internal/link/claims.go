package link

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"time"
)

// DefaultTTL is how long a link lives when Sign is not told.
const DefaultTTL = 24 * time.Hour

// idLen is the nonce size: enough that two links never share an ID.
const idLen = 16

// Claims is what a link promises: promote App's Digest from stage From to
// stage To, until Expires. ID is the link's nonce, base64url; the caller
// keys single use and supersession by it.
type Claims struct {
	// Repo is the config repository (owner/name) the promotion is in; ""
	// for the one stagehand serves when it serves one.
	Repo                  string
	App, From, To, Digest string
	Expires               time.Time
	ID                    string
}

// nameRE matches app and stage names, as internal/config requires them.
var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// repoRE matches owner/name as GitHub allows them.
var repoRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)

// digestRE is the only digest form stagehand pins.
var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// check returns why c cannot be signed or trusted, or nil. Expires and ID
// must already be filled in.
func (c Claims) check() error {
	if c.Repo != "" && !repoRE.MatchString(c.Repo) {
		return fmt.Errorf("%w: repository %q is not owner/name", ErrClaims, c.Repo)
	}
	for _, f := range []struct{ name, v string }{{"app", c.App}, {"from stage", c.From}, {"to stage", c.To}} {
		if f.v == "" {
			return fmt.Errorf("%w: missing %s", ErrClaims, f.name)
		}
		if !nameRE.MatchString(f.v) {
			return fmt.Errorf("%w: %s %q is not a valid name", ErrClaims, f.name, f.v)
		}
	}
	if c.From == c.To {
		return fmt.Errorf("%w: from and to are both %q", ErrClaims, c.From)
	}
	if c.Digest == "" {
		return fmt.Errorf("%w: missing digest", ErrClaims)
	}
	if !digestRE.MatchString(c.Digest) {
		return fmt.Errorf("%w: digest %q is not sha256: and 64 lower-case hex digits", ErrClaims, c.Digest)
	}
	if c.Expires.IsZero() {
		return fmt.Errorf("%w: missing expiry", ErrClaims)
	}
	if b, err := decode(c.ID); err != nil || len(b) != idLen {
		return fmt.Errorf("%w: id %q is not %d bytes of base64url", ErrClaims, c.ID, idLen)
	}
	return nil
}

// b64 is base64url without padding, refusing non-canonical trailing bits so
// that each byte string has exactly one encoding.
var b64 = base64.RawURLEncoding.Strict()

// decode reads base64url, refusing every character outside its alphabet
// (the decoder would skip '\r' and '\n', letting two strings mean one).
func decode(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("byte %#x at %d is not base64url", c, i)
		}
	}
	return b64.DecodeString(s)
}
