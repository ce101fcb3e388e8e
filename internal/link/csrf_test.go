package link

import (
	"strings"
	"testing"
)

func TestCSRF(t *testing.T) {
	tok := CSRFToken(key, id(1), "session-a")
	if len(tok) != 43 {
		t.Fatalf("CSRFToken = %q, want 43 characters", tok)
	}
	if !CheckCSRF(key, id(1), "session-a", tok) {
		t.Fatal("a token does not check against what made it")
	}
	tests := []struct {
		name               string
		key                []byte
		linkID, session, t string
	}{
		{"another link", key, id(2), "session-a", tok},
		{"another session", key, id(1), "session-b", tok},
		{"another key", []byte("other key"), id(1), "session-a", tok},
		{"fields shifted", key, id(1) + "s", "ession-a", tok},
		{"empty token", key, id(1), "session-a", ""},
		{"truncated", key, id(1), "session-a", tok[:42]},
		{"extended", key, id(1), "session-a", tok + "A"},
		{"changed", key, id(1), "session-a", flip(tok, 10)},
		{"newline inside", key, id(1), "session-a", tok[:20] + "\n" + tok[20:]},
		{"empty session", key, id(1), "", CSRFToken(key, id(1), "")},
		{"empty link", key, "", "session-a", CSRFToken(key, "", "session-a")},
		{"empty key", nil, id(1), "session-a", CSRFToken(nil, id(1), "session-a")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if CheckCSRF(tc.key, tc.linkID, tc.session, tc.t) {
				t.Errorf("CheckCSRF(%q, %q, %q) = true", tc.linkID, tc.session, tc.t)
			}
		})
	}
	for _, empty := range []string{CSRFToken(nil, id(1), "s"), CSRFToken(key, "", "s"), CSRFToken(key, id(1), "")} {
		if empty != "" {
			t.Errorf("CSRFToken with an empty input = %q, want \"\"", empty)
		}
	}
}

// A link token, or its signature, never passes as a CSRF token, and a CSRF
// token never verifies as a link, even for the same key and ID.
func TestCSRFAndLinkAreApart(t *testing.T) {
	c := claims()
	link := sign(t, c)
	seg, sig, _ := strings.Cut(link, ".")
	for _, session := range []string{"s", seg, link} {
		for _, candidate := range []string{link, sig, seg} {
			if CheckCSRF(key, c.ID, session, candidate) {
				t.Errorf("link material %q passes as a CSRF token for session %q", candidate, session)
			}
		}
	}
	csrf := CSRFToken(key, c.ID, "s")
	if CheckCSRF(key, c.ID, "s", sig) || sig == csrf {
		t.Error("link signature equals a CSRF token")
	}
	for _, forged := range []string{csrf, seg + "." + csrf} {
		if _, err := Verify(key, forged, before); err == nil {
			t.Errorf("CSRF material verifies as a link: %q", forged)
		}
	}
}

// flip changes the character at i to another base64url character.
func flip(s string, i int) string {
	r := byte('A')
	if s[i] == 'A' {
		r = 'B'
	}
	return s[:i] + string(r) + s[i+1:]
}
