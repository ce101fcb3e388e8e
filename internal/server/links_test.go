package server

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/link"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/webhook"
)

var (
	lkKey    = []byte("0123456789abcdef0123456789abcdef-link-key")
	lkDigest = "sha256:" + strings.Repeat("a", 64)
	lkOther  = "sha256:" + strings.Repeat("b", 64)
	lkOld    = "sha256:" + strings.Repeat("c", 64)
)

// lkConfig is the config repository's .stagehand.yaml; extra goes into
// the preprod stage (soak, approvers).
func lkConfig(extra string) string {
	return "stages:\n  - name: staging\n    mode: auto-merge\n  - name: preprod\n    mode: pull-request\n" + extra +
		"  - name: prod\n    mode: manual\napps:\n  - name: web\n    image: ghcr.io/acme/web\n    tags:\n      semver: \">=0.1.0\"\n    stages:\n" +
		"      staging: apps/web/staging\n      preprod: apps/web/preprod\n      prod: apps/web/prod\n"
}

func lkKustomization(tag, digest string) string {
	return fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: ghcr.io/acme/web\n    newTag: %q\n    digest: %s\n", tag, digest)
}

// lkRepo is the base branch: files at one commit.
type lkRepo struct {
	mu    sync.Mutex
	files map[string]string
}

func (r *lkRepo) Branch(ctx context.Context, name string) (githubapp.Branch, error) {
	return githubapp.Branch{Name: name, SHA: "c0ffee"}, nil
}

func (r *lkRepo) ReadFile(ctx context.Context, path, ref string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ref != "c0ffee" {
		return nil, fmt.Errorf("read at %q, not the branch head", ref)
	}
	data, ok := r.files[path]
	if !ok {
		return nil, githubapp.ErrNotFound
	}
	return []byte(data), nil
}

func (r *lkRepo) set(path, data string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[path] = data
}

// lkEngine promotes as the real engine decides: it asks the gate with what
// its own snapshot holds (want), then opens PR #12.
type lkEngine struct {
	mu    sync.Mutex
	calls []string
	want  promote.Want // what the source stage pins on the engine's snapshot
	soak  time.Duration
	// approvers are the to stage's on the engine's snapshot.
	approvers []string
	err       error
}

func (e *lkEngine) PromoteIf(ctx context.Context, app, to string, allow promote.Allow) (promote.Outcome, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, app+"/"+to)
	out := promote.Outcome{App: app, Stage: to, From: manifest.Pinned{Found: true, Tag: "0.9.0", Digest: lkOld}, To: e.want}
	if e.err != nil {
		out.Result, out.Reason = promote.Refused, e.err.Error()
		return out, e.err
	}
	refusal, err := allow(ctx, config.Stage{Name: "staging"}, config.Stage{Name: to, Mode: config.PullRequest, Soak: e.soak, Approvers: e.approvers}, e.want)
	if err != nil || refusal != "" {
		out.Result, out.Reason = promote.Refused, refusal
		return out, err
	}
	out.Result, out.PR, out.PRURL = promote.Opened, 12, "https://github.example/acme/config/pull/12"
	return out, nil
}

func (e *lkEngine) promoted() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls)
}

// lkStore is the queue store: used links, actions, merges and holds.
type lkStore struct {
	mu      sync.Mutex
	used    map[string]bool
	uses    int
	actions []queue.Action
	done    map[string]queue.StageDone
	holds   map[string]queue.Hold
}

func (s *lkStore) UseLink(ctx context.Context, id string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uses++
	if s.used[id] {
		return false, nil
	}
	s.used[id] = true
	return true, nil
}

func (s *lkStore) RecordAction(ctx context.Context, a queue.Action) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actions = append(s.actions, a)
	return int64(len(s.actions)), nil
}

func (s *lkStore) LastDone(ctx context.Context, app, stage string) (queue.StageDone, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.done[app+"/"+stage]
	return d, ok, nil
}

func (s *lkStore) HoldOn(ctx context.Context, app, stage string) (queue.Hold, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.holds[app+"/"+stage]
	return h, ok, nil
}

