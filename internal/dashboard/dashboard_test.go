package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/dashboard"
	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// The dashboard against the real engine, store and GitHub App client, on
// the GitHub stand-in seeded with n apps in four stages. Sign-in is a
// stand-in here (the browser test in cmd/stagehand signs in through the
// link pages' real one): the login comes from a header.

var stages = []string{"dev", "staging", "preprod", "prod"}

// seed writes a config repository of n apps, each one version further on
// in each earlier stage, so that every stage after the first is behind.
func seed(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	var cfg strings.Builder
	cfg.WriteString("stages:\n  - name: dev\n    mode: auto-merge\n  - name: staging\n    mode: auto-merge\n  - name: preprod\n    mode: pull-request\n  - name: prod\n    mode: manual\n    soak: 1h\napps:\n")
	for i := range n {
		app := fmt.Sprintf("app%03d", i)
		fmt.Fprintf(&cfg, "  - name: %s\n    image: ghcr.io/acme/%s\n    tags:\n      semver: \">=1.0.0\"\n    stages:\n", app, app)
		for j, st := range stages {
			path := fmt.Sprintf("apps/%s/%s", app, st)
			fmt.Fprintf(&cfg, "      %s: %s\n", st, path)
			tag := fmt.Sprintf("1.0.%d", len(stages)-j)
			kust := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base\nimages:\n  - name: ghcr.io/acme/%s\n    newTag: %s\n    digest: %s\n", app, tag, digest(i, len(stages)-j))
			write(tb, filepath.Join(dir, path, "kustomization.yaml"), kust)
		}
	}
	write(tb, filepath.Join(dir, ".stagehand.yaml"), cfg.String())
	return dir
}

func digest(app, version int) string { return fmt.Sprintf("sha256:%060d%04d", app, version) }

func write(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// signIn is the sign-in stand-in: the login is the X-Login header, the
// CSRF token names the scope.
type signIn struct{}

func (signIn) SignInOn() bool                  { return true }
func (signIn) SignedIn(r *http.Request) string { return r.Header.Get("X-Login") }
func (signIn) SignInURL(next string) string {
	return "https://stagehand.test/oauth/login?next=" + url.QueryEscape(next)
}
func (signIn) FormToken(http.ResponseWriter, *http.Request, string) string { return "token" }
func (signIn) CheckForm(r *http.Request, scope, token string) bool {
	return token == "token" && scope == "dashboard\x00"+r.Header.Get("X-Login")
}

func (signIn) SignOut(w http.ResponseWriter) { w.Header().Set("X-Signed-Out", "yes") }

// queue records what was submitted and answers that it is done.
type queue struct {
	mu   sync.Mutex
	reqs []promote.Request
}

func (q *queue) Submit(_ context.Context, r promote.Request) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reqs = append(q.reqs, r)
	return nil
}

func (q *queue) Outcome(_ context.Context, id string) (store.Request, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, r := range q.reqs {
		if r.ID == id {
			return store.Request{ID: id, Kind: string(r.Kind), App: r.App, Stage: r.Stage, Actor: r.Actor.Login, State: store.Done, Result: "opened", PR: 7}, true, nil
		}
	}
	return store.Request{}, false, nil
}

type world struct {
	wd      *demo.World
	handler http.Handler
	queue   *queue
}

