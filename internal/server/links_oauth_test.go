package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// oaGitHub is GitHub's side of sign-in: the code exchange, GET /user, and
// what people may do on the config repository.
type oaGitHub struct {
	mu     sync.Mutex
	url    string
	codes  map[string]string // code → login
	tokens map[string]string // user token → login
	perms  map[string]string // login → permission
	teams  map[string]bool   // "org/team/login"
}

func (g *oaGitHub) Permission(ctx context.Context, login string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.perms[login]; ok {
		return p, nil
	}
	return "none", nil
}

func (g *oaGitHub) TeamMember(ctx context.Context, org, team, login string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.teams[org+"/"+team+"/"+login], nil
}

// code is what GitHub's authorize page would hand the callback after
// login signed in.
func (g *oaGitHub) code(login string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := fmt.Sprintf("code-%d", len(g.codes))
	g.codes[c] = login
	return c
}

func (g *oaGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch r.URL.Path {
	case "/login/oauth/access_token":
		_ = r.ParseForm()
		login, ok := g.codes[r.PostForm.Get("code")]
		delete(g.codes, r.PostForm.Get("code"))
		w.Header().Set("Content-Type", "application/json")
		if !ok || r.PostForm.Get("client_id") != "Iv1.test" || r.PostForm.Get("client_secret") != "oauth-SECRET" || r.Header.Get("Accept") != "application/json" {
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code"})
			return
		}
		tok := "gho_" + r.PostForm.Get("code")
		g.tokens[tok] = login
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "token_type": "bearer"})
	case "/api/v3/user":
		login, ok := g.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		if !ok {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"login": login, "id": 1})
	default:
		http.NotFound(w, r)
	}
}

func oaStart(t *testing.T, preprod string) (*lkWorld, *oaGitHub) {
	t.Helper()
	g := &oaGitHub{codes: map[string]string{}, tokens: map[string]string{}, perms: map[string]string{}, teams: map[string]bool{}}
	ts := httptest.NewServer(g)
	t.Cleanup(ts.Close)
	g.url = ts.URL
	w := lkStartWith(t, preprod, &LinkOAuth{ClientID: "Iv1.test", ClientSecret: "oauth-SECRET", WebURL: ts.URL, APIURL: ts.URL, Access: g})
	return w, g
}

