package link

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

var (
	key    = []byte("a test key of thirty-two bytes..")
	digest = "sha256:" + strings.Repeat("0123456789abcdef", 4)
	// expires is whole seconds in UTC, as Verify returns it.
	expires = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	// before is a moment when the claims are valid.
	before = expires.Add(-time.Hour)
)

// id is a fixed 16-byte nonce n, so tokens are reproducible.
func id(n byte) string {
	b := make([]byte, idLen)
	b[0] = n
	return base64.RawURLEncoding.EncodeToString(b)
}

func claims() Claims {
	return Claims{App: "web", From: "staging", To: "prod", Digest: digest, Expires: expires, ID: id(1)}
}

func sign(tb testing.TB, c Claims) string {
	tb.Helper()
	tok, err := Sign(key, c)
	if err != nil {
		tb.Fatalf("Sign(%+v): %v", c, err)
	}
	return tok
}

// signRaw signs any payload bytes with key, as only a holder of the key
// could: it shows Verify reads what it authenticated strictly.
func signRaw(key []byte, raw string) string {
	return seal(key, purposeLink, []byte(raw))
}
