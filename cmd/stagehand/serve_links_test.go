package main

// End-to-end test of one-click promotion links on a running stagehand.
// Helpers here start with lk; the world is internal/testkit/e2e's.

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/link"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

const (
	lkPublicURL = "https://stagehand.acme.test"
	lkSecret    = "link-SECRET-e2e-0123456789abcdef0123456789"
)

// lkPage is a link page as a browser gets it.
type lkPage struct {
	code    int
	body    string // entities decoded
	session *http.Cookie
	csrf    string
}

var (
	lkLinkRE = regexp.MustCompile(regexp.QuoteMeta(lkPublicURL) + `/promote/[A-Za-z0-9_.%-]+`)
	lkCSRFRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// lkFind returns the link to stage `to` that text (a PR body or comment)
// carries after "label".
func lkFind(t *testing.T, text, label string) string {
	t.Helper()
	_, after, ok := strings.Cut(text, label)
	l := lkLinkRE.FindString(after)
	if !ok || l == "" {
		t.Fatalf("no %q link in:\n%s", label, text)
	}
	return l
}

// lkOpen requests a link at the running server: the public URL is where a
// proxy would take it.
func lkOpen(t *testing.T, w *e2e.World, method, link string, session *http.Cookie, csrf string) lkPage {
	t.Helper()
	u := w.Base + strings.TrimPrefix(link, lkPublicURL)
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(url.Values{"csrf": {csrf}}.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if session != nil {
		req.AddCookie(session)
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, link, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := lkPage{code: resp.StatusCode, body: html.UnescapeString(string(data))}
	for _, c := range resp.Cookies() {
		p.session = c
	}
	if m := lkCSRFRE.FindStringSubmatch(string(data)); m != nil {
		p.csrf = html.UnescapeString(m[1])
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" {
		t.Errorf("%s %s: Content-Security-Policy %q", method, link, got)
	}
	return p
}

// lkState is what a promotion could have changed: main's head and the PRs.
func lkState(t *testing.T, w *e2e.World) string {
	t.Helper()
	head, err := w.GitHub.Head("main")
	if err != nil {
		t.Fatal(err)
	}
	var prs []string
	for _, pr := range w.GitHub.PullRequests() {
		prs = append(prs, fmt.Sprintf("#%d %s %s", pr.Number, pr.Head, pr.State))
	}
	return head + " " + strings.Join(prs, ", ")
}

// TestServePromotionLinks: a PR into the stage before a manual one carries
// a link to promote its image on, which refuses until the PR is merged;
// then its page changes nothing, its confirmation opens the manual stage's
// PR once, and tampered, foreign, expired and replayed requests are
// refused. Stages the merge moves the image to anyway get no link.
func TestServePromotionLinks(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run, RequiredChecks: []string{"ci"}, ServeArgs: []string{"--public-url", lkPublicURL, "--link-secret", lkSecret}})
	a := w.App("generic")
	staging, preprod, prod := promote.Branch(a.Name, "staging"), promote.Branch(a.Name, "preprod"), promote.Branch(a.Name, "prod")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.Eventually(t, "the push worked", w.JobsDone(t, "push", 1))
	pr, _ := w.PR(staging)
	if strings.Contains(pr.Body, "/promote/") {
		t.Errorf("the staging PR links preprod, which its merge proposes anyway:\n%s", pr.Body)
	}

	// staging's merge proposes preprod; that PR links manual prod.
	w.GitHub.SetStatus(pr.HeadSHA, "ci", "success")
	w.Send(t, w.StatusEvent(t, pr.HeadSHA, staging))
	w.Eventually(t, "the preprod PR", func() (bool, string) {
		pre, ok := w.PR(preprod)
		return ok && pre.State == "open", lkState(t, w)
	})
	pre, _ := w.PR(preprod)
	toProd := lkFind(t, pre.Body, "Promote to prod after merging:")
	if !strings.Contains(pre.Body, "works only once this PR is merged") {
		t.Errorf("the preprod PR does not say when its link works:\n%s", pre.Body)
	}

	// Before the merge, preprod does not run the image yet.
	before := lkState(t, w)
	p := lkOpen(t, w, http.MethodGet, toProd, nil, "")
	if p.code != http.StatusConflict || !strings.Contains(p.body, "merge it first") || p.csrf != "" {
		t.Fatalf("GET before the merge: %d\n%s", p.code, p.body)
	}
	if after := lkState(t, w); after != before {
		t.Fatalf("GET changed GitHub:\nbefore %s\nafter  %s", before, after)
	}

	// preprod is merged by a person; prod is manual, and the note says how,
	// with a link of its own.
	w.GitHub.SetStatus(pre.HeadSHA, "ci", "success")
	if _, err := w.GitHub.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "the preprod merge worked", func() (bool, string) {
		note := w.LastComment(pre.Number)
		return strings.Contains(note, "Or with one click:"), note
	})
	lkFind(t, w.LastComment(pre.Number), "Or with one click:")
	before = lkState(t, w)

	p = lkOpen(t, w, http.MethodGet, toProd, nil, "")
	if p.code != http.StatusOK || p.csrf == "" || !strings.Contains(p.body, w.Digests[a.Name]) || !strings.Contains(p.body, "Promote "+a.Name+" to prod?") {
		t.Fatalf("GET after the merge: %d\n%s", p.code, p.body)
	}
	if !p.session.Secure || !p.session.HttpOnly || p.session.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %+v; want Secure (the public URL is https), HttpOnly, SameSite=Strict", p.session)
	}
	lkOpen(t, w, http.MethodGet, toProd, nil, "")
	if after := lkState(t, w); after != before {
		t.Fatalf("GET changed GitHub:\nbefore %s\nafter  %s", before, after)
	}

	tampered := toProd[:len(toProd)-3] + "AAA"
	if tampered == toProd {
		tampered = toProd[:len(toProd)-3] + "BBB"
	}
	for _, tt := range []struct {
		name, link, csrf string
		session          *http.Cookie
		code             int
	}{
		{"tampered", tampered, p.csrf, p.session, http.StatusBadRequest},
		{"no CSRF token", toProd, "", p.session, http.StatusForbidden},
		{"no session", toProd, p.csrf, nil, http.StatusForbidden},
	} {
		if got := lkOpen(t, w, http.MethodPost, tt.link, tt.session, tt.csrf); got.code != tt.code {
			t.Errorf("POST %s: %d, want %d\n%s", tt.name, got.code, tt.code, got.body)
		}
	}
	if after := lkState(t, w); after != before {
		t.Fatalf("refused POSTs changed GitHub:\nbefore %s\nafter  %s", before, after)
	}

	done := lkOpen(t, w, http.MethodPost, toProd, p.session, p.csrf)
	pr, ok := w.PR(prod)
	if done.code != http.StatusOK || !ok || pr.State != "open" || !strings.Contains(done.body, fmt.Sprintf("/pull/%d\"", pr.Number)) {
		t.Fatalf("POST: %d, prod PR %+v (found %v)\n%s", done.code, pr, ok, done.body)
	}
	if m, ok, err := promote.ParseMarker(pr.Body); err != nil || !ok || m.Digest != w.Digests[a.Name] || m.From != "preprod" {
		t.Fatalf("prod PR proposes %+v (%v), want %s from preprod", m, err, w.Digests[a.Name])
	}
	count := len(w.GitHub.PullRequests())
	if again := lkOpen(t, w, http.MethodPost, toProd, p.session, p.csrf); again.code != http.StatusGone {
		t.Errorf("the same POST again: %d\n%s", again.code, again.body)
	}
	if n := len(w.GitHub.PullRequests()); n != count {
		t.Errorf("the replay changed the PR count: %d → %d", count, n)
	}

	// Expired: signed as stagehand would, a minute too old.
	tok, err := link.Sign([]byte(lkSecret), link.Claims{App: a.Name, From: "preprod", To: "prod", Digest: w.Digests[a.Name], Expires: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if got := lkOpen(t, w, http.MethodGet, link.URL(lkPublicURL, tok), nil, ""); got.code != http.StatusGone || !strings.Contains(got.body, "expired") {
		t.Errorf("expired link: %d\n%s", got.code, got.body)
	}

	// Superseded: preprod moves on to another image; a link for the first,
	// unused, no longer applies.
	lkSetPin(t, w, a, "preprod", "1.0.1", "sha256:"+strings.Repeat("e", 64))
	tok, err = link.Sign([]byte(lkSecret), link.Claims{App: a.Name, From: "preprod", To: "prod", Digest: w.Digests[a.Name]})
	if err != nil {
		t.Fatal(err)
	}
	before = lkState(t, w)
	if got := lkOpen(t, w, http.MethodGet, link.URL(lkPublicURL, tok), nil, ""); got.code != http.StatusConflict || !strings.Contains(got.body, "preprod runs 1.0.1@") {
		t.Errorf("superseded link: %d\n%s", got.code, got.body)
	}
	if after := lkState(t, w); after != before {
		t.Errorf("a superseded link changed GitHub")
	}
	w.Stop(t)
	if strings.Contains(w.Stderr.String(), lkSecret) || strings.Contains(w.Stderr.String(), "/promote/") {
		t.Error("the log repeats the link secret or a link")
	}
}

// lkSetPin commits a new pin for a's overlay of stage straight to main, as
// a person would.
func lkSetPin(t *testing.T, w *e2e.World, a e2e.App, stage, tag, digest string) {
	t.Helper()
	file := "apps/" + a.Name + "/overlays/" + stage + "/kustomization.yaml"
	data := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nimages:\n  - name: %s\n    newTag: %q\n    digest: %s\n", a.Image, tag, digest)
	if _, err := w.GitHub.Commit("main", stage+": "+tag, map[string][]byte{file: []byte(data)}); err != nil {
		t.Fatal(err)
	}
}

// TestServeRefusesHalfALinkSetup: links need both the public URL and a
// long enough secret; one without the other stops serve with a message that
// says what to set, and never repeats the secret.
func TestServeRefusesHalfALinkSetup(t *testing.T) {
	t.Parallel()
	const short = "short-SECRET-e2e"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"public URL alone", []string{"--public-url", lkPublicURL}, "STAGEHAND_PUBLIC_URL is set but STAGEHAND_LINK_SECRET is not"},
		{"secret alone", []string{"--link-secret", lkSecret}, "STAGEHAND_LINK_SECRET is set but STAGEHAND_PUBLIC_URL is not"},
		{"short secret", []string{"--public-url", lkPublicURL, "--link-secret", short}, "STAGEHAND_LINK_SECRET is 16 bytes; it must be at least 32"},
		{"relative URL", []string{"--public-url", "stagehand.acme.test", "--link-secret", lkSecret}, "STAGEHAND_PUBLIC_URL \"stagehand.acme.test\" is not an absolute http:// or https:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr e2e.Buffer
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--reconcile-interval", "0", "--github-webhook-secret", e2e.GitHubSecret,
				"--database-url", t.TempDir() + "/stagehand.db"}, tt.args...)
			code := run(t.Context(), args, &stdout, &stderr)
			if code != exitUsage || stdout.String() != "" || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stdout %q; want exit %d naming %q\nstderr: %s", code, stdout.String(), exitUsage, tt.want, stderr.String())
			}
			for _, secret := range []string{lkSecret, short} {
				if strings.Contains(stderr.String(), secret) {
					t.Errorf("stderr repeats the secret %q", secret)
				}
			}
		})
	}
}