// writes is everything a link could have changed: promotions asked for,
// links used and actions recorded.
func (w *lkWorld) writes() string {
	w.store.mu.Lock()
	defer w.store.mu.Unlock()
	return fmt.Sprintf("promotions %d, link uses %d, actions %d", w.engine.promoted(), w.store.uses, len(w.store.actions))
}

type lkWorld struct {
	url    string
	repo   *lkRepo
	engine *lkEngine
	store  *lkStore
	signer LinkSigner
}

// lkStart serves links over a base branch where staging runs 1.0.0 at
// lkDigest, merged an hour ago, and preprod runs 0.9.0.
func lkStart(t *testing.T, preprod string) *lkWorld {
	t.Helper()
	return lkStartWith(t, preprod, nil)
}

// lkStartWith is lkStart with GitHub sign-in when oauth is set.
func lkStartWith(t *testing.T, preprod string, oauth *LinkOAuth) *lkWorld {
	t.Helper()
	w := &lkWorld{
		repo: &lkRepo{files: map[string]string{
			".stagehand.yaml":                     lkConfig(preprod),
			"apps/web/staging/kustomization.yaml": lkKustomization("1.0.0", lkDigest),
			"apps/web/preprod/kustomization.yaml": lkKustomization("0.9.0", lkOld),
			"apps/web/prod/kustomization.yaml":    lkKustomization("0.9.0", lkOld),
		}},
		engine: &lkEngine{want: promote.Want{Image: "ghcr.io/acme/web", Tag: "1.0.0", Digest: lkDigest, From: "staging"}},
		store: &lkStore{used: map[string]bool{}, holds: map[string]queue.Hold{},
			done: map[string]queue.StageDone{"web/staging": {App: "web", Stage: "staging", Tag: "1.0.0", Digest: lkDigest, At: time.Now().Add(-time.Hour)}}},
	}
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	var err error
	if w.signer, err = NewLinkSigner(ts.URL, lkKey); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{GitHubSecret: ghSecret, Registries: webhook.Config{}, Queue: &fakeQueue{seen: map[string]bool{}},
		Ready: func(context.Context) error { return nil },
		Links: &LinkOptions{Signer: w.signer, Repo: w.repo, Engine: w.engine, Store: w.store, OAuth: oauth}})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", s.Handler())
	w.url = ts.URL
	return w
}

// link is a link for web from staging to preprod of digest.
func (w *lkWorld) link(t *testing.T, digest string) string {
	t.Helper()
	l := w.signer.Link("web", "staging", "preprod", digest)
	if !strings.HasPrefix(l, w.url+"/promote/") {
		t.Fatalf("link %q is not under %s/promote/", l, w.url)
	}
	return l
}

// lkResponse is what a browser gets.
type lkResponse struct {
	code   int
	header http.Header
	body   string // HTML entities decoded, as a person reads it
	raw    string
}

func lkDo(t *testing.T, method, u string, cookie *http.Cookie, form url.Values) lkResponse {
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
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return lkResponse{resp.StatusCode, resp.Header, html.UnescapeString(string(data)), string(data)}
}

var lkCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// visit GETs the link's page and returns the session cookie and the CSRF
// token of its form ("" when it offers none).
func lkVisit(t *testing.T, u string) (lkResponse, *http.Cookie, string) {
	t.Helper()
	r := lkDo(t, http.MethodGet, u, nil, nil)
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	csrf := ""
	if m := lkCSRFField.FindStringSubmatch(r.body); m != nil {
		csrf = m[1]
	}
	return r, session, csrf
}

