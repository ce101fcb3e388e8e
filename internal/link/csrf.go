package link

import (
	"crypto/hmac"
	"crypto/sha256"
)

// CSRFToken is the hidden field of a link's confirmation form: a MAC of
// the link's ID and the visitor's session under a purpose of its own, so
// that a form posted from elsewhere, for another link or another session
// fails, and no link token passes as one. It is "" when key, linkID or
// session is empty: there is nothing to bind.
func CSRFToken(key []byte, linkID, session string) string {
	if len(key) == 0 || linkID == "" || session == "" {
		return ""
	}
	return b64.EncodeToString(tag(key, purposeCSRF, linkID, session))
}

// CheckCSRF reports whether token is CSRFToken(key, linkID, session),
// comparing in constant time. Empty inputs never check.
func CheckCSRF(key []byte, linkID, session, token string) bool {
	if len(key) == 0 || linkID == "" || session == "" {
		return false
	}
	got, err := decode(token)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, tag(key, purposeCSRF, linkID, session))
}