// oaDo is one browser request that does not follow redirects.
func oaDo(t *testing.T, method, u string, cookies []*http.Cookie, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		if c != nil {
			req.AddCookie(c)
		}
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func oaCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// oaSignIn signs login in from link u's sign-in button and returns the
// login cookie.
func oaSignIn(t *testing.T, w *lkWorld, g *oaGitHub, u, login string) *http.Cookie {
	t.Helper()
	resp, _ := oaDo(t, http.MethodGet, w.url+"/oauth/login?"+url.Values{"link": {strings.TrimPrefix(u, w.url+"/promote/")}}.Encode(), nil, nil)
	at, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(at.String(), g.url+"/login/oauth/authorize?") {
		t.Fatalf("sign-in start: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := at.Query().Get("redirect_uri"); got != w.url+"/oauth/callback" || at.Query().Get("client_id") != "Iv1.test" {
		t.Fatalf("authorize query %v: want client_id Iv1.test and redirect_uri %s/oauth/callback", at.Query(), w.url)
	}
	state := oaCookie(resp, stateCookie)
	if state == nil || !state.HttpOnly || state.SameSite != http.SameSiteLaxMode {
		t.Fatalf("state cookie %+v: want HttpOnly, SameSite=Lax", state)
	}
	back := url.Values{"code": {g.code(login)}, "state": {at.Query().Get("state")}}
	resp, body := oaDo(t, http.MethodGet, w.url+"/oauth/callback?"+back.Encode(), []*http.Cookie{state}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != u {
		t.Fatalf("callback: %d to %q, want 303 to %s\n%s", resp.StatusCode, resp.Header.Get("Location"), u, body)
	}
	ck := oaCookie(resp, loginCookie)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge != 3600 {
		t.Fatalf("login cookie %+v: want HttpOnly, SameSite=Lax, path /, an hour", ck)
	}
	return ck
}

// oaConfirm visits u as the browser holding login and confirms its form.
// A page that offers no form gets the token it would have: the POST is
// then refused by the approver check, not by the CSRF check.
func oaConfirm(t *testing.T, w *lkWorld, u string, login *http.Cookie) (page lkResponse, confirm lkResponse) {
	t.Helper()
	resp, body := oaDo(t, http.MethodGet, u, []*http.Cookie{login}, nil)
	page = lkResponse{code: resp.StatusCode, header: resp.Header, body: body}
	session := oaCookie(resp, sessionCookie)
	csrf := csrfFor(t, w, u, session)
	if m := lkCSRFField.FindStringSubmatch(body); m != nil && m[1] != csrf {
		t.Fatalf("the page's CSRF token %q is not the session's %q", m[1], csrf)
	}
	resp, body = oaDo(t, http.MethodPost, u, []*http.Cookie{login, session}, url.Values{"csrf": {csrf}})
	return page, lkResponse{code: resp.StatusCode, header: resp.Header, body: body}
}

// With sign-in on, a link acts only for a signed-in person the approver
// check lets in, who becomes the action's actor.
func TestLinkSignInAppliesTheApproverCheck(t *testing.T) {
	tests := []struct {
		name      string
		approvers []string
		login     string
		setup     func(g *oaGitHub)
		code      int
	}{
		{"reader, no approvers", nil, "rita", func(g *oaGitHub) { g.perms["rita"] = "read" }, http.StatusForbidden},
		{"writer, no approvers", nil, "will", func(g *oaGitHub) { g.perms["will"] = "write" }, http.StatusOK},
		{"approver without write", []string{"ann"}, "ann", func(g *oaGitHub) { g.perms["ann"] = "read" }, http.StatusOK},
		{"team approver", []string{"@acme/release"}, "tim", func(g *oaGitHub) { g.teams["acme/release/tim"] = true }, http.StatusOK},
		{"admin, not an approver", []string{"ann"}, "adam", func(g *oaGitHub) { g.perms["adam"] = "admin" }, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			preprod := ""
			if len(tt.approvers) > 0 {
				preprod = fmt.Sprintf("    approvers: [%q]\n", strings.Join(tt.approvers, `", "`))
			}
			w, g := oaStart(t, preprod)
			w.engine.approvers = tt.approvers
			tt.setup(g)
			u := w.link(t, lkDigest)

			// Signed out: the page asks to sign in and the POST is refused.
			r, session, csrf := lkVisit(t, u)
			if r.code != http.StatusUnauthorized || csrf != "" || !strings.Contains(r.body, "Sign in with GitHub") || strings.Contains(r.body, "the link itself is the permission") {
				t.Fatalf("GET signed out: %d\n%s", r.code, r.body)
			}
			if r := lkDo(t, http.MethodPost, u, session, url.Values{"csrf": {csrfFor(t, w, u, session)}}); r.code != http.StatusUnauthorized || w.engine.promoted() != 0 {
				t.Fatalf("POST signed out: %d, %d promotions\n%s", r.code, w.engine.promoted(), r.body)
			}

			page, done := oaConfirm(t, w, u, oaSignIn(t, w, g, u, tt.login))
			if !strings.Contains(page.body, "Signed in with GitHub as @"+tt.login) {
				t.Errorf("the page does not say who is signed in:\n%s", page.body)
			}
			if page.code != tt.code || done.code != tt.code {
				t.Fatalf("GET %d, POST %d; want %d\n%s\n%s", page.code, done.code, tt.code, page.body, done.body)
			}
			want, promoted := "refused", 0
			if tt.code == http.StatusOK {
				want, promoted = "opened", 1
			}
			if w.engine.promoted() != promoted {
				t.Errorf("%d promotions, want %d", w.engine.promoted(), promoted)
			}
			last := w.store.actions[len(w.store.actions)-1]
			if last.Actor != tt.login || last.Source != "link" || last.Result != want {
				t.Errorf("recorded %+v; want actor %s, source link, result %s", last, tt.login, want)
			}
		})
	}
}

// Permission is read at the moment of acting: losing it between the page
// and the confirmation stops the promotion.
func TestLinkSignInChecksAtTheMomentOfActing(t *testing.T) {
	w, g := oaStart(t, "")
	g.perms["will"] = "write"
	u := w.link(t, lkDigest)
	login := oaSignIn(t, w, g, u, "will")
	resp, body := oaDo(t, http.MethodGet, u, []*http.Cookie{login}, nil)
	m := lkCSRFField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET: %d\n%s", resp.StatusCode, body)
	}
	g.mu.Lock()
	g.perms["will"] = "read"
	g.mu.Unlock()
	resp, body = oaDo(t, http.MethodPost, u, []*http.Cookie{login, oaCookie(resp, sessionCookie)}, url.Values{"csrf": {m[1]}})
	if resp.StatusCode != http.StatusForbidden || w.engine.promoted() != 0 || !strings.Contains(body, "needs write permission") {
		t.Fatalf("POST after losing write: %d, %d promotions\n%s", resp.StatusCode, w.engine.promoted(), body)
	}
}

// A sign-in's state works only in the browser that started it, and a
// login cookie only as stagehand signed it.
func TestLinkSignInRefusesTampering(t *testing.T) {
	w, g := oaStart(t, "")
	g.perms["will"] = "write"
	u := w.link(t, lkDigest)
	token := strings.TrimPrefix(u, w.url+"/promote/")
	binding := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	state := oauthState(lkKey, binding, token)
	other := &http.Cookie{Name: stateCookie, Value: "ZYXWVUTSRQPONMLKJIHGFEDCBA"}
	for _, tt := range []struct {
		name   string
		state  string
		cookie *http.Cookie
	}{
		{"another browser's state", state, other},
		{"no state cookie", state, nil},
		{"state for another link", oauthState(lkKey, binding, w.link(t, lkOther)[len(w.url+"/promote/"):]) + "x", &http.Cookie{Name: stateCookie, Value: binding}},
		{"state signed with another key", oauthState([]byte("another-key-another-key-another-key"), binding, token), &http.Cookie{Name: stateCookie, Value: binding}},
		{"no state", "", &http.Cookie{Name: stateCookie, Value: binding}},
	} {
		resp, body := oaDo(t, http.MethodGet, w.url+"/oauth/callback?"+url.Values{"code": {g.code("will")}, "state": {tt.state}}.Encode(), []*http.Cookie{tt.cookie}, nil)
		if resp.StatusCode != http.StatusForbidden || oaCookie(resp, loginCookie) != nil {
			t.Errorf("%s: %d, login cookie %v\n%s", tt.name, resp.StatusCode, oaCookie(resp, loginCookie), body)
		}
	}
	// The right state with a code GitHub does not know: no sign-in.
	resp, _ := oaDo(t, http.MethodGet, w.url+"/oauth/callback?"+url.Values{"code": {"made-up"}, "state": {state}}.Encode(), []*http.Cookie{{Name: stateCookie, Value: binding}}, nil)
	if resp.StatusCode != http.StatusBadGateway || oaCookie(resp, loginCookie) != nil {
		t.Errorf("unknown code: %d", resp.StatusCode)
	}

	good := signLogin(lkKey, "will", time.Now().Add(time.Hour))
	parts := strings.Split(good, ".")
	for name, v := range map[string]string{
		"another login":   b64.EncodeToString([]byte("mallory")) + "." + parts[1] + "." + parts[2],
		"later expiry":    parts[0] + "." + fmt.Sprint(time.Now().Add(48*time.Hour).Unix()) + "." + parts[2],
		"expired":         signLogin(lkKey, "will", time.Now().Add(-time.Second)),
		"another key":     signLogin([]byte("another-key-another-key-another-key"), "will", time.Now().Add(time.Hour)),
		"not a signature": "will",
	} {
		resp, body := oaDo(t, http.MethodGet, u, []*http.Cookie{{Name: loginCookie, Value: v}}, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Sign in with GitHub") {
			t.Errorf("login cookie %s: %d\n%s", name, resp.StatusCode, body)
		}
	}
	if resp, _ := oaDo(t, http.MethodGet, u, []*http.Cookie{{Name: loginCookie, Value: good}}, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a good login cookie: %d", resp.StatusCode)
	}
	if got := w.writes(); got != "promotions 0, link uses 0, actions 0" {
		t.Errorf("tampering wrote: %s", got)
	}
}

func TestOAuthStateAndLoginRoundTrip(t *testing.T) {
	now := time.Now()
	if tok, ok := checkOAuthState(lkKey, "B", oauthState(lkKey, "B", "tok.en.x")); !ok || tok != "tok.en.x" {
		t.Errorf("state round trip: %q %v", tok, ok)
	}
	if l, ok := verifyLogin(lkKey, signLogin(lkKey, "octo-cat", now.Add(time.Minute)), now); !ok || l != "octo-cat" {
		t.Errorf("login round trip: %q %v", l, ok)
	}
}

// Sign-in needs both halves of the OAuth credentials and a web URL.
func TestLinkOAuthOptionsAreChecked(t *testing.T) {
	g := &oaGitHub{}
	for name, o := range map[string]LinkOAuth{
		"no secret":  {ClientID: "Iv1.x", WebURL: "https://github.com", Access: g},
		"no id":      {ClientSecret: "s", WebURL: "https://github.com", Access: g},
		"no web URL": {ClientID: "Iv1.x", ClientSecret: "s", Access: g},
		"no access":  {ClientID: "Iv1.x", ClientSecret: "s", WebURL: "https://github.com"},
		"relative":   {ClientID: "Iv1.x", ClientSecret: "s", WebURL: "github.com", Access: g},
	} {
		signer, _ := NewLinkSigner("https://stagehand.test", lkKey)
		_, err := New(Options{GitHubSecret: ghSecret, Queue: &fakeQueue{seen: map[string]bool{}}, Ready: func(context.Context) error { return nil },
			Links: &LinkOptions{Signer: signer, Repo: &lkRepo{}, Engine: &lkEngine{}, Store: &lkStore{}, OAuth: &o}})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzSignInValues: the login cookie and the OAuth state parse any input
// without panicking, and what one key (or binding) accepts no other does.
func FuzzSignInValues(f *testing.F) {
	exp := time.Unix(4102444800, 0) // 2100
	f.Add(signLogin(lkKey, "will", exp), oauthState(lkKey, "B", "tok.en"))
	f.Add("d2lsbA.4102444800.", "tok.")
	f.Add("..", ".")
	other := []byte("another-key-another-key-another-key")
	f.Fuzz(func(t *testing.T, login, state string) {
		now := time.Unix(1700000000, 0)
		if l, ok := verifyLogin(lkKey, login, now); ok {
			if _, also := verifyLogin(other, login, now); also || l == "" {
				t.Fatalf("%q: login %q, verifies under another key too: %v", login, l, also)
			}
		}
		if _, ok := checkOAuthState(lkKey, "B", state); ok {
			if _, also := checkOAuthState(lkKey, "C", state); also {
				t.Fatalf("state %q verifies for two bindings", state)
			}
		}
	})
}
