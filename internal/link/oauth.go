package link

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"golang.org/x/oauth2"
)

// GitHub sign-in on link pages: the standard web application flow
// (golang.org/x/oauth2) with the App's OAuth credentials. The person signs
// in; stagehand learns their login from GET /user with the user token,
// keeps only the login in a sealed cookie for an hour, and throws the token
// away. The engine then checks that login like a commenter's.

const (
	loginCookie = "stagehand_login"       // the signed-in login, sealed
	stateCookie = "stagehand_oauth_state" // binds a sign-in's state to this browser
	loginTTL    = time.Hour
	stateTTL    = 10 * time.Minute
	// oauthTimeout bounds the code exchange and GET /user together.
	oauthTimeout = 15 * time.Second
)

// OAuth turns on GitHub sign-in for link pages. ClientID, ClientSecret and
// WebURL are required.
type OAuth struct {
	ClientID, ClientSecret string
	// WebURL is where people sign in: https://github.com, or https://HOST
	// for GitHub Enterprise Server.
	WebURL string
	// APIURL is the REST API the user token is used on: "" for
	// api.github.com, as githubapp.Options.APIURL.
	APIURL string
	// HTTPClient talks to GitHub for the sign-in; default: one with a
	// timeout.
	HTTPClient *http.Client
}

func (o *OAuth) check() error {
	var errs []error
	if o.ClientID == "" || o.ClientSecret == "" {
		errs = append(errs, errors.New("GitHub sign-in needs both the OAuth client ID and secret"))
	}
	if u, err := url.Parse(o.WebURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("GitHub web URL %q is not an absolute http(s) URL such as https://github.com", o.WebURL))
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: oauthTimeout}
	}
	o.WebURL = strings.TrimRight(o.WebURL, "/")
	return errors.Join(errs...)
}

func (h *Handler) oauthConfig() *oauth2.Config {
	o := h.opts.OAuth
	return &oauth2.Config{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   o.WebURL + "/login/oauth/authorize",
			TokenURL:  o.WebURL + "/login/oauth/access_token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: h.opts.Signer.callbackURL(),
	}
}

// state is what the OAuth state carries, sealed: the link to return to and
// the browser the sign-in started in.
type state struct {
	Binding string `json:"b"`
	Link    string `json:"l,omitempty"`
	// Next is a page of stagehand's own (the dashboard) to return to,
	// when the sign-in did not start from a link.
	Next string `json:"n,omitempty"`
}

// oauthLogin starts a sign-in for a link: a fresh binding in a cookie only
// the callback gets, and GitHub's authorize page with a sealed state that
// carries the link token and names that binding.
func (h *Handler) oauthLogin(w http.ResponseWriter, r *http.Request) {
	signer := h.opts.Signer
	token := r.URL.Query().Get("link")
	next := r.URL.Query().Get("next")
	if token == "" && localPath(next) {
		// Sign-in for another page of stagehand's (the dashboard).
	} else if _, err := Verify(signer.key, token, time.Now()); err != nil && !errors.Is(err, ErrExpired) {
		h.log.Warn("sign-in refused: not a stagehand link")
		h.render(w, http.StatusBadRequest, page{Title: "This is not a valid stagehand link",
			Message: "Sign-in starts from a link's page. Copy the whole link from the pull request again."})
		return
	}
	binding := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: binding, Path: signer.prefix + "/oauth/", MaxAge: int(stateTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: signer.secure})
	st, _ := json.Marshal(state{Binding: binding, Link: token, Next: next})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, h.oauthConfig().AuthCodeURL(seal(signer.key, purposeState, st)), http.StatusFound)
}

// oauthCallback finishes a sign-in: the state must be this browser's, the
// code is exchanged for a user token, GET /user names the person, and the
// browser goes back to the link's page signed in.
func (h *Handler) oauthCallback(w http.ResponseWriter, r *http.Request) {
	signer := h.opts.Signer
	q := r.URL.Query()
	binding := ""
	if ck, err := r.Cookie(stateCookie); err == nil && validSession(ck.Value) {
		binding = ck.Value
	}
	var st state
	raw, err := unseal(signer.key, purposeState, q.Get("state"))
	if err == nil {
		err = json.Unmarshal(raw, &st)
	}
	if err != nil || binding == "" || st.Binding != binding {
		h.log.Warn("sign-in refused: state does not match this browser")
		h.render(w, http.StatusForbidden, page{Title: "Sign-in not accepted",
			Message: "This sign-in did not start in this browser, or took too long. Nothing was changed. Open the link again and sign in from its page."})
		return
	}
	// The binding is used up either way.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: signer.prefix + "/oauth/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: signer.secure})
	if e := q.Get("error"); e != "" || q.Get("code") == "" {
		h.log.Info("sign-in not completed at GitHub", "error", e)
		h.render(w, http.StatusForbidden, page{Title: "Not signed in",
			Message: "GitHub did not sign you in (" + orDeclined(e) + "). Nothing was changed. Open the link again to retry."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), oauthTimeout)
	defer cancel()
	login, err := h.loginOf(ctx, q.Get("code"))
	if err != nil {
		// The error never holds the code or the token.
		h.log.Error("sign-in failed", "err", err)
		h.render(w, http.StatusBadGateway, page{Title: "Sign-in failed",
			Message: "stagehand could not confirm who you are with GitHub. Nothing was changed. Open the link again and sign in once more."})
		return
	}
	h.log.Info("signed in on a link page", "login", login)
	v, _ := json.Marshal(loginClaims{Login: login, Exp: time.Now().Add(loginTTL).Unix()})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: seal(signer.key, purposeLogin, v), Path: signer.prefix + "/",
		MaxAge: int(loginTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: signer.secure})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	back := URL(signer.publicURL, st.Link)
	if st.Link == "" && localPath(st.Next) {
		back = strings.TrimRight(signer.publicURL, "/") + st.Next
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// localPath accepts a path of stagehand's own pages to return to after
// signing in, and nothing that would leave for another site ("//host",
// "/\host") or carry a scheme.
func localPath(p string) bool {
	if p == "" || p[0] != '/' || len(p) > 512 {
		return false
	}
	if len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] == 0x7f || p[i] == '\\' {
			return false
		}
	}
	return true
}

func orDeclined(e string) string {
	if e == "" {
		return "no code came back"
	}
	return "GitHub said " + strconv.Quote(e)
}

// errOAuth is a sign-in GitHub did not complete.
var errOAuth = errors.New("GitHub sign-in")

// loginOf exchanges code for a user token and asks GitHub whose it is.
func (h *Handler) loginOf(ctx context.Context, code string) (string, error) {
	o := h.opts.OAuth
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.HTTPClient)
	tok, err := h.oauthConfig().Exchange(ctx, code)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", fmt.Errorf("%w: exchange the code: GitHub said %q", errOAuth, re.ErrorCode)
		}
		return "", fmt.Errorf("%w: exchange the code: %T", errOAuth, err)
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

// loginClaims is what the sign-in cookie seals.
type loginClaims struct {
	Login string `json:"login"`
	Exp   int64  `json:"exp"`
}

// signedIn returns the login the browser signed in as, or "".
func (h *Handler) signedIn(r *http.Request) string {
	ck, err := r.Cookie(loginCookie)
	if err != nil {
		return ""
	}
	raw, err := unseal(h.opts.Signer.key, purposeLogin, ck.Value)
	if err != nil {
		return ""
	}
	var c loginClaims
	if json.Unmarshal(raw, &c) != nil || c.Login == "" || !time.Now().Before(time.Unix(c.Exp, 0)) {
		return ""
	}
	return c.Login
}
