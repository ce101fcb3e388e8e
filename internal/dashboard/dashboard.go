// Package dashboard is stagehand's web page: every app in every stage
// (what runs where, since when, put there by which PR, held, soaking,
// behind), each app's history, and buttons that promote, hold, release and
// roll back. It only reads and submits: what the buttons may do is decided
// by the engine's rules (promote.Engine.Board), and a button submits the
// same request a comment would, through the queue.
//
// Pages are rendered on the server with html/template; the stylesheet and
// the small script are embedded. Without JavaScript everything works (a
// button posts a form, the answer redirects back); with it the matrix
// refreshes itself by polling with ETags.
package dashboard

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

//go:embed assets
var assets embed.FS

// Boards decides what a person could do in every app and stage;
// *promote.Engine is one.
type Boards interface {
	Board(ctx context.Context, actor promote.Actor, permission string) (promote.Board, error)
}

// Records are what stagehand recorded; *store.Store is one.
type Records interface {
	Actions(ctx context.Context, app string, limit int) ([]store.Action, error)
	Merges(ctx context.Context, app string, limit int) ([]store.Merge, error)
}

// Submitter queues a request and tells how it ended; *work.Requests is one.
type Submitter interface {
	Submit(ctx context.Context, r promote.Request) error
	Outcome(ctx context.Context, id string) (store.Request, bool, error)
}

// Access is a person's permission on the config repository, as GitHub
// says; *githubapp.Client is one.
type Access interface {
	Permission(ctx context.Context, login string) (string, error)
}

// SignIn is GitHub sign-in and CSRF protection; *link.Handler is one.
type SignIn interface {
	SignInOn() bool
	SignedIn(r *http.Request) string
	SignInURL(next string) string
	FormToken(w http.ResponseWriter, r *http.Request, scope string) string
	CheckForm(r *http.Request, scope, token string) bool
	SignOut(w http.ResponseWriter)
}

