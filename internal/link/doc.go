// Package link makes and checks signed one-click promotion links, such as
// https://stagehand.example.com/promote/<token>, and the CSRF tokens of the
// confirmation page behind them.
//
// It only decides; the HTTP handler, the "used once" and "superseded"
// records (keyed by Claims.ID) and the promotion itself are the caller's.
//
// # Token format, version 1
//
//	token   = base64url(payload) "." base64url(mac)      (no padding)
//	payload = "v1" JSON
//	JSON    = {"app":…,"from":…,"to":…,"digest":…,"exp":<unix seconds>,"id":…}
//	mac     = HMAC-SHA256(key, "stagehand/link\x00" base64url(payload))
//
// The JSON object has exactly those keys in that order (Go's encoding of
// the payload struct); exp is whole seconds, so Expires is truncated to
// the second. id is 16 random bytes, base64url. The MAC covers the encoded
// payload as sent, and Verify accepts only the canonical base64url
// alphabet, so a token verifies only byte for byte as signed. A new
// payload layout gets a new prefix ("v2"); Verify refuses prefixes it does
// not know.
//
// The purpose strings ("stagehand/link", "stagehand/csrf") keep the two
// uses of the one key apart: no link MAC is ever a valid CSRF token, nor
// the other way round.
package link
