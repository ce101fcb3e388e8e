package link

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	c := claims()
	tok := sign(t, c)
	got, err := Verify(key, tok, before)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got != c {
		t.Errorf("Verify = %+v, want %+v", got, c)
	}
	if again := sign(t, c); again != tok {
		t.Errorf("signing the same claims twice gave %q and %q", tok, again)
	}
}

// TestRoundTripInARepository: a link of one of several config
// repositories names it, signed with the rest.
func TestRoundTripInARepository(t *testing.T) {
	c := claims()
	c.Repo = "acme/team-b"
	got, err := Verify(key, sign(t, c), before)
	if err != nil || got != c {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, c)
	}
	plain := claims()
	if sign(t, plain) == sign(t, c) {
		t.Error("the repository is not in the token")
	}
}

func TestTokenFormat(t *testing.T) {
	tok := sign(t, claims())
	seg, sig, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	want := `v1{"app":"web","from":"staging","to":"prod","digest":"` + digest + `","exp":1773500966,"id":"AQAAAAAAAAAAAAAAAAAAAA"}`
	if string(raw) != want {
		t.Errorf("payload = %s\nwant      %s", raw, want)
	}
	if len(sig) != 43 {
		t.Errorf("signature is %d characters, want 43 (32 bytes)", len(sig))
	}
}

func TestSignFillsIDAndExpiry(t *testing.T) {
	c := claims()
	c.ID, c.Expires = "", time.Time{}
	start := time.Now()
	a, b := sign(t, c), sign(t, c)
	end := time.Now()
	if a == b {
		t.Fatal("two links for the same promotion are the same token")
	}
	ca, err := Verify(key, a, start)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := Verify(key, b, start)
	if ca.ID == cb.ID || len(ca.ID) != 22 {
		t.Errorf("IDs %q and %q: want two distinct 16-byte nonces", ca.ID, cb.ID)
	}
	lo, hi := start.Add(DefaultTTL).Truncate(time.Second), end.Add(DefaultTTL)
	if ca.Expires.Before(lo) || ca.Expires.After(hi) {
		t.Errorf("Expires = %v, want 24 h from signing (%v…%v)", ca.Expires, lo, hi)
	}
}

func TestSignTruncatesExpiryToTheSecond(t *testing.T) {
	c := claims()
	c.Expires = expires.Add(900 * time.Millisecond)
	got, err := Verify(key, sign(t, c), before)
	if err != nil || !got.Expires.Equal(expires) {
		t.Errorf("Verify = %v, %v; want Expires %v", got.Expires, err, expires)
	}
}

func TestSignRefuses(t *testing.T) {
	edit := func(f func(*Claims)) Claims { c := claims(); f(&c); return c }
	tests := []struct {
		name string
		key  []byte
		c    Claims
		want error
	}{
		{"empty key", nil, claims(), ErrKey},
		{"missing app", key, edit(func(c *Claims) { c.App = "" }), ErrClaims},
		{"missing from", key, edit(func(c *Claims) { c.From = "" }), ErrClaims},
		{"missing to", key, edit(func(c *Claims) { c.To = "" }), ErrClaims},
		{"missing digest", key, edit(func(c *Claims) { c.Digest = "" }), ErrClaims},
		{"bad app", key, edit(func(c *Claims) { c.App = "Web" }), ErrClaims},
		{"bad stage", key, edit(func(c *Claims) { c.To = "prod/eu" }), ErrClaims},
		{"same stages", key, edit(func(c *Claims) { c.To = "staging" }), ErrClaims},
		{"tag for digest", key, edit(func(c *Claims) { c.Digest = "1.4.2" }), ErrClaims},
		{"short digest", key, edit(func(c *Claims) { c.Digest = digest[:70] }), ErrClaims},
		{"upper-case digest", key, edit(func(c *Claims) { c.Digest = strings.ToUpper(digest) }), ErrClaims},
		{"sha512 digest", key, edit(func(c *Claims) { c.Digest = "sha512:" + strings.Repeat("ab", 64) }), ErrClaims},
		{"short id", key, edit(func(c *Claims) { c.ID = "AAAA" }), ErrClaims},
		{"padded id", key, edit(func(c *Claims) { c.ID = id(1) + "==" }), ErrClaims},
		{"id with a newline", key, edit(func(c *Claims) { c.ID = id(1)[:10] + "\n" + id(1)[10:] }), ErrClaims},
		{"too long", key, edit(func(c *Claims) { c.App = strings.Repeat("a", 800) }), ErrClaims},
		{"repository without owner", key, edit(func(c *Claims) { c.Repo = "config" }), ErrClaims},
		{"repository with a path", key, edit(func(c *Claims) { c.Repo = "acme/config/x" }), ErrClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Sign(tc.key, tc.c)
			if !errors.Is(err, tc.want) || tok != "" {
				t.Errorf("Sign = %q, %v; want %v", tok, err, tc.want)
			}
		})
	}
}