func lkCheckHeaders(t *testing.T, r lkResponse) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "no-referrer",
		"Content-Type":            "text/html; charset=utf-8",
		"X-Frame-Options":         "DENY",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestLinkPageShowsThePromotionAndChangesNothing(t *testing.T) {
	w := lkStart(t, "    soak: 30m\n")
	u := w.link(t, lkDigest)
	for range 2 {
		r, session, csrf := lkVisit(t, u)
		if r.code != http.StatusOK {
			t.Fatalf("GET: %d\n%s", r.code, r.body)
		}
		lkCheckHeaders(t, r)
		for _, want := range []string{"Promote web to preprod?", "staging", "0.9.0", lkOld, "1.0.0", lkDigest,
			"Approvers:", "Hold:", "preprod is not held", "Soak:", "has run at least 30m0s in staging",
			"Confirming opens (or updates) the pull request for preprod", "the link itself is the permission"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the page does not say %q:\n%s", want, r.body)
			}
		}
		if csrf == "" || session == nil {
			t.Fatalf("no form to confirm (csrf %q, session %v)", csrf, session)
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || session.Path != "/promote/" {
			t.Errorf("session cookie %+v; want HttpOnly, SameSite=Strict, not Secure over http, path /promote/", session)
		}
		if strings.Contains(r.body, "<script") || strings.Contains(r.body, "src=") {
			t.Error("the page loads something")
		}
	}
	if got := w.writes(); got != "promotions 0, link uses 0, actions 0" {
		t.Errorf("GET wrote: %s", got)
	}
}

func TestLinkConfirmPromotesOnceAndRecordsIt(t *testing.T) {
	w := lkStart(t, "")
	u := w.link(t, lkDigest)
	_, session, csrf := lkVisit(t, u)
	r := lkDo(t, http.MethodPost, u, session, url.Values{"csrf": {csrf}})
	if r.code != http.StatusOK || !strings.Contains(r.body, "Promoted web to preprod") ||
		!strings.Contains(r.body, `href="https://github.example/acme/config/pull/12"`) || !strings.Contains(r.body, "stagehand opened the pull request for preprod") {
		t.Fatalf("POST: %d\n%s", r.code, r.body)
	}
	lkCheckHeaders(t, r)
	if w.engine.promoted() != 1 || w.engine.calls[0] != "web/preprod" {
		t.Fatalf("engine asked %v, want web/preprod once", w.engine.calls)
	}
	want := queue.Action{Actor: "link", Kind: "promote", App: "web", Stage: "preprod", FromTag: "0.9.0", FromDigest: lkOld,
		ToTag: "1.0.0", ToDigest: lkDigest, PR: 12, Result: "opened", Source: "link"}
	if len(w.store.actions) != 1 {
		t.Fatalf("actions %+v, want one", w.store.actions)
	}
	got := w.store.actions[0]
	got.At = time.Time{}
	if got != want {
		t.Errorf("recorded %+v\nwant     %+v", got, want)
	}

	r = lkDo(t, http.MethodPost, u, session, url.Values{"csrf": {csrf}})
	if r.code != http.StatusGone || !strings.Contains(r.body, "already used") {
		t.Errorf("the same POST again: %d\n%s", r.code, r.body)
	}
	if w.engine.promoted() != 1 {
		t.Errorf("a replayed link promoted again: %v", w.engine.calls)
	}
	if n := len(w.store.actions); n != 2 || w.store.actions[1].Result != "refused" || w.store.actions[1].Source != "link" {
		t.Errorf("the replay is not recorded as refused: %+v", w.store.actions)
	}
}

