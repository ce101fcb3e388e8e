package link

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strings"
)

// One signing helper for everything the link pages sign with the link
// secret: link tokens, CSRF tokens, the sign-in cookie and the sign-in's
// OAuth state. Each use has a purpose string of its own, so that nothing
// signed for one use passes for another.
const (
	purposeLink  = "stagehand/link"
	purposeCSRF  = "stagehand/csrf"
	purposeLogin = "stagehand/login"
	purposeState = "stagehand/oauth-state"
	purposeForm  = "stagehand/form" // CSRF tokens of stagehand's other pages (the dashboard)
)

// seal is payload, readable but tamper-proof:
//
//	base64url(payload) "." base64url(HMAC-SHA256(key, purpose "\x00" base64url(payload)))
func seal(key []byte, purpose string, payload []byte) string {
	seg := b64.EncodeToString(payload)
	return seg + "." + b64.EncodeToString(sealMAC(key, purpose, seg))
}

// unseal returns the payload of a seal made with key for purpose. It
// accepts only the canonical base64url alphabet, so a token verifies only
// byte for byte as sealed. Errors wrap ErrMalformed or ErrSignature.
func unseal(key []byte, purpose, token string) ([]byte, error) {
	seg, sig, ok := strings.Cut(token, ".")
	if !ok || seg == "" || sig == "" {
		return nil, errorf(ErrMalformed, "want payload.signature")
	}
	raw, err := decode(seg)
	if err != nil {
		return nil, errorf(ErrMalformed, "payload: %v", err)
	}
	mac, err := decode(sig)
	if err != nil || len(mac) != sha256.Size {
		return nil, errorf(ErrMalformed, "signature is not %d bytes of base64url", sha256.Size)
	}
	if !hmac.Equal(mac, sealMAC(key, purpose, seg)) {
		return nil, ErrSignature
	}
	return raw, nil
}

func sealMAC(key []byte, purpose, seg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose + "\x00"))
	m.Write([]byte(seg))
	return m.Sum(nil)
}

// tag is a MAC of parts, with nothing sealed in it: each part is
// length-prefixed, so ("ab", "c") and ("a", "bc") differ.
func tag(key []byte, purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose + "\x00"))
	for _, f := range parts {
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}