// The longest token Sign makes is MaxTokenLen, and Verify reads it.
func TestTokenLengthLimit(t *testing.T) {
	c := claims()
	for n := 400; n < 900; n++ {
		c.App = strings.Repeat("a", n)
		tok, err := Sign(key, c)
		if err != nil {
			if !errors.Is(err, ErrClaims) {
				t.Fatalf("app of %d: %v", n, err)
			}
			break
		}
		if _, err := Verify(key, tok, before); err != nil {
			t.Fatalf("Sign made a %d-byte token Verify refuses: %v", len(tok), err)
		}
		if len(tok) == MaxTokenLen {
			return
		}
	}
	t.Fatal("found no app name giving a token of exactly MaxTokenLen")
}

func TestVerifyRefusesLongTokensUnread(t *testing.T) {
	_, err := Verify(key, strings.Repeat("A", MaxTokenLen+1), before)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "longer than 1024 bytes") {
		t.Errorf("Verify(1025 bytes) = %v, want ErrMalformed for length", err)
	}
}

func TestTamperedFields(t *testing.T) {
	tok := sign(t, claims())
	_, sig, _ := strings.Cut(tok, ".")
	tests := []struct{ name, payload string }{
		{"app", `v1{"app":"api","from":"staging","to":"prod","digest":"` + digest + `","exp":1773500966,"id":"AQAAAAAAAAAAAAAAAAAAAA"}`},
		{"from", `v1{"app":"web","from":"preprod","to":"prod","digest":"` + digest + `","exp":1773500966,"id":"AQAAAAAAAAAAAAAAAAAAAA"}`},
		{"to", `v1{"app":"web","from":"staging","to":"preprod","digest":"` + digest + `","exp":1773500966,"id":"AQAAAAAAAAAAAAAAAAAAAA"}`},
		{"digest", `v1{"app":"web","from":"staging","to":"prod","digest":"` + digest[:70] + `e","exp":1773500966,"id":"AQAAAAAAAAAAAAAAAAAAAA"}`},
		{"expiry", `v1{"app":"web","from":"staging","to":"prod","digest":"` + digest + `","exp":1999999999,"id":"AQAAAAAAAAAAAAAAAAAAAA"}`},
		{"id", `v1{"app":"web","from":"staging","to":"prod","digest":"` + digest + `","exp":1773500966,"id":"AgAAAAAAAAAAAAAAAAAAAA"}`},
		{"spacing", `v1{"app": "web","from":"staging","to":"prod","digest":"` + digest + `","exp":1773500966,"id":"AQAAAAAAAAAAAAAAAAAAAA"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forged := base64.RawURLEncoding.EncodeToString([]byte(tc.payload)) + "." + sig
			if _, err := Verify(key, forged, before); !errors.Is(err, ErrSignature) {
				t.Errorf("Verify(forged %s) = %v, want ErrSignature", tc.name, err)
			}
		})
	}
}

// Every one-character change anywhere in a token is caught.
func TestEveryCharacterMatters(t *testing.T) {
	tok := sign(t, claims())
	for i := range len(tok) {
		for _, r := range []byte{'A', 'B', '_', '.', '='} {
			if tok[i] == r {
				continue
			}
			bad := tok[:i] + string(r) + tok[i+1:]
			_, err := Verify(key, bad, before)
			if !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("changing byte %d to %q: Verify = %v, want ErrSignature or ErrMalformed", i, r, err)
			}
		}
	}
}

func TestWrongKey(t *testing.T) {
	tok := sign(t, claims())
	for _, k := range [][]byte{[]byte("another key"), key[:len(key)-1], append(key[:len(key):len(key)], 'x')} {
		if _, err := Verify(k, tok, before); !errors.Is(err, ErrSignature) {
			t.Errorf("Verify with key %q = %v, want ErrSignature", k, err)
		}
	}
	if _, err := Verify(nil, tok, before); !errors.Is(err, ErrKey) {
		t.Errorf("Verify with no key = %v, want ErrKey", err)
	}
}

func TestExpiry(t *testing.T) {
	c := claims()
	tok := sign(t, c)
	tests := []struct {
		name string
		now  time.Time
		want error
	}{
		{"an hour before", expires.Add(-time.Hour), nil},
		{"a nanosecond before", expires.Add(-time.Nanosecond), nil},
		{"at expiry", expires, ErrExpired},
		{"at expiry in another zone", expires.In(time.FixedZone("X", 3600)), ErrExpired},
		{"a second after", expires.Add(time.Second), ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Verify(key, tok, tc.now)
			if !errors.Is(err, tc.want) || err == nil && tc.want != nil {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if got != c {
				t.Errorf("claims = %+v, want %+v (an expired link still says what it was for)", got, c)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	good := sign(t, claims())
	seg, sig, _ := strings.Cut(good, ".")
	ok := `"app":"web","from":"staging","to":"prod","digest":"` + digest + `","exp":1773500966,"id":"AQAAAAAAAAAAAAAAAAAAAA"`
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrMalformed},
		{"dot", ".", ErrMalformed},
		{"no dot", seg + sig, ErrMalformed},
		{"no signature", seg + ".", ErrMalformed},
		{"no payload", "." + sig, ErrMalformed},
		{"three parts", good + "." + sig, ErrMalformed},
		{"padding", good + "=", ErrMalformed},
		{"standard base64", strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/", ErrMalformed},
		{"newline inside the payload", seg[:5] + "\n" + seg[5:] + "." + sig, ErrMalformed},
		{"CRLF inside the signature", seg + "." + sig[:5] + "\r\n" + sig[5:], ErrMalformed},
		{"space around", " " + good, ErrMalformed},
		{"short signature", seg + "." + sig[:42], ErrMalformed},
		{"long signature", seg + "." + sig + "AA", ErrMalformed},
		{"non-canonical last character", seg + "." + sig[:42] + "B", ErrMalformed},
		{"one byte too long", strings.Repeat("A", MaxTokenLen-44) + "." + sig + "A", ErrMalformed},
		{"huge", strings.Repeat("A", 1<<20), ErrMalformed},
		{"url-escaped", strings.Replace(good, ".", "%2E", 1), ErrMalformed},
		// Signed with the key but not a v1 payload: only a future version
		// or a bug could make these.
		{"no version", signRaw(key, "{"+ok+"}"), ErrMalformed},
		{"v2", signRaw(key, "v2{"+ok+"}"), ErrMalformed},
		{"not JSON", signRaw(key, "v1 hello"), ErrMalformed},
		{"unknown key", signRaw(key, `v1{`+ok+`,"admin":true}`), ErrMalformed},
		{"data after", signRaw(key, `v1{`+ok+`}{}`), ErrMalformed},
		{"missing digest", signRaw(key, `v1{"app":"web","from":"staging","to":"prod","exp":1773500966,"id":"AQAAAAAAAAAAAAAAAAAAAA"}`), ErrMalformed},
		{"bad digest", signRaw(key, strings.Replace(`v1{`+ok+`}`, "sha256:", "sha256:x", 1)), ErrMalformed},
		{"string expiry", signRaw(key, strings.Replace(`v1{`+ok+`}`, "1773500966", `"1773500966"`, 1)), ErrMalformed},
		// Well formed, but not signed with this key.
		{"signed with another key", signRaw([]byte("other"), `v1{`+ok+`}`), ErrSignature},
		{"signature of another token", seg + "." + strings.SplitN(signRaw(key, "v1{}"), ".", 2)[1], ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Verify(key, tc.token, before)
			if !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
			if got != (Claims{}) {
				t.Errorf("Verify returned claims %+v with a malformed token", got)
			}
		})
	}
	// The well-formed control case, so the table cannot pass by accident.
	if _, err := Verify(key, signRaw(key, "v1{"+ok+"}"), before); err != nil {
		t.Errorf("control: %v", err)
	}
}

func TestURL(t *testing.T) {
	tok := sign(t, claims())
	for _, base := range []string{"https://stagehand.example.com", "https://stagehand.example.com/", "https://stagehand.example.com//"} {
		if got, want := URL(base, tok), "https://stagehand.example.com/promote/"+tok; got != want {
			t.Errorf("URL(%q) = %q, want %q", base, got, want)
		}
	}
	if got, want := URL("https://example.com/stagehand", "a.b"), "https://example.com/stagehand/promote/a.b"; got != want {
		t.Errorf("URL under a path = %q, want %q", got, want)
	}
}