func start(tb testing.TB, apps int, validate bool) *world {
	tb.Helper()
	ctx := context.Background()
	wd, err := demo.Start(ctx, demo.Options{Seed: seed(tb, apps), Validate: validate})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(wd.Close)
	wd.GitHub.SetPermission("will", "write")
	wd.GitHub.SetPermission("rita", "read")
	// What stagehand merged: prod's image, an hour ago, and a hold.
	for i := range apps {
		app := fmt.Sprintf("app%03d", i)
		if _, err := wd.Store.RecordMerge(ctx, store.Merge{App: app, Stage: "prod", Image: "ghcr.io/acme/" + app, Tag: "1.0.1", Digest: digest(i, 1), PR: 1000 + i,
			MergeSHA: fmt.Sprintf("%040d", i), MergedBy: "octocat", At: time.Now().Add(-time.Hour)}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := wd.Store.PlaceHold(ctx, store.Hold{App: "app001", Stage: "prod", By: "octocat", Reason: "incident 42", At: time.Now()}); err != nil {
		tb.Fatal(err)
	}
	// app000's preprod image was merged 20 minutes ago: prod takes it after
	// an hour. A push of app000 into dev was refused since.
	if _, err := wd.Store.RecordMerge(ctx, store.Merge{App: "app000", Stage: "preprod", Tag: "1.0.2", Digest: digest(0, 2), PR: 900, MergedBy: "octocat", At: time.Now().Add(-20 * time.Minute)}); err != nil {
		tb.Fatal(err)
	}
	if _, err := wd.Store.RecordAction(ctx, store.Action{At: time.Now(), Actor: "stagehand", Kind: "push", App: "app000", Stage: "dev", ToTag: "1.0.9", Result: "refused", Reason: "dev is held", Source: "push"}); err != nil {
		tb.Fatal(err)
	}
	q := &queue{}
	h, err := dashboard.New(dashboard.Options{Boards: wd.Engine, Records: wd.Store, Requests: q, Access: wd.Client, SignIn: signIn{},
		RepoURL: "https://github.com/acme/config", Wait: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	r := chi.NewRouter()
	h.Routes(r)
	return &world{wd: wd, handler: r, queue: q}
}

func (w *world) do(tb testing.TB, method, target, login string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	tb.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if login != "" {
		req.Header.Set("X-Login", login)
	}
	rec := httptest.NewRecorder()
	w.handler.ServeHTTP(rec, req)
	return rec
}

// TestDashboardAccess: signed out, and without access, a person sees
// nothing of the repository; a reader sees the matrix with no enabled
// button and why; a writer can promote what is behind.
func TestDashboardAccess(t *testing.T) {
	t.Parallel()
	w := start(t, 3, true)
	for _, c := range []struct {
		login string
		code  int
		want  string
	}{
		{"", http.StatusUnauthorized, "Sign in with GitHub"},
		{"mallory", http.StatusForbidden, "cannot read the config repository"},
	} {
		rec := w.do(t, http.MethodGet, "/", c.login, nil, nil)
		body := rec.Body.String()
		if rec.Code != c.code || !strings.Contains(body, c.want) || strings.Contains(body, "app00") || strings.Contains(body, "1.0.") {
			t.Errorf("%q: %d, want %d saying %q and nothing of the repository:\n%s", c.login, rec.Code, c.code, c.want, body)
		}
		if rec := w.do(t, http.MethodGet, "/apps/app000", c.login, nil, nil); rec.Code != c.code || strings.Contains(rec.Body.String(), "1.0.") {
			t.Errorf("%q on an app's page: %d\n%s", c.login, rec.Code, rec.Body)
		}
	}

	rec := w.do(t, http.MethodGet, "/", "rita", nil, nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `id="app-app002"`) || !strings.Contains(body, "behind") {
		t.Fatalf("reader: %d\n%s", rec.Code, body)
	}
	if n := strings.Count(body, `<button name="act"`); n != 0 {
		t.Errorf("a reader has %d enabled buttons", n)
	}
	if !strings.Contains(body, "@rita may not promote into staging") || strings.Count(body, "<button type=\"button\" disabled") != 9 {
		t.Errorf("a reader's buttons: want 9 disabled ones (3 apps, 3 stages behind) saying why:\n%s", body)
	}

	rec = w.do(t, http.MethodGet, "/", "will", nil, nil)
	body = rec.Body.String()
	for _, want := range []string{
		`value="promote app000 staging"`, // enabled: staging is behind dev
		"held</span> <small>by @octocat: incident 42",
		"https://github.com/acme/config/pull/1000",
		"soaking</span> <small>40m left before prod",
		"refused last push</span> <small>dev is held",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("writer's matrix lacks %q", want)
		}
	}
	// Held in prod: the promotion there is off, and says why.
	if strings.Contains(body, `value="promote app001 prod"`) || !strings.Contains(body, "app001 is held in prod") {
		t.Errorf("app001 is held in prod, yet its promotion is not off with the reason:\n%s", body)
	}
	// prod soaks an hour: preprod's image was never seen merged, so it has not soaked.
	if strings.Contains(body, `value="promote app000 prod"`) {
		t.Errorf("promotion into prod offered though the image has not soaked in preprod")
	}
}

// TestDashboardActions: a button submits the request a comment would, by
// the person signed in; a form from elsewhere submits nothing.
func TestDashboardActions(t *testing.T) {
	t.Parallel()
	w := start(t, 2, false)
	rec := w.do(t, http.MethodPost, "/actions", "will", url.Values{"csrf": {"forged"}, "act": {"promote app000 staging"}}, nil)
	if rec.Code != http.StatusForbidden || len(w.queue.reqs) != 0 {
		t.Fatalf("forged form: %d, %d submitted", rec.Code, len(w.queue.reqs))
	}
	for _, act := range []string{"", "promote app000", "deploy app000 staging", "promote ../x staging", "promote app000 staging extra", "hold App000 prod"} {
		if rec := w.do(t, http.MethodPost, "/actions", "will", url.Values{"csrf": {"token"}, "act": {act}}, nil); rec.Code != http.StatusBadRequest || len(w.queue.reqs) != 0 {
			t.Fatalf("act %q: %d, %d submitted; want 400 and nothing", act, rec.Code, len(w.queue.reqs))
		}
	}
	rec = w.do(t, http.MethodPost, "/actions", "", url.Values{"csrf": {"token"}, "act": {"promote app000 staging"}}, nil)
	if rec.Code != http.StatusUnauthorized || len(w.queue.reqs) != 0 {
		t.Fatalf("signed out: %d, %d submitted", rec.Code, len(w.queue.reqs))
	}
	rec = w.do(t, http.MethodPost, "/actions", "will", url.Values{"csrf": {"token"}, "act": {"hold app001 prod"}, "reason": {"  bad release "}, "next": {"app"}}, nil)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/apps/app001?done=") {
		t.Fatalf("hold: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = w.do(t, http.MethodPost, "/actions", "will", url.Values{"csrf": {"token"}, "act": {"promote app000 staging"}}, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("promote: %d", rec.Code)
	}
	if len(w.queue.reqs) != 2 {
		t.Fatalf("%d requests submitted, want 2", len(w.queue.reqs))
	}
	hold, prom := w.queue.reqs[0], w.queue.reqs[1]
	if hold.Kind != promote.Hold || hold.App != "app001" || hold.Stage != "prod" || hold.Reason != "bad release" || hold.Actor.Login != "will" || hold.Source != promote.FromDashboard || hold.ID == "" {
		t.Errorf("hold request %+v", hold)
	}
	if prom.Kind != promote.Promote || prom.App != "app000" || prom.Stage != "staging" || prom.Digest != "" || prom.Actor.Login != "will" || prom.Source != promote.FromDashboard {
		t.Errorf("promote request %+v, want what `/promote app000 to staging` by will asks", prom)
	}
	// The page the browser goes back to says how it ended.
	loc := rec.Header().Get("Location")
	if page := w.do(t, http.MethodGet, loc, "will", nil, nil).Body.String(); !strings.Contains(page, "promote app000 to staging: opened") {
		t.Errorf("after the promotion, %s says:\n%s", loc, page)
	}
}

// TestDashboardSignOut: the page offers to sign out; signing out takes
// the form's token, so another site cannot sign a viewer out.
func TestDashboardSignOut(t *testing.T) {
	t.Parallel()
	w := start(t, 1, false)
	if body := w.do(t, http.MethodGet, "/", "rita", nil, nil).Body.String(); !strings.Contains(body, `action="/signout"`) || !strings.Contains(body, "Sign out") {
		t.Errorf("the matrix offers no sign-out:\n%s", body)
	}
	for _, c := range []struct{ login, csrf string }{{"rita", "forged"}, {"rita", ""}, {"", "token"}} {
		rec := w.do(t, http.MethodPost, "/signout", c.login, url.Values{"csrf": {c.csrf}}, nil)
		if rec.Code != http.StatusForbidden || rec.Header().Get("X-Signed-Out") != "" {
			t.Errorf("sign-out by %q with token %q: %d, signed out %q; want 403 and still signed in", c.login, c.csrf, rec.Code, rec.Header().Get("X-Signed-Out"))
		}
	}
	rec := w.do(t, http.MethodPost, "/signout", "rita", url.Values{"csrf": {"token"}}, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" || rec.Header().Get("X-Signed-Out") != "yes" {
		t.Errorf("sign-out: %d to %q, signed out %q; want 303 to / and signed out", rec.Code, rec.Header().Get("Location"), rec.Header().Get("X-Signed-Out"))
	}
}

// TestDashboardPolls: the main part answers 304 while its ETag holds.
func TestDashboardPolls(t *testing.T) {
	t.Parallel()
	w := start(t, 2, false)
	rec := w.do(t, http.MethodGet, "/?part=main", "will", nil, nil)
	etag := rec.Header().Get("ETag")
	if rec.Code != http.StatusOK || etag == "" || strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("poll: %d, ETag %q", rec.Code, etag)
	}
	if rec := w.do(t, http.MethodGet, "/?part=main", "will", nil, http.Header{"If-None-Match": {etag}}); rec.Code != http.StatusNotModified {
		t.Fatalf("poll with the same ETag: %d, want 304", rec.Code)
	}
	if err := w.wd.Store.PlaceHold(context.Background(), store.Hold{App: "app000", Stage: "dev", By: "will", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if rec := w.do(t, http.MethodGet, "/?part=main", "will", nil, http.Header{"If-None-Match": {etag}}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "by @will") {
		t.Fatalf("poll after a hold: %d, want the new part", rec.Code)
	}
}

// TestDashboardPageWeight: 100 apps in 4 stages, every stage after the
// first behind and promotable, weigh under 200 KB.
func TestDashboardPageWeight(t *testing.T) {
	t.Parallel()
	w := start(t, 100, false)
	rec := w.do(t, http.MethodGet, "/", "will", nil, nil)
	if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `<tr id="app-`) != 100 {
		t.Fatalf("%d\n%.2000s", rec.Code, rec.Body)
	}
	size := rec.Body.Len()
	t.Logf("the matrix of 100 apps × 4 stages weighs %d bytes", size)
	if size >= 200<<10 {
		t.Errorf("the page weighs %d bytes, want under 200 KB", size)
	}
}

// BenchmarkDashboard is the server's time for the matrix of 100 apps in 4
// stages, for a writer: the board (one revalidated GitHub request for the
// branch head, files from the cache of its tree, the records), the
// decisions and the HTML.
func BenchmarkDashboard(b *testing.B) {
	w := start(b, 100, false)
	w.do(b, http.MethodGet, "/", "will", nil, nil) // warm: the tree's files read once
	b.ResetTimer()
	for b.Loop() {
		if rec := w.do(b, http.MethodGet, "/", "will", nil, nil); rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// TestDashboardHealth: a stage that verifies shows its health gate, and a
// promotion from a stage whose gate failed is off, saying why, as the
// promotion itself would be refused.
func TestDashboardHealth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := seed(t, 1)
	cfgPath := filepath.Join(dir, ".stagehand.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	write(t, cfgPath, strings.Replace(string(cfg), "    mode: pull-request\n", "    mode: pull-request\n    verify:\n      - context: argocd/app000-preprod\n", 1))
	wd, err := demo.Start(ctx, demo.Options{Seed: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wd.Close)
	wd.GitHub.SetPermission("will", "write")
	at := time.Now().Add(-time.Hour)
	if _, err := wd.Store.RecordMerge(ctx, store.Merge{App: "app000", Stage: "preprod", Tag: "1.0.2", Digest: digest(0, 2), PR: 900, MergedBy: "octocat", At: at}); err != nil {
		t.Fatal(err)
	}
	dep := store.Deployment{App: "app000", Stage: "preprod", PR: 900, Tag: "1.0.2", Digest: digest(0, 2), State: store.DeployVerifying, MergedAt: at, Deadline: at.Add(30 * time.Minute)}
	if _, err := wd.Store.StartDeployment(ctx, dep); err != nil {
		t.Fatal(err)
	}
	dep.State, dep.DoneAt, dep.Context, dep.Description, dep.TargetURL = store.DeployFailed, at.Add(5*time.Minute), "argocd/app000-preprod", "Degraded", "https://argocd.example.com/applications/app000-preprod"
	if _, err := wd.Store.SettleDeployment(ctx, dep); err != nil {
		t.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Options{Boards: wd.Engine, Records: wd.Store, Requests: &queue{}, Access: wd.Client, SignIn: signIn{}, RepoURL: "https://github.com/acme/config"})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	h.Routes(r)
	w := &world{wd: wd, handler: r}
	body := w.do(t, http.MethodGet, "/apps/app000", "will", nil, nil).Body.String()
	for _, want := range []string{
		`<span class="st unhealthy">unhealthy</span> <a href="https://argocd.example.com/applications/app000-preprod">status argocd/app000-preprod is failing: Degraded</a>`,
		"it failed its health check in preprod",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("app000's page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, `value="promote app000 prod"`) {
		t.Errorf("promotion into prod offered from a preprod whose health gate failed")
	}
}

// TestDashboardOfOneOfSeveral: mounted for one of several config
// repositories, the pages link under the mount, name the repository, and
// offer the others the viewer may read.
func TestDashboardOfOneOfSeveral(t *testing.T) {
	t.Parallel()
	w := start(t, 2, false)
	readable := func(_ context.Context, login string) []dashboard.RepoLink {
		out := []dashboard.RepoLink{{Name: "acme/config", Href: "/repos/acme/config/"}}
		if login == "will" {
			out = append(out, dashboard.RepoLink{Name: "acme/team-b", Href: "/repos/acme/team-b/"})
		}
		return out
	}
	h, err := dashboard.New(dashboard.Options{Boards: w.wd.Engine, Records: w.wd.Store, Requests: w.queue, Access: w.wd.Client, SignIn: signIn{},
		Mount: "/repos/acme/config", Repo: "acme/config", Repos: readable, Wait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	h.Routes(r)
	w.handler = http.StripPrefix("/repos/acme/config", r)

	page := w.do(t, http.MethodGet, "/repos/acme/config/", "will", nil, nil).Body.String()
	for _, want := range []string{`<span class="repo">acme/config</span>`, `<a href="/repos/acme/config/" aria-current="page">acme/config</a>`,
		`<a href="/repos/acme/team-b/">acme/team-b</a>`, `href="/repos/acme/config/apps/app000"`} {
		if !strings.Contains(page, want) {
			t.Errorf("will's page lacks %s", want)
		}
	}
	if page := w.do(t, http.MethodGet, "/repos/acme/config/", "rita", nil, nil).Body.String(); strings.Contains(page, "team-b") || strings.Contains(page, `class="repos"`) {
		t.Error("rita, who reads one repository, is offered others")
	}
}
