package link

import (
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: Verify never panics, fails only with its own errors, and
// accepts nothing the key did not sign: every token that verifies (or is
// merely expired) is one of the tokens signed here.
func FuzzVerify(f *testing.F) {
	signed := map[string]bool{}
	for i, c := range []Claims{
		claims(),
		{App: "api", From: "preprod", To: "prod", Digest: digest, Expires: expires.Add(-2 * time.Hour), ID: id(2)},
		{App: "a", From: "b", To: "c", Digest: "sha256:" + strings.Repeat("f", 64), Expires: expires, ID: id(3)},
	} {
		tok := sign(f, c)
		signed[tok] = true
		seg, sig, _ := strings.Cut(tok, ".")
		f.Add(tok)
		f.Add(seg + "." + sig[:42] + "B")
		f.Add(flip(tok, i*7))
		f.Add(tok + "=")
		f.Add(seg)
	}
	for _, s := range []string{"", ".", "..", "a.b", "v1.x", strings.Repeat("A", 1025), "\x00.\xff", CSRFToken(key, id(1), "s")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Verify(key, tok, before)
		switch {
		case err == nil, errors.Is(err, ErrExpired):
			if !signed[tok] {
				t.Fatalf("Verify accepted %q, which was never signed (claims %+v, err %v)", tok, c, err)
			}
		case errors.Is(err, ErrMalformed), errors.Is(err, ErrSignature):
			if c != (Claims{}) {
				t.Fatalf("Verify returned claims %+v with %v", c, err)
			}
		default:
			t.Fatalf("Verify(%q) = %v, not one of its errors", tok, err)
		}
	})
}

// FuzzSignVerify: whatever Sign accepts, Verify gives back unchanged.
func FuzzSignVerify(f *testing.F) {
	f.Add("web", "staging", "prod", digest, int64(1773500966), []byte("0123456789abcdef"))
	f.Add("a", "b", "c", "sha256:"+strings.Repeat("0", 64), int64(-1), []byte{})
	f.Add("Web", "x", "x", "sha256:", int64(0), []byte("short"))
	f.Add("a", "b", "c", digest, int64(math.MaxInt64), []byte{})
	f.Add("a", "b", "c", digest, int64(math.MinInt64), []byte{})
	f.Add("a", "b", "c", digest, int64(-62135596800), []byte{}) // time.Time{}
	f.Fuzz(func(t *testing.T, app, from, to, dig string, exp int64, nonce []byte) {
		c := Claims{App: app, From: from, To: to, Digest: dig, Expires: time.Unix(exp, 0).UTC()}
		if len(nonce) == idLen {
			c.ID = b64.EncodeToString(nonce)
		}
		tok, err := Sign(key, c)
		if err != nil {
			if !errors.Is(err, ErrClaims) {
				t.Fatalf("Sign: %v, not ErrClaims", err)
			}
			return
		}
		if len(tok) > MaxTokenLen {
			t.Fatalf("Sign made a %d-byte token", len(tok))
		}
		got, err := Verify(key, tok, c.Expires.Add(-time.Second))
		if err != nil {
			t.Fatalf("Verify(Sign(%+v)): %v", c, err)
		}
		// Sign fills these; TestSignFillsIDAndExpiry checks how.
		if c.ID == "" {
			c.ID = got.ID
		}
		if c.Expires.IsZero() {
			c.Expires = got.Expires
		}
		if got != c {
			t.Fatalf("Verify = %+v, want %+v", got, c)
		}
	})
}

// FuzzLocalPath: a path sign-in accepts to come back to stays on
// stagehand's public URL, whatever it holds.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/apps/web", "//evil.test", "/\\evil.test", "/%2F%2Fevil.test", "https://evil.test", "/a?b=c#d", "/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !localPath(p) {
			return
		}
		u, err := url.Parse("https://stagehand.acme.test" + p)
		if err != nil {
			return // the browser cannot follow it either
		}
		if u.Host != "stagehand.acme.test" || u.Scheme != "https" || u.User != nil {
			t.Fatalf("localPath(%q) accepted; it leads to %s", p, u)
		}
	})
}
