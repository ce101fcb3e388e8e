package main

// End-to-end test of GitHub sign-in on one-click link pages. Helpers here
// start with oa; the e2e and lk helpers are reused as they are.

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/link"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

var oaSignInRE = regexp.MustCompile(`href="([^"]*/oauth/login\?[^"]*)"`)

const (
	oaClientID     = "Iv1.e2e0123456789"
	oaClientSecret = "oauth-SECRET-e2e-0123456789abcdef"
)

// oaGet does one request as a browser with cookies, without following
// redirects; a URL under the public URL goes to the running server.
func oaGet(t *testing.T, w *e2e.World, method, u string, cookies []*http.Cookie, form url.Values) (*http.Response, string) {
	t.Helper()
	if rest, ok := strings.CutPrefix(u, lkPublicURL); ok {
		u = w.Base + rest
	}
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
	noFollow := &http.Client{Timeout: w.Client.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
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

// oaSignIn signs login in from toLink's page, through the GitHub stand-in's
// authorize page, and returns the cookie that says so.
func oaSignIn(t *testing.T, w *e2e.World, page, login string) *http.Cookie {
	t.Helper()
	w.GitHub.SetOAuthUser(login)
	m := oaSignInRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page offers no sign-in:\n%s", page)
	}
	resp, _ := oaGet(t, w, http.MethodGet, html.UnescapeString(m[1]), nil, nil)
	authorize := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(authorize, strings.TrimRight(w.GitHubURL, "/")+"/login/oauth/authorize?") {
		t.Fatalf("sign-in start: %d to %q", resp.StatusCode, authorize)
	}
	state := oaCookie(resp, "stagehand_oauth_state")
	resp, _ = oaGet(t, w, http.MethodGet, authorize, nil, nil)
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, lkPublicURL+"/oauth/callback?") {
		t.Fatalf("GitHub sent the browser to %q, want the callback under %s", callback, lkPublicURL)
	}
	resp, body := oaGet(t, w, http.MethodGet, callback, []*http.Cookie{state}, nil)
	signedIn := oaCookie(resp, "stagehand_login")
	if resp.StatusCode != http.StatusSeeOther || signedIn == nil || !signedIn.Secure || !signedIn.HttpOnly || signedIn.SameSite != http.SameSiteLaxMode {
		t.Fatalf("callback: %d, login cookie %+v (want Secure, HttpOnly, SameSite=Lax)\n%s", resp.StatusCode, signedIn, body)
	}
	return signedIn
}

// oaConfirm opens link signed in (or not) and confirms it; a page that
// offers no form gets the CSRF token its session would have, so that what
// refuses is the sign-in or the approver check.
func oaConfirm(t *testing.T, w *e2e.World, toLink string, signedIn *http.Cookie) (pageCode int, page string, code int, body string) {
	t.Helper()
	resp, page := oaGet(t, w, http.MethodGet, toLink, []*http.Cookie{signedIn}, nil)
	session := oaCookie(resp, "stagehand_link_session")
	tok, _ := url.PathUnescape(strings.TrimPrefix(toLink, lkPublicURL+"/promote/"))
	c, err := link.Verify([]byte(lkSecret), tok, time.Now())
	if err != nil || session == nil {
		t.Fatalf("link %v, session %v", err, session)
	}
	form := url.Values{"csrf": {link.CSRFToken([]byte(lkSecret), c.ID, session.Value)}}
	post, body := oaGet(t, w, http.MethodPost, toLink, []*http.Cookie{signedIn, session}, form)
	return resp.StatusCode, page, post.StatusCode, body
}

