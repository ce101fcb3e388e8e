package githubfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// oauthSignIn follows the web flow as a browser and a server would: the
// authorize redirect, then the code exchange. It returns the redirect's
// query and the exchange's JSON answer.
func oauthSignIn(t *testing.T, s *Server, redirect string) (url.Values, map[string]string) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {"Iv1.client"}, "redirect_uri": {redirect}, "state": {"st-123"}}
	resp, err := noFollow.Get(s.URL() + "login/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirect) {
		t.Fatalf("authorize redirected to %q, want %s…", resp.Header.Get("Location"), redirect)
	}
	back := loc.Query()
	return back, oauthExchange(t, s, back.Get("code"), redirect)
}

func oauthExchange(t *testing.T, s *Server, code, redirect string) map[string]string {
	t.Helper()
	form := url.Values{"client_id": {"Iv1.client"}, "client_secret": {"shh"}, "code": {code}, "redirect_uri": {redirect}}
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"login/oauth/access_token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("access_token answer: %v", err)
	}
	return out
}

// TestOAuthWebFlow: the chosen person signs in, the code is exchanged once
// for a user token, and GET /user answers with that person's login for it
// and for nothing else.
func TestOAuthWebFlow(t *testing.T) {
	s := NewTest(t, Options{AppKey: &appKey(t).PublicKey})
	const redirect = "https://stagehand.test/oauth/callback"

	if back, _ := oauthSignIn(t, s, redirect); back.Get("error") != "access_denied" || back.Get("code") != "" {
		t.Fatalf("no OAuth user: redirect query %v, want error=access_denied", back)
	}

	s.SetOAuthUser("mona")
	back, tok := oauthSignIn(t, s, redirect)
	if back.Get("state") != "st-123" || back.Get("code") == "" {
		t.Fatalf("redirect query %v: want the state back and a code", back)
	}
	if tok["access_token"] == "" || tok["token_type"] != "bearer" {
		t.Fatalf("exchange: %v", tok)
	}
	if again := oauthExchange(t, s, back.Get("code"), redirect); again["error"] != "bad_verification_code" || again["access_token"] != "" {
		t.Errorf("second exchange of the same code: %v", again)
	}

	u, _, err := enterprise(t, github.NewClient(nil).WithAuthToken(tok["access_token"]), s).Users.Get(t.Context(), "")
	if err != nil || u.GetLogin() != "mona" {
		t.Fatalf("GET /user with the user token: %v, %v", u.GetLogin(), err)
	}
	inst, _ := installationClient(t, s)
	if _, _, err := inst.Users.Get(t.Context(), ""); apiErr(t, err).Response.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /user with an installation token: %v, want 401", err)
	}
	if _, _, err := enterprise(t, github.NewClient(nil).WithAuthToken(tok["access_token"]), s).Repositories.Get(t.Context(), s.Owner(), s.Repo()); apiErr(t, err).Response.StatusCode != http.StatusUnauthorized {
		t.Errorf("a user token on the App's API calls: %v, want 401", err)
	}
}
