package githubfake

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// Conditional requests, as GitHub answers them: every successful GET
// carries an ETag (and Last-Modified where GitHub sends one), and a
// request whose If-None-Match names the current ETag, or whose
// If-Modified-Since is not before Last-Modified, gets 304 Not Modified
// with no body, free of the primary rate limit.
//
// GitHub's ETags are opaque; the fake's is a weak tag over the SHA-256 of
// the response body, so it changes exactly when the body would.

// etagOf is the weak ETag of a response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `W/"` + hex.EncodeToString(sum[:]) + `"`
}

// cacheHeaders are what GitHub sends on an authenticated GET.
func cacheHeaders(h http.Header) {
	h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
}

// notModified reports whether r's preconditions say the client already
// holds this version: If-None-Match is compared weakly (RFC 9110 13.1.2)
// and, only without it, If-Modified-Since against lastModified.
func notModified(r *http.Request, etag string, lastModified string) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		want := strings.TrimPrefix(etag, "W/")
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
				return true
			}
		}
		return false
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || lastModified == "" {
		return false
	}
	since, err1 := http.ParseTime(ims)
	mod, err2 := http.ParseTime(lastModified)
	return err1 == nil && err2 == nil && !mod.After(since)
}

// lastModified formats t as the Last-Modified header does.
func lastModified(t time.Time) http.Header {
	return http.Header{"Last-Modified": {t.UTC().Format(http.TimeFormat)}}
}