// TestServeLinksWithGitHubSignIn: with the App's OAuth credentials set, a
// link page asks people to sign in; without it the POST is refused, a
// reader who signs in is refused, and a writer's confirmation opens the
// PR, recorded as theirs. Tokens and codes never reach the log.
func TestServeLinksWithGitHubSignIn(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run, ServeArgs: []string{"--public-url", lkPublicURL, "--link-secret", lkSecret,
		"--github-client-id", oaClientID, "--github-client-secret", oaClientSecret}})
	a := w.App("generic")
	staging, preprod, prod := promote.Branch(a.Name, "staging"), promote.Branch(a.Name, "preprod"), promote.Branch(a.Name, "prod")
	w.GitHub.SetPermission("rita", "read")
	w.GitHub.SetPermission("will", "write")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.Eventually(t, "the staging PR merged", func() (bool, string) {
		pr, _ := w.PR(staging)
		return pr.Merged, pr.State
	})
	// The merge moves the image on to preprod (a pull-request stage); a
	// person merges that; prod is manual, and the note links its promotion.
	w.Eventually(t, "the preprod PR the merge opened", func() (bool, string) {
		pre, ok := w.PR(preprod)
		return ok && pre.State == "open", pre.State
	})
	pre, _ := w.PR(preprod)
	if _, err := w.GitHub.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "the note on the merged preprod PR", func() (bool, string) {
		note := w.LastComment(pre.Number)
		return strings.Contains(note, "Or with one click:"), note
	})
	toProd := lkFind(t, w.LastComment(pre.Number), "Or with one click:")

	// Signed out: the page asks to sign in, and the POST is refused.
	code, page, postCode, body := oaConfirm(t, w, toProd, nil)
	if code != http.StatusUnauthorized || !strings.Contains(page, "Sign in with GitHub") || strings.Contains(page, `name="csrf"`) {
		t.Fatalf("GET signed out: %d\n%s", code, page)
	}
	if postCode != http.StatusUnauthorized {
		t.Fatalf("POST signed out: %d\n%s", postCode, body)
	}

	// A reader signs in and is refused.
	code, _, postCode, body = oaConfirm(t, w, toProd, oaSignIn(t, w, page, "rita"))
	if code != http.StatusForbidden || postCode != http.StatusForbidden || !strings.Contains(body, "@rita may not promote into prod") {
		t.Fatalf("reader: GET %d, POST %d\n%s", code, postCode, body)
	}
	if _, ok := w.PR(prod); ok {
		t.Fatal("a refused link opened the prod PR")
	}

	// A writer signs in and the confirmation opens the PR.
	code, _, postCode, body = oaConfirm(t, w, toProd, oaSignIn(t, w, page, "will"))
	pr, ok := w.PR(prod)
	if code != http.StatusOK || postCode != http.StatusOK || !ok || pr.State != "open" || !strings.Contains(body, "Signed in with GitHub as @will") {
		t.Fatalf("writer: GET %d, POST %d, prod PR %+v (found %v)\n%s", code, postCode, pr, ok, body)
	}

	var h api.History
	resp, err := w.GetAPI("/api/v1/apps/" + a.Name + "/history")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, act := range h.Actions {
		actors = append(actors, act.Actor+"/"+act.Source+"/"+act.Result)
	}
	if got := strings.Join(actors, " "); !strings.Contains(got, "will/link/opened") || !strings.Contains(got, "rita/link/refused") {
		t.Errorf("actions %s: want rita refused and will opened, from links", got)
	}
	w.Stop(t)
	logs := w.Stderr.String()
	for _, secret := range []string{oaClientSecret, "gho_", "code="} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

// TestServeRefusesHalfAnOAuthSetup: sign-in needs both the client ID and
// secret, and links for it to sign in to; serve stops with a message that
// says what to set and never repeats the secret.
func TestServeRefusesHalfAnOAuthSetup(t *testing.T) {
	t.Parallel()
	links := []string{"--public-url", lkPublicURL, "--link-secret", lkSecret}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"client ID alone", append([]string{"--github-client-id", oaClientID}, links...), "STAGEHAND_GITHUB_CLIENT_ID is set but STAGEHAND_GITHUB_CLIENT_SECRET is not"},
		{"secret alone", append([]string{"--github-client-secret", oaClientSecret}, links...), "STAGEHAND_GITHUB_CLIENT_SECRET is set but STAGEHAND_GITHUB_CLIENT_ID is not"},
		{"without links", []string{"--github-client-id", oaClientID, "--github-client-secret", oaClientSecret}, "one-click links are off"},
		{"bad web URL", append([]string{"--github-client-id", oaClientID, "--github-client-secret", oaClientSecret, "--github-web-url", "github.example.com"}, links...), "STAGEHAND_GITHUB_WEB_URL \"github.example.com\" is not an absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr e2e.Buffer
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--reconcile-interval", "0", "--github-webhook-secret", e2e.GitHubSecret,
				"--database-url", t.TempDir() + "/stagehand.db"}, tt.args...)
			code := run(t.Context(), args, &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) || strings.Contains(stderr.String(), oaClientSecret) {
				t.Errorf("exit %d; want exit %d naming %q, without the secret\nstderr: %s", code, exitUsage, tt.want, stderr.String())
			}
		})
	}
}

func TestGitHubWebURL(t *testing.T) {
	tests := []struct{ api, override, want string }{
		{"", "", "https://github.com"},
		{"https://api.github.com/", "", "https://github.com"},
		{"https://ghe.acme.test/api/v3", "", "https://ghe.acme.test"},
		{"https://ghe.acme.test/api/v3/", "", "https://ghe.acme.test"},
		{"https://ghe.acme.test/api/v3", "https://login.acme.test/", "https://login.acme.test"},
	}
	for _, tt := range tests {
		if got, err := githubWebURL(tt.api, tt.override); err != nil || got != tt.want {
			t.Errorf("githubWebURL(%q, %q) = %q, %v; want %q", tt.api, tt.override, got, err, tt.want)
		}
	}
}
