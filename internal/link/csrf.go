package link

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

const csrfPurpose = "stagehand/csrf\x00"

// CSRFToken is the hidden field of a link's confirmation form: an HMAC of
// the link's ID and the visitor's session under a purpose of its own, so
// that a form posted from elsewhere, for another link or another session
// fails, and no link token passes as one. It is "" when key, linkID or
// session is empty: there is nothing to bind.
func CSRFToken(key []byte, linkID, session string) string {
	if len(key) == 0 || linkID == "" || session == "" {
		return ""
	}
	return b64.EncodeToString(csrfMAC(key, linkID, session))
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
	return hmac.Equal(got, csrfMAC(key, linkID, session))
}

// csrfMAC length-prefixes each field, so ("ab", "c") and ("a", "bc") differ.
func csrfMAC(key []byte, linkID, session string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(csrfPurpose))
	for _, f := range []string{linkID, session} {
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}
