package link

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

type nopEngine struct{}

func (nopEngine) Preview(context.Context, promote.Request) (promote.Plan, error) {
	return promote.Plan{}, nil
}

type nopQueue struct{}

func (nopQueue) Submit(context.Context, promote.Request) error { return nil }
func (nopQueue) Outcome(context.Context, string) (store.Request, bool, error) {
	return store.Request{}, false, nil
}

func pagesHandler(t *testing.T) *Handler {
	t.Helper()
	s, err := NewSigner("https://stagehand.acme.test/sh", key)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(Options{Signer: s, Engine: nopEngine{}, Requests: nopQueue{},
		OAuth: &OAuth{ClientID: "id", ClientSecret: "secret", WebURL: "https://github.test"}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestSignInForOtherPages: a sign-in that starts from another page comes
// back to that page of stagehand's, and never to another site.
func TestSignInForOtherPages(t *testing.T) {
	h := pagesHandler(t)
	if got := h.SignInURL("/apps/web"); got != "https://stagehand.acme.test/sh/oauth/login?next=%2Fapps%2Fweb" {
		t.Errorf("SignInURL = %q", got)
	}
	for _, next := range []string{"", "apps", "//evil.test/", "/\\evil.test", "https://evil.test/", "/a b", "/a\nb", "/" + strings.Repeat("a", 600)} {
		if h.SignInURL(next) != "" {
			t.Errorf("SignInURL(%q) offers a sign-in; want none", next)
		}
		rec := httptest.NewRecorder()
		h.oauthLogin(rec, httptest.NewRequest(http.MethodGet, "/oauth/login?"+url.Values{"next": {next}}.Encode(), nil))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("login with next=%q: %d, want 400", next, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	h.oauthLogin(rec, httptest.NewRequest(http.MethodGet, "/oauth/login?next=%2F", nil))
	loc, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil || loc.Host != "github.test" {
		t.Fatalf("login with next=/: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	raw, err := unseal(key, purposeState, loc.Query().Get("state"))
	if err != nil || !strings.Contains(string(raw), `"n":"/"`) {
		t.Errorf("the state carries %s (%v), want next /", raw, err)
	}
}

// TestFormTokens: a form's token holds only in the session and for the
// scope it was made for.
func TestFormTokens(t *testing.T) {
	h := pagesHandler(t)
	rec := httptest.NewRecorder()
	tok := h.FormToken(rec, httptest.NewRequest(http.MethodGet, "/", nil), "dashboard\x00will")
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != pageSession || !cookies[0].HttpOnly || !cookies[0].Secure || cookies[0].Path != "/sh/" || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", cookies)
	}
	post := func(c *http.Cookie) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/actions", nil)
		if c != nil {
			r.AddCookie(c)
		}
		return r
	}
	if !h.CheckForm(post(cookies[0]), "dashboard\x00will", tok) {
		t.Error("the token does not check in its own session")
	}
	other := &http.Cookie{Name: pageSession, Value: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
	for name, ok := range map[string]bool{
		"other session": h.CheckForm(post(other), "dashboard\x00will", tok),
		"no session":    h.CheckForm(post(nil), "dashboard\x00will", tok),
		"other scope":   h.CheckForm(post(cookies[0]), "dashboard\x00rita", tok),
		"link CSRF":     h.CheckForm(post(cookies[0]), "dashboard\x00will", CSRFToken(key, "dashboard\x00will", cookies[0].Value)),
	} {
		if ok {
			t.Errorf("%s: the token checks", name)
		}
	}
	// A browser with a session keeps it.
	rec = httptest.NewRecorder()
	if again := h.FormToken(rec, post(cookies[0]), "dashboard\x00will"); again != tok || len(rec.Result().Cookies()) != 0 {
		t.Errorf("a second page in the same session: token %q, cookies %v", again, rec.Result().Cookies())
	}
}

// TestSignOut: signing out clears both the sign-in and the form session
// in the browser, on the paths they were set on.
func TestSignOut(t *testing.T) {
	h := pagesHandler(t)
	rec := httptest.NewRecorder()
	h.SignOut(rec)
	got := map[string]*http.Cookie{}
	for _, c := range rec.Result().Cookies() {
		got[c.Name] = c
	}
	for _, name := range []string{loginCookie, pageSession} {
		c := got[name]
		if c == nil || c.MaxAge >= 0 || c.Value != "" || c.Path != "/sh/" || !c.HttpOnly || !c.Secure {
			t.Errorf("cookie %s after sign-out: %+v, want it cleared on /sh/", name, c)
		}
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}