// Options serve the dashboard. Boards, Records, Requests and Access are
// required; without SignIn the dashboard says how to turn sign-in on and
// shows nothing else.
type Options struct {
	Boards   Boards
	Records  Records
	Requests Submitter
	Access   Access
	SignIn   SignIn
	// RepoURL is the config repository on GitHub's web, for links to
	// PRs and commits: https://github.com/acme/config.
	RepoURL string
	// BasePath is the public URL's path ("" at the root): links in the
	// pages start with it.
	BasePath string
	// Mount is where under BasePath this dashboard answers ("" at its
	// root): /repos/acme/config for one of several config repositories.
	Mount string
	// Repo names the config repository shown, and Repos, when set, lists
	// the config repositories the viewer may read, for a switcher; both
	// are for a stagehand that serves several.
	Repo  string
	Repos func(ctx context.Context, login string) []RepoLink
	// Poll is how often the page asks for news; default 5s.
	Poll time.Duration
	// Wait is how long an action waits for its outcome before the page
	// says it is under way; default 8s, within the server's write timeout.
	Wait   time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Handler serves the dashboard.
type Handler struct {
	opts   Options
	log    *slog.Logger
	access accessCache
}

// New checks the options.
func New(opts Options) (*Handler, error) {
	if opts.Boards == nil || opts.Records == nil || opts.Requests == nil || opts.Access == nil {
		return nil, errors.New("dashboard: boards, records, a way to submit requests and GitHub access are required")
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.Wait <= 0 {
		opts.Wait = 8 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.RepoURL = strings.TrimRight(opts.RepoURL, "/")
	opts.Mount = strings.TrimRight(opts.Mount, "/")
	opts.BasePath = strings.TrimRight(opts.BasePath, "/") + opts.Mount
	h := &Handler{opts: opts, log: opts.Logger, access: accessCache{ttl: accessTTL, m: map[string]accessEntry{}}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// Routes serves the pages on r.
func (h *Handler) Routes(r chi.Router) {
	r.Get("/", h.matrix)
	r.Get("/apps/{app}", h.app)
	r.Post("/actions", h.act)
	r.Post("/signout", h.signOut)
	r.Get("/dashboard/assets/{name}", h.asset)
}

// viewer is who looks, once signed in and found able to read the config
// repository.
type viewer struct {
	Login, Permission string
}

// who signs the browser's person in and checks that they may read the
// config repository; when not, it has answered already and ok is false.
// A person without access learns nothing of the repository.
func (h *Handler) who(w http.ResponseWriter, r *http.Request, next string) (v viewer, ok bool) {
	if h.opts.SignIn == nil || !h.opts.SignIn.SignInOn() {
		h.render(w, http.StatusServiceUnavailable, "message", page{Title: "Sign-in is not configured",
			Message: "The dashboard shows the config repository only to people who sign in with GitHub and may read it. Set STAGEHAND_PUBLIC_URL, STAGEHAND_LINK_SECRET, STAGEHAND_GITHUB_CLIENT_ID and STAGEHAND_GITHUB_CLIENT_SECRET to turn it on."})
		return viewer{}, false
	}
	login := h.opts.SignIn.SignedIn(r)
	if login == "" {
		h.render(w, http.StatusUnauthorized, "message", page{Title: "Sign in to see the dashboard",
			Message: "stagehand shows what runs where to people who may read its config repository.", SignIn: h.opts.SignIn.SignInURL(next)})
		return viewer{}, false
	}
	perm, err := h.access.get(r.Context(), h.opts.Access, login, h.opts.Now())
	if err != nil {
		h.log.Error("dashboard: cannot read the viewer's permission", "login", login, "err", err)
		w.Header().Set("Retry-After", "30")
		h.render(w, http.StatusServiceUnavailable, "message", page{Title: "GitHub did not answer", Login: login,
			Message: "stagehand could not ask GitHub what you may see. Try again in a minute."})
		return viewer{}, false
	}
	if perm == "none" || perm == "" {
		h.log.Info("dashboard refused: no access to the config repository", "login", login)
		h.render(w, http.StatusForbidden, "message", page{Title: "Nothing to show", Login: login,
			Message: "Your GitHub account cannot read the config repository this stagehand serves. Ask its owners for access, then reload."})
		return viewer{}, false
	}
	return viewer{Login: login, Permission: perm}, true
}

// signOut forgets the browser's sign-in, when the form came from one of
// the dashboard's pages in this browser: another site cannot sign its
// visitors out.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	if h.opts.SignIn == nil || !h.opts.SignIn.SignInOn() {
		http.Redirect(w, r, h.opts.BasePath+"/", http.StatusSeeOther)
		return
	}
	login := h.opts.SignIn.SignedIn(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if login == "" || r.ParseForm() != nil || !h.opts.SignIn.CheckForm(r, formScope(login), r.PostForm.Get("csrf")) {
		h.render(w, http.StatusForbidden, "message", page{Title: "Not signed out", Home: h.opts.BasePath + "/",
			Message: "This sign-out did not come from the dashboard in this browser, or the page is out of date. Reload the dashboard and try again."})
		return
	}
	h.opts.SignIn.SignOut(w)
	h.log.Info("signed out of the dashboard", "login", login)
	http.Redirect(w, r, h.opts.BasePath+"/", http.StatusSeeOther)
}

// RepoLink is a config repository in the switcher.
type RepoLink struct {
	Name, Href string
	Current    bool
}

// switcher names the repository shown and the others the viewer may read.
func (h *Handler) switcher(ctx context.Context, pg *page, v viewer) {
	pg.Repo = h.opts.Repo
	if h.opts.Repos == nil {
		return
	}
	for _, l := range h.opts.Repos(ctx, v.Login) {
		l.Current = strings.EqualFold(l.Name, h.opts.Repo)
		pg.Repos = append(pg.Repos, l)
	}
}

// formScope binds a form's CSRF token to the person it was shown to.
func formScope(login string) string { return "dashboard\x00" + login }

// matrix is the main page: every app in every stage. ?part=main is the
// part the script polls for, answered 304 while its ETag holds.
func (h *Handler) matrix(w http.ResponseWriter, r *http.Request) {
	v, ok := h.who(w, r, h.opts.Mount+"/")
	if !ok {
		return
	}
	b, recent, err := h.read(r.Context(), v, "")
	if err != nil {
		h.unavailable(w, v, err)
		return
	}
	pg := h.matrixPage(b, recent, v)
	h.switcher(r.Context(), &pg, v)
	pg.CSRF = h.opts.SignIn.FormToken(w, r, formScope(v.Login))
	pg.Flash = h.flash(r)
	h.serve(w, r, "matrix", pg)
}

// app is one app: its stages with every button, the path of its images
// through the stages, and its history.
func (h *Handler) app(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "app")
	v, ok := h.who(w, r, h.opts.Mount+"/apps/"+name)
	if !ok {
		return
	}
	b, recent, err := h.read(r.Context(), v, name)
	if err != nil {
		h.unavailable(w, v, err)
		return
	}
	merges, err := h.opts.Records.Merges(r.Context(), name, 200)
	if err != nil {
		h.unavailable(w, v, err)
		return
	}
	pg, found := h.appPage(b, recent, merges, name, v)
	if !found {
		h.render(w, http.StatusNotFound, "message", page{Title: "No such app", Login: v.Login, Home: h.opts.BasePath + "/",
			Message: fmt.Sprintf("The configuration has no app %q.", name)})
		return
	}
	h.switcher(r.Context(), &pg, v)
	pg.CSRF = h.opts.SignIn.FormToken(w, r, formScope(v.Login))
	pg.Flash = h.flash(r)
	h.serve(w, r, "app", pg)
}

// read takes the board for the viewer and the recent actions (of app, or
// of every app).
func (h *Handler) read(ctx context.Context, v viewer, app string) (promote.Board, []store.Action, error) {
	b, err := h.opts.Boards.Board(ctx, promote.Actor{Login: v.Login}, v.Permission)
	if err != nil {
		return promote.Board{}, nil, err
	}
	limit := 1000
	if app != "" {
		limit = 200
	}
	recent, err := h.opts.Records.Actions(ctx, app, limit)
	if err != nil {
		return promote.Board{}, nil, err
	}
	return b, recent, nil
}

// serve renders a page, or with ?part=main only its main part, with an
// ETag of its bytes: a poll whose If-None-Match still holds gets 304.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, name string, pg page) {
	if r.URL.Query().Get("part") != "main" {
		h.render(w, http.StatusOK, name, pg)
		return
	}
	body, err := h.execute(name+"-main", pg)
	if err != nil {
		h.log.Error("dashboard: cannot render", "page", name, "err", err)
		http.Error(w, "internal error: cannot render the page", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	hd := w.Header()
	securityHeaders(hd)
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", "no-cache, private")
	hd.Set("Vary", "Cookie")
	if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (h *Handler) unavailable(w http.ResponseWriter, v viewer, err error) {
	h.log.Error("dashboard: cannot read", "login", v.Login, "err", err)
	var ce *promote.ConfigError
	msg := "GitHub or stagehand's database did not answer. Try again in a minute."
	if errors.As(err, &ce) {
		msg = ce.Error()
	}
	w.Header().Set("Retry-After", "30")
	h.render(w, http.StatusServiceUnavailable, "message", page{Title: "stagehand cannot read the config repository right now", Login: v.Login, Message: msg})
}

// accessTTL is how long a viewer's permission is trusted before GitHub is
// asked again: a page that polls every few seconds asks GitHub about its
// viewer at most once in that time.
const accessTTL = time.Minute

type accessEntry struct {
	perm string
	at   time.Time
}

// CachedAccess keeps the permissions a reads for accessTTL, as a dashboard
// keeps its viewers': for asking about a repository from outside its
// dashboard (which repositories a viewer may switch to) without asking
// GitHub on every page.
func CachedAccess(a Access) Access {
	return &cachedAccess{a: a, c: accessCache{ttl: accessTTL, m: map[string]accessEntry{}}}
}

type cachedAccess struct {
	a Access
	c accessCache
}

func (c *cachedAccess) Permission(ctx context.Context, login string) (string, error) {
	return c.c.get(ctx, c.a, login, time.Now())
}

// accessCache keeps viewers' permissions for a short while; it forgets
// everything when it holds too many.
type accessCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]accessEntry
}

func (c *accessCache) get(ctx context.Context, a Access, login string, now time.Time) (string, error) {
	c.mu.Lock()
	e, ok := c.m[login]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.perm, nil
	}
	perm, err := a.Permission(ctx, login)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if len(c.m) >= 1024 {
		clear(c.m)
	}
	c.m[login] = accessEntry{perm: perm, at: now}
	c.mu.Unlock()
	return perm, nil
}
