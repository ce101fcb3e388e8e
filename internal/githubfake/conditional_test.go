package githubfake

import (
	"net/http"
	"testing"
)

// getWith is a GET with an installation token and extra headers.
func getWith(t *testing.T, url, token string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestConditionalRequests: each GET the product polls answers with an
// ETag; sending it back gets 304 with no body and leaves the primary rate
// limit where it was; a change to the resource changes the ETag.
func TestConditionalRequests(t *testing.T) {
	s := NewTest(t, seededOptions(t))
	_, tok := installationClient(t, s)
	head, _ := s.Head("main")
	s.SetRequiredChecks("main", "ci/test")
	repo := s.URL() + "repos/acme/config/"
	for _, path := range []string{
		"branches/main",
		"contents/" + stagingPath + "?ref=main",
		"commits?sha=main",
		"commits/" + head,
		"git/ref/heads/main",
		"pulls?state=all",
		"commits/main/check-runs",
		"commits/main/status",
		"branches/main/protection/required_status_checks",
	} {
		t.Run(path, func(t *testing.T) {
			first := getWith(t, repo+path, tok, nil)
			etag := first.Header.Get("ETag")
			if first.StatusCode != http.StatusOK || len(etag) < 10 || etag[:3] != `W/"` {
				t.Fatalf("status %d, ETag %q", first.StatusCode, etag)
			}
			if cc, vary := first.Header.Get("Cache-Control"), first.Header.Get("Vary"); cc != "private, max-age=60, s-maxage=60" || vary != "Accept, Authorization, Cookie, X-GitHub-OTP" {
				t.Errorf("Cache-Control %q, Vary %q", cc, vary)
			}
			remaining := first.Header.Get("X-RateLimit-Remaining")
			again := getWith(t, repo+path, tok, map[string]string{"If-None-Match": etag})
			if again.StatusCode != http.StatusNotModified {
				t.Fatalf("If-None-Match: status %d", again.StatusCode)
			}
			if n, _ := again.Body.Read(make([]byte, 1)); n != 0 {
				t.Error("304 has a body")
			}
			if got := again.Header.Get("X-RateLimit-Remaining"); got != remaining {
				t.Errorf("304 counted against the rate limit: remaining %s, then %s", remaining, got)
			}
			if again.Header.Get("ETag") != etag {
				t.Errorf("304 ETag %q, want %q", again.Header.Get("ETag"), etag)
			}
			other := getWith(t, repo+path, tok, map[string]string{"If-None-Match": `W/"stale", "also-stale"`})
			if other.StatusCode != http.StatusOK {
				t.Errorf("stale If-None-Match: status %d", other.StatusCode)
			}
			if got := other.Header.Get("X-RateLimit-Remaining"); got == remaining {
				t.Error("a 200 did not count against the rate limit")
			}
		})
	}

	// A push to main changes the branch's ETag.
	before := getWith(t, repo+"branches/main", tok, nil).Header.Get("ETag")
	if _, err := s.Commit("main", "change", map[string][]byte{"x.txt": []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if resp := getWith(t, repo+"branches/main", tok, map[string]string{"If-None-Match": before}); resp.StatusCode != http.StatusOK {
		t.Errorf("after a push: status %d", resp.StatusCode)
	}

	// A commit carries Last-Modified, and If-Modified-Since answers to it.
	resp := getWith(t, repo+"commits/"+head, tok, nil)
	lm := resp.Header.Get("Last-Modified")
	if lm == "" {
		t.Fatal("no Last-Modified on a commit")
	}
	if resp := getWith(t, repo+"commits/"+head, tok, map[string]string{"If-Modified-Since": lm}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: status %d", resp.StatusCode)
	}
}
