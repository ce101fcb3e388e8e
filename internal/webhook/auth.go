package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"mime"
	"net/http"
	"strings"
)

// equalSecret compares in constant time, also in the length: both sides are
// hashed first, so a wrong guess reveals nothing about the secret's length.
func equalSecret(got, want string) bool {
	if want == "" {
		return false
	}
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// validHexMAC reports whether gotHex is the hex HMAC of body under key.
// Hex case does not matter; the comparison is hmac.Equal's constant time.
func validHexMAC(newHash func() hash.Hash, key string, body []byte, gotHex string) bool {
	if key == "" {
		return false
	}
	got, err := hex.DecodeString(gotHex)
	if err != nil {
		return false
	}
	m := hmac.New(newHash, []byte(key))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// headerSecret checks a header that must carry a configured value verbatim.
func headerSecret(vendor string, h http.Header, header, want string) error {
	got := h.Get(header)
	if got == "" {
		return unauthorized(vendor, "missing %s header", header)
	}
	if !equalSecret(got, want) {
		return unauthorized(vendor, "%s header does not match", header)
	}
	return nil
}

// contentTypeHint says, for the message of a body that is not the sender's
// format, that the Content-Type is not one the sender uses either (a form
// encoding configured by mistake, a proxy that rewrites bodies); "" when it
// is one of sent, with any parameters (charset). The Content-Type alone
// never refuses a delivery: the body says what it is.
func contentTypeHint(h http.Header, sent ...string) string {
	ct := h.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		mt = strings.ToLower(mt)
		for _, a := range sent {
			if mt == a {
				return ""
			}
		}
	}
	got := "none"
	if ct != "" {
		got = quote(ct)
	}
	return fmt.Sprintf("Content-Type %s is not %s", got, strings.Join(sent, " or "))
}

// withHint adds contentTypeHint to a malformed-body error.
func withHint(err error, h http.Header, sent ...string) error {
	if hint := contentTypeHint(h, sent...); hint != "" {
		return fmt.Errorf("%w (%s)", err, hint)
	}
	return err
}
