package githubfake

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GitHub's web application flow for OAuth (and GitHub App user tokens):
// /login/oauth/authorize and /login/oauth/access_token on the web host,
// not the REST API, so they are outside the description the fake
// validates against. The person who signs in is the test's choice
// (SetOAuthUser); there is no login form.

const oauthCodeLife = 10 * time.Minute

// oauthCode is a code handed to a redirect URI, single use.
type oauthCode struct {
	login, clientID, redirectURI string
	expires                      time.Time
}

// SetOAuthUser makes login the person who signs in at
// /login/oauth/authorize from now on; "" makes sign-in fail, as when the
// person declines (GitHub redirects with error=access_denied).
func (s *Server) SetOAuthUser(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauthUser = login
}

// serveOAuth answers the two web endpoints; ok is false for any other path.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) (status int, ok bool) {
	switch {
	case r.URL.Path == "/login/oauth/authorize" && r.Method == http.MethodGet:
		return s.oauthAuthorize(w, r), true
	case r.URL.Path == "/login/oauth/access_token" && r.Method == http.MethodPost:
		return s.oauthAccessToken(w, r), true
	}
	return 0, false
}

// oauthAuthorize signs the chosen person in at once and sends the browser
// back to redirect_uri with a code and the state unchanged.
func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	clientID, redirect, state := q.Get("client_id"), q.Get("redirect_uri"), q.Get("state")
	back, err := url.Parse(redirect)
	if clientID == "" || err != nil || !back.IsAbs() {
		http.Error(w, "githubfake: authorize needs client_id and an absolute redirect_uri", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	s.mu.Lock()
	login := s.oauthUser
	code := ""
	if login != "" {
		code = "fc" + requestID()
		code = strings.ReplaceAll(code, ":", "")
		s.oauthCodes[code] = oauthCode{login: login, clientID: clientID, redirectURI: redirect, expires: time.Now().Add(oauthCodeLife)}
	}
	s.mu.Unlock()
	v := back.Query()
	if code == "" {
		v.Set("error", "access_denied")
		v.Set("error_description", "The user has denied your application access.")
	} else {
		v.Set("code", code)
	}
	if state != "" {
		v.Set("state", state)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
	return http.StatusFound
}

// oauthAccessToken exchanges a code for a user token. Like GitHub, it
// answers 200 with an "error" member when the code is bad.
func (s *Server) oauthAccessToken(w http.ResponseWriter, r *http.Request) int {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "githubfake: cannot read the form", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	f := r.Form
	answer := func(body map[string]string) int {
		if !strings.Contains(r.Header.Get("Accept"), "application/json") {
			// GitHub's default is form encoding; stagehand asks for JSON.
			v := url.Values{}
			for k, x := range body {
				v.Set(k, x)
			}
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			_, _ = w.Write([]byte(v.Encode()))
			return http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(body)
		return http.StatusOK
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.oauthCodes[f.Get("code")]
	delete(s.oauthCodes, f.Get("code"))
	switch {
	case f.Get("client_id") == "" || f.Get("client_secret") == "":
		return answer(map[string]string{"error": "incorrect_client_credentials", "error_description": "The client_id and/or client_secret passed are incorrect."})
	case !ok || time.Now().After(c.expires) || subtle.ConstantTimeCompare([]byte(c.clientID), []byte(f.Get("client_id"))) != 1:
		return answer(map[string]string{"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."})
	case f.Get("redirect_uri") != "" && f.Get("redirect_uri") != c.redirectURI:
		return answer(map[string]string{"error": "redirect_uri_mismatch", "error_description": "The redirect_uri MUST match the registered callback URL for this application."})
	}
	tok := "gho_" + strings.ReplaceAll(requestID(), ":", "")
	s.userTokens[tok] = userToken{login: c.login, expires: time.Now().Add(tokenLife)}
	return answer(map[string]string{"access_token": tok, "token_type": "bearer", "scope": ""})
}

// userToken is a token from the web flow: it acts as a person.
type userToken struct {
	login   string
	expires time.Time
}

// getAuthenticatedUser answers GET /user for a user token with the
// public-user shape.
func (s *Server) getAuthenticatedUser(_ context.Context, c *call) reply {
	u := s.user(c.actor)
	for _, k := range []string{"bio", "blog", "company", "email", "hireable", "location", "name"} {
		u[k] = nil
	}
	u["followers"], u["following"], u["public_gists"], u["public_repos"] = 0, 0, 0, 0
	at := s.created.Format(time.RFC3339)
	u["created_at"], u["updated_at"] = at, at
	return reply{status: http.StatusOK, body: u}
}
