package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-github/v60/github"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/link"
)

// GitHub sign-in on link pages: the standard web application flow with the
// App's OAuth credentials. The person signs in; stagehand learns their
// login from GET /user with the user token, keeps only the login in a
// signed cookie for an hour, and throws the token away. The approver check
// then applies to that login at the moment of acting, as for a comment.

const (
	loginCookie = "stagehand_login"       // the signed-in login, signed
	stateCookie = "stagehand_oauth_state" // binds a sign-in's state to this browser
	loginTTL    = time.Hour
	stateTTL    = 10 * time.Minute
	// oauthTimeout bounds the code exchange and GET /user together.
	oauthTimeout = 15 * time.Second
	maxOAuthBody = 64 << 10
)

// LinkAccess reads what GitHub lets a person do on the config repository;
// *githubapp.Client is one.
type LinkAccess = gate.Access

// LinkOAuth turns on GitHub sign-in for link pages. ClientID, ClientSecret,
// WebURL and Access are required.
type LinkOAuth struct {
	ClientID, ClientSecret string
	// WebURL is where people sign in: https://github.com, or https://HOST
	// for GitHub Enterprise Server.
	WebURL string
	// APIURL is the REST API the user token is used on: "" for
	// api.github.com, as githubapp.Options.APIURL.
	APIURL string
	Access LinkAccess
	// HTTPClient talks to GitHub for the sign-in; default: one with a
	// timeout.
	HTTPClient *http.Client
}

func (o *LinkOAuth) check() error {
	var errs []error
	if o.ClientID == "" || o.ClientSecret == "" {
		errs = append(errs, errors.New("GitHub sign-in needs both the OAuth client ID and secret"))
	}
	if u, err := url.Parse(o.WebURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("GitHub web URL %q is not an absolute http(s) URL such as https://github.com", o.WebURL))
	}
	if o.Access == nil {
		errs = append(errs, errors.New("server: GitHub sign-in needs a permission reader"))
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: oauthTimeout}
	}
	o.WebURL = strings.TrimRight(o.WebURL, "/")
	return errors.Join(errs...)
}

// oauthRoutes serves the sign-in's start and GitHub's callback.
func (s *Server) oauthRoutes(r chi.Router) {
	if s.opts.Links == nil || s.opts.Links.OAuth == nil {
		return
	}
	r.Get("/oauth/login", s.oauthLogin)
	r.Get("/oauth/callback", s.oauthCallback)
}

// signInURL is where a link page's "Sign in with GitHub" goes.
func (s LinkSigner) signInURL(token string) string {
	return strings.TrimRight(s.publicURL, "/") + "/oauth/login?" + url.Values{"link": {token}}.Encode()
}

func (s LinkSigner) callbackURL() string {
	return strings.TrimRight(s.publicURL, "/") + "/oauth/callback"
}

// oauthLogin starts a sign-in for a link: a fresh binding in a cookie
// only the callback gets, and GitHub's authorize page with a state that
// carries the link token and is bound to that cookie.
func (s *Server) oauthLogin(w http.ResponseWriter, r *http.Request) {
	o, signer := s.opts.Links.OAuth, s.opts.Links.Signer
	token := r.URL.Query().Get("link")
	if _, err := link.Verify(signer.key, token, time.Now()); err != nil && !errors.Is(err, link.ErrExpired) {
		s.log.Warn("sign-in refused: not a stagehand link")
		s.renderLink(w, http.StatusBadRequest, linkPage{Title: "This is not a valid stagehand link",
			Message: "Sign-in starts from a link's page. Copy the whole link from the pull request again."})
		return
	}
	binding := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: binding, Path: signer.prefix + "/oauth/", MaxAge: int(stateTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: signer.secure})
	q := url.Values{"client_id": {o.ClientID}, "redirect_uri": {signer.callbackURL()}, "state": {oauthState(signer.key, binding, token)}}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, o.WebURL+"/login/oauth/authorize?"+q.Encode(), http.StatusFound)
}

// oauthCallback finishes a sign-in: the state must be this browser's, the
// code is exchanged for a user token, GET /user names the person, and the
// browser goes back to the link's page signed in.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	signer := s.opts.Links.Signer
	q := r.URL.Query()
	binding := ""
	if ck, err := r.Cookie(stateCookie); err == nil && validSession(ck.Value) {
		binding = ck.Value
	}
	token, ok := checkOAuthState(signer.key, binding, q.Get("state"))
	if !ok {
		s.log.Warn("sign-in refused: state does not match this browser")
		s.renderLink(w, http.StatusForbidden, linkPage{Title: "Sign-in not accepted",
			Message: "This sign-in did not start in this browser, or took too long. Nothing was changed. Open the link again and sign in from its page."})
		return
	}
	// The binding is used up either way.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: signer.prefix + "/oauth/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: signer.secure})
	if e := q.Get("error"); e != "" || q.Get("code") == "" {
		s.log.Info("sign-in not completed at GitHub", "error", e)
		s.renderLink(w, http.StatusForbidden, linkPage{Title: "Not signed in",
			Message: "GitHub did not sign you in (" + orDeclined(e) + "). Nothing was changed. Open the link again to retry."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), oauthTimeout)
	defer cancel()
	login, err := s.oauthLoginOf(ctx, q.Get("code"))
	if err != nil {
		// The error never holds the code or the token.
		s.log.Error("sign-in failed", "err", err)
		s.renderLink(w, http.StatusBadGateway, linkPage{Title: "Sign-in failed",
			Message: "stagehand could not confirm who you are with GitHub. Nothing was changed. Open the link again and sign in once more."})
		return
	}
	s.log.Info("signed in on a link page", "login", login)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: signLogin(signer.key, login, time.Now().Add(loginTTL)), Path: signer.prefix + "/",
		MaxAge: int(loginTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: signer.secure})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, link.URL(signer.publicURL, token), http.StatusSeeOther)
}