// Links that are not stagehand's, were changed, expired or no longer apply
// get a page that says so, for GET and POST alike, and change nothing;
// gates that may open later leave the link unused.
func TestLinkRefusals(t *testing.T) {
	tests := []struct {
		name    string
		preprod string // extra preprod settings
		link    func(w *lkWorld, t *testing.T) string
		before  func(w *lkWorld)
		code    int
		says    string
		records bool // a POST with a good CSRF token is recorded as refused
	}{{
		name: "malformed",
		link: func(w *lkWorld, t *testing.T) string { return w.url + "/promote/not-a-token" },
		code: http.StatusBadRequest, says: "not a valid stagehand link",
	}, {
		name: "tampered",
		link: func(w *lkWorld, t *testing.T) string {
			l := w.link(t, lkDigest)
			i := strings.Index(l, "/promote/") + len("/promote/") + 5
			c := byte('A')
			if l[i] == 'A' {
				c = 'B'
			}
			return l[:i] + string(c) + l[i+1:]
		},
		code: http.StatusBadRequest, says: "not a valid stagehand link",
	}, {
		name: "signed with another key",
		link: func(w *lkWorld, t *testing.T) string {
			other, _ := NewLinkSigner(w.url, []byte(strings.Repeat("k", MinLinkSecret)))
			return other.Link("web", "staging", "preprod", lkDigest)
		},
		code: http.StatusBadRequest, says: "not a valid stagehand link",
	}, {
		name: "expired",
		link: func(w *lkWorld, t *testing.T) string {
			tok, err := link.Sign(lkKey, link.Claims{App: "web", From: "staging", To: "preprod", Digest: lkDigest, Expires: time.Now().Add(-time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			return link.URL(w.url, tok)
		},
		code: http.StatusGone, says: "This link has expired",
	}, {
		name:   "superseded: staging moved on",
		before: func(w *lkWorld) { w.repo.set("apps/web/staging/kustomization.yaml", lkKustomization("1.1.0", lkOther)) },
		code:   http.StatusConflict, says: "staging runs 1.1.0@" + lkOther + " on main, not the image this link promotes (" + lkDigest + ")", records: true,
	}, {
		name: "the stages were reordered",
		before: func(w *lkWorld) {
			cfg := strings.Replace(lkConfig(""), "  - name: preprod\n    mode: pull-request\n", "", 1)
			w.repo.set(".stagehand.yaml", strings.Replace(cfg, "    mode: manual\n", "    mode: manual\n  - name: preprod\n    mode: pull-request\n", 1))
		},
		code: http.StatusConflict, says: "preprod no longer comes right after staging", records: true,
	}, {
		name:    "preprod names approvers",
		preprod: "    approvers: [\"@acme/qa\"]\n",
		code:    http.StatusForbidden, says: "only @acme/qa may promote into preprod, and a link cannot tell who clicked it", records: true,
	}, {
		name: "held",
		before: func(w *lkWorld) {
			w.store.holds["web/preprod"] = queue.Hold{App: "web", Stage: "preprod", By: "ann", Reason: "<b>QA</b> is testing"}
		},
		code: http.StatusConflict, says: "web is held in preprod by @ann: <b>QA</b> is testing", records: true,
	}, {
		name:    "not soaked yet",
		preprod: "    soak: 2h\n",
		code:    http.StatusConflict, says: "preprod requires the image to soak 2h0m0s in staging; it has run there 1h0m0s", records: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := lkStart(t, tt.preprod)
			u := ""
			if tt.link != nil {
				u = tt.link(w, t)
			} else {
				u = w.link(t, lkDigest)
			}
			// A form from a good visit, made before anything changed.
			_, session, csrf := lkVisit(t, w.link(t, lkDigest))
			if tt.before != nil {
				tt.before(w)
			}
			r, _, offered := lkVisit(t, u)
			if r.code != tt.code || !strings.Contains(r.body, tt.says) || !strings.Contains(r.body, "Nothing was changed") {
				t.Errorf("GET: %d, want %d saying %q and that nothing was changed:\n%s", r.code, tt.code, tt.says, r.body)
			}
			if offered != "" {
				t.Error("the page offers to confirm")
			}
			if strings.Contains(r.raw, "<b>") {
				t.Error("the page shows a hold's reason as HTML")
			}
			lkCheckHeaders(t, r)
			if tt.link == nil {
				// The CSRF token is bound to the link's ID, so only the
				// link the form came from can be posted with it.
				r = lkDo(t, http.MethodPost, u, session, url.Values{"csrf": {csrfFor(t, w, u, session)}})
			} else {
				r = lkDo(t, http.MethodPost, u, session, url.Values{"csrf": {csrf}})
			}
			if r.code != tt.code || !strings.Contains(r.body, tt.says) {
				t.Errorf("POST: %d, want %d saying %q:\n%s", r.code, tt.code, tt.says, r.body)
			}
			want := "promotions 0, link uses 0, actions 0"
			if tt.records {
				want = "promotions 0, link uses 0, actions 1"
			}
			if got := w.writes(); got != want {
				t.Errorf("wrote %s, want %s", got, want)
			}
			if tt.records && (w.store.actions[0].Result != "refused" || !strings.Contains(w.store.actions[0].Reason, tt.says)) {
				t.Errorf("recorded %+v", w.store.actions[0])
			}
		})
	}
}

// csrfFor is the token the page of u gives session.
func csrfFor(t *testing.T, w *lkWorld, u string, session *http.Cookie) string {
	t.Helper()
	if session == nil {
		t.Fatal("no session cookie: the page offered no form")
	}
	tok, _ := url.PathUnescape(u[strings.Index(u, "/promote/")+len("/promote/"):])
	c, err := link.Verify(lkKey, tok, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return link.CSRFToken(lkKey, c.ID, session.Value)
}

// A hold stops the link without using it up: once released, it works.
func TestLinkWaitsForAReleasedHold(t *testing.T) {
	w := lkStart(t, "")
	u := w.link(t, lkDigest)
	_, session, csrf := lkVisit(t, u)
	form := url.Values{"csrf": {csrf}}
	w.store.holds["web/preprod"] = queue.Hold{App: "web", Stage: "preprod", By: "ann"}
	if r := lkDo(t, http.MethodPost, u, session, form); r.code != http.StatusConflict {
		t.Fatalf("POST while held: %d\n%s", r.code, r.body)
	}
	delete(w.store.holds, "web/preprod")
	if r := lkDo(t, http.MethodPost, u, session, form); r.code != http.StatusOK || !strings.Contains(r.body, "pull/12") {
		t.Fatalf("POST once released: %d\n%s", r.code, r.body)
	}
}

func TestLinkConfirmNeedsTheFormsCSRFToken(t *testing.T) {
	w := lkStart(t, "")
	u := w.link(t, lkDigest)
	_, session, csrf := lkVisit(t, u)
	_, otherSession, _ := lkVisit(t, u)
	_, _, otherLinksCSRF := lkVisit(t, w.link(t, lkDigest))
	tests := []struct {
		name    string
		session *http.Cookie
		form    url.Values
	}{
		{"no session, no token", nil, url.Values{}},
		{"no token", session, url.Values{}},
		{"no session", nil, url.Values{"csrf": {csrf}}},
		{"wrong token", session, url.Values{"csrf": {strings.Repeat("A", len(csrf))}}},
		{"another session's cookie", otherSession, url.Values{"csrf": {csrf}}},
		{"another link's token", session, url.Values{"csrf": {otherLinksCSRF}}},
		{"the link token itself", session, url.Values{"csrf": {u[strings.LastIndex(u, "/")+1:]}}},
	}
	for _, tt := range tests {
		r := lkDo(t, http.MethodPost, u, tt.session, tt.form)
		if r.code != http.StatusForbidden || !strings.Contains(r.body, "Nothing was changed") {
			t.Errorf("%s: %d\n%s", tt.name, r.code, r.body)
		}
		lkCheckHeaders(t, r)
	}
	if got := w.writes(); got != "promotions 0, link uses 0, actions 0" {
		t.Errorf("refused POSTs wrote: %s", got)
	}
	if r := lkDo(t, http.MethodPost, u, session, url.Values{"csrf": {csrf}}); r.code != http.StatusOK {
		t.Errorf("the page's own form, after all that: %d\n%s", r.code, r.body)
	}
}

// The engine decides again on its own snapshot: when staging moved on
// between the page and the promotion, nothing is promoted.
func TestLinkGateHoldsOnTheEnginesSnapshot(t *testing.T) {
	w := lkStart(t, "")
	w.engine.want.Tag, w.engine.want.Digest = "1.1.0", lkOther
	u := w.link(t, lkDigest)
	_, session, csrf := lkVisit(t, u)
	r := lkDo(t, http.MethodPost, u, session, url.Values{"csrf": {csrf}})
	if r.code != http.StatusConflict || !strings.Contains(r.body, "Not promoted") || !strings.Contains(r.body, "staging runs 1.1.0@"+lkOther) {
		t.Fatalf("POST: %d\n%s", r.code, r.body)
	}
	if a := w.store.actions; len(a) != 1 || a[0].Result != "refused" || a[0].PR != 0 {
		t.Errorf("recorded %+v", a)
	}
}

func TestLinkEngineFailureIsReportedAndRecorded(t *testing.T) {
	w := lkStart(t, "")
	w.engine.err = errors.New("GitHub said 502")
	u := w.link(t, lkDigest)
	_, session, csrf := lkVisit(t, u)
	r := lkDo(t, http.MethodPost, u, session, url.Values{"csrf": {csrf}})
	if r.code != http.StatusBadGateway || !strings.Contains(r.body, "may not have happened") {
		t.Fatalf("POST: %d\n%s", r.code, r.body)
	}
	if a := w.store.actions; len(a) != 1 || a[0].Result != "failed" || a[0].Source != "link" {
		t.Errorf("recorded %+v", a)
	}
}

// Nothing to do: the page says so and offers nothing.
func TestLinkToAStageThatRunsItAlready(t *testing.T) {
	w := lkStart(t, "")
	w.repo.set("apps/web/preprod/kustomization.yaml", lkKustomization("1.0.0", lkDigest))
	r, _, csrf := lkVisit(t, w.link(t, lkDigest))
	if r.code != http.StatusOK || !strings.Contains(r.body, "preprod already runs 1.0.0@"+lkDigest) || csrf != "" {
		t.Errorf("GET: %d, form %v\n%s", r.code, csrf != "", r.body)
	}
}

// Behind an https proxy that serves stagehand under /stagehand/, the
// session cookie is Secure and its path is the one the browser sees.
func TestLinkSessionCookieIsSecureBehindHTTPS(t *testing.T) {
	s, err := NewLinkSigner("https://example.com/stagehand/", lkKey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{GitHubSecret: ghSecret, Queue: &fakeQueue{seen: map[string]bool{}}, Ready: func(context.Context) error { return nil },
		Links: &LinkOptions{Signer: s, Repo: &lkRepo{files: map[string]string{
			".stagehand.yaml":                     lkConfig(""),
			"apps/web/staging/kustomization.yaml": lkKustomization("1.0.0", lkDigest),
			"apps/web/preprod/kustomization.yaml": lkKustomization("0.9.0", lkOld),
		}}, Engine: &lkEngine{}, Store: &lkStore{}}})
	if err != nil {
		t.Fatal(err)
	}
	l := s.Link("web", "staging", "preprod", lkDigest)
	if !strings.HasPrefix(l, "https://example.com/stagehand/promote/") {
		t.Fatalf("link %q", l)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(l, "https://example.com/stagehand"), nil))
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusOK || len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/stagehand/promote/" {
		t.Errorf("GET: %d, cookies %+v; want one Secure, HttpOnly, SameSite=Strict cookie for /stagehand/promote/", rec.Code, cookies)
	}
}

func TestNewLinkSigner(t *testing.T) {
	tests := []struct {
		url  string
		key  []byte
		want string // "" means accepted
	}{
		{"https://stagehand.example.com", lkKey, ""},
		{"http://127.0.0.1:8080/", lkKey, ""},
		{"https://stagehand.example.com", lkKey[:MinLinkSecret-1], "must be at least 32"},
		{"stagehand.example.com", lkKey, "not an absolute http:// or https:// URL"},
		{"ftp://stagehand.example.com", lkKey, "not an absolute http:// or https:// URL"},
		{"https://stagehand.example.com/?x=1", lkKey, "not an absolute http:// or https:// URL"},
	}
	for _, tt := range tests {
		s, err := NewLinkSigner(tt.url, tt.key)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.url, err)
				continue
			}
			l := s.Link("web", "staging", "preprod", lkDigest)
			tok, ok := strings.CutPrefix(l, strings.TrimRight(tt.url, "/")+"/promote/")
			c, verr := link.Verify(tt.key, tok, time.Now())
			if !ok || verr != nil || c.App != "web" || c.From != "staging" || c.To != "preprod" || c.Digest != lkDigest ||
				c.Expires.Sub(time.Now()) < 23*time.Hour {
				t.Errorf("%s: link %q verifies as %+v, %v", tt.url, l, c, verr)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s, %d-byte key: %v, want %q", tt.url, len(tt.key), err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), string(tt.key)) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
}

func TestWithoutLinksThereIsNoPromoteRoute(t *testing.T) {
	ts, _ := newTestServer(t, &fakeQueue{seen: map[string]bool{}}, nil)
	r := lkDo(t, http.MethodGet, ts.URL+"/promote/anything", nil, nil)
	if r.code != http.StatusNotFound {
		t.Errorf("GET /promote/… without links: %d", r.code)
	}
}