func orDeclined(e string) string {
	if e == "" {
		return "no code came back"
	}
	return "GitHub said " + strconv.Quote(e)
}

// errOAuth is a sign-in GitHub did not complete.
var errOAuth = errors.New("GitHub sign-in")

// oauthLoginOf exchanges code for a user token and asks GitHub whose it is.
func (s *Server) oauthLoginOf(ctx context.Context, code string) (string, error) {
	o, signer := s.opts.Links.OAuth, s.opts.Links.Signer
	form := url.Values{"client_id": {o.ClientID}, "client_secret": {o.ClientSecret}, "code": {code}, "redirect_uri": {signer.callbackURL()}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.WebURL+"/login/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("%w: %w", errOAuth, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: exchange the code: %w", errOAuth, err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: exchange the code: GitHub answered %s", errOAuth, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxOAuthBody)).Decode(&tok); err != nil {
		return "", fmt.Errorf("%w: exchange the code: unreadable answer", errOAuth)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("%w: exchange the code: GitHub said %q", errOAuth, tok.Error)
	}
	gh := github.NewClient(o.HTTPClient).WithAuthToken(tok.AccessToken)
	if o.APIURL != "" {
		if gh, err = gh.WithEnterpriseURLs(o.APIURL, o.APIURL); err != nil {
			return "", fmt.Errorf("%w: API URL: %w", errOAuth, err)
		}
	}
	u, _, err := gh.Users.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("%w: GET /user: %w", errOAuth, err)
	}
	if u.GetLogin() == "" {
		return "", fmt.Errorf("%w: GET /user named no login", errOAuth)
	}
	return u.GetLogin(), nil
}

// signedIn returns the login the browser signed in as, or "".
func (s *Server) signedIn(r *http.Request) string {
	ck, err := r.Cookie(loginCookie)
	if err != nil {
		return ""
	}
	login, ok := verifyLogin(s.opts.Links.Signer.key, ck.Value, time.Now())
	if !ok {
		return ""
	}
	return login
}

// withSignIn adds who is acting to st when sign-in is on: the login and
// whether the approver check lets them into the link's stage now.
func (s *Server) withSignIn(ctx context.Context, r *http.Request, st linkState) (linkState, error) {
	if s.opts.Links.OAuth == nil {
		return st, nil
	}
	st.auth = linkAuth{required: true, login: s.signedIn(r)}
	if st.auth.login == "" || st.problem != "" {
		return st, nil
	}
	v, err := s.allowed(ctx, st.auth.login, st.target)
	if err != nil {
		return st, err
	}
	st.auth.verdict = v
	return st, nil
}

// allowed checks login against the stage's approvers, or write permission
// when it names none, as a /promote comment is checked.
func (s *Server) allowed(ctx context.Context, login string, st config.Stage) (gate.Verdict, error) {
	return gate.Check(ctx, s.opts.Links.OAuth.Access, st.Name, st.Approvers, login)
}

var b64 = base64.RawURLEncoding

func mac(key []byte, purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

const (
	statePurpose = "stagehand oauth state v1"
	loginPurpose = "stagehand login v1"
)

// oauthState is the state sent to GitHub: the link token to return to and
// a MAC binding it to this browser's random binding cookie.
func oauthState(key []byte, binding, token string) string {
	return token + "." + b64.EncodeToString(mac(key, statePurpose, binding, token))
}

// checkOAuthState returns the link token of a state made for binding.
func checkOAuthState(key []byte, binding, state string) (string, bool) {
	i := strings.LastIndexByte(state, '.')
	if binding == "" || i <= 0 {
		return "", false
	}
	token := state[:i]
	got, err := b64.DecodeString(state[i+1:])
	if err != nil || !hmac.Equal(got, mac(key, statePurpose, binding, token)) {
		return "", false
	}
	return token, true
}

// signLogin makes the login cookie's value: login, expiry, MAC.
func signLogin(key []byte, login string, exp time.Time) string {
	l, e := b64.EncodeToString([]byte(login)), strconv.FormatInt(exp.Unix(), 10)
	return l + "." + e + "." + b64.EncodeToString(mac(key, loginPurpose, l, e))
}

// verifyLogin returns the login of a cookie value signLogin made that has
// not expired.
func verifyLogin(key []byte, v string, now time.Time) (string, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return "", false
	}
	got, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(got, mac(key, loginPurpose, parts[0], parts[1])) {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	login, err2 := b64.DecodeString(parts[0])
	if err != nil || err2 != nil || len(login) == 0 || !now.Before(time.Unix(exp, 0)) {
		return "", false
	}
	return string(login), true
}
