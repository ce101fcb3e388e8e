package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/dashboard"
	"github.com/stagehand-dev/stagehand/internal/fleet"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
	"github.com/stagehand-dev/stagehand/internal/work"
)

// dashboard is the web dashboard of one config repository: it shows the
// repository to people who sign in with GitHub (the link pages' sign-in)
// and may read it; without sign-in it says how to turn it on. opts lacks
// only what serve's settings give.
func (f *serveFlags) dashboard(opts dashboard.Options, repo string) (*dashboard.Handler, error) {
	if u, err := url.Parse(f.publicURL); err == nil && f.publicURL != "" {
		opts.BasePath = u.Path
	}
	if web, err := githubWebURL(f.github.apiURL, f.webURL); err == nil {
		opts.RepoURL = web + "/" + repo
	}
	return dashboard.New(opts)
}

// dashboards serve the dashboard of every config repository when stagehand
// serves several: each at /repos/{owner}/{repo}/, the first one at / too,
// with a switcher to the others the viewer may read.
type dashboards struct {
	f       *serveFlags
	repos   *fleet.Fleet
	st      *store.Store
	reqs    *work.Requests
	clients repoClients
	signIn  dashboard.SignIn
	log     *slog.Logger

	mu     sync.Mutex
	byRepo map[string]http.Handler     // by mount ("" for the root) and lower-case name
	access map[string]dashboard.Access // by lower-case name: viewers' permissions, kept a minute
}

func (d *dashboards) Routes(r chi.Router) {
	root := func(w http.ResponseWriter, req *http.Request) {
		repo, ok := d.repos.Default()
		if !ok {
			http.Error(w, "stagehand serves no config repository yet: install the App on a repository with a .stagehand.yaml on its default branch", http.StatusServiceUnavailable)
			return
		}
		d.handler(repo, "").ServeHTTP(w, req)
	}
	for _, p := range []string{"/", "/apps/{app}", "/dashboard/assets/{name}"} {
		r.Get(p, root)
	}
	r.Post("/actions", root)
	r.HandleFunc("/repos/{owner}/{repo}/*", func(w http.ResponseWriter, req *http.Request) {
		repo, ok := d.repos.Get(chi.URLParam(req, "owner") + "/" + chi.URLParam(req, "repo"))
		if !ok {
			http.NotFound(w, req)
			return
		}
		mount := "/repos/" + repo.Name
		prefix := "/repos/" + chi.URLParam(req, "owner") + "/" + chi.URLParam(req, "repo")
		http.StripPrefix(prefix, d.handler(repo, mount)).ServeHTTP(w, req)
	})
}

// handler is repo's dashboard mounted at mount, made on first use.
func (d *dashboards) handler(repo *fleet.Repo, mount string) http.Handler {
	key := mount + "\x00" + strings.ToLower(repo.Name)
	d.mu.Lock()
	defer d.mu.Unlock()
	if h, ok := d.byRepo[key]; ok {
		return h
	}
	access, err := d.accessLocked(repo.Name)
	var h *dashboard.Handler
	if err == nil {
		h, err = d.f.dashboard(dashboard.Options{Boards: repo.Engine.(*promote.Engine), Records: d.st.ForRepo(repo.Name),
			Requests: repoRequests{d.reqs, repo.Name}, Access: access, SignIn: d.signIn, Mount: mount, Repo: repo.Name,
			Repos: d.readable, Logger: d.log.With("repo", repo.Name)}, repo.Name)
	}
	if err != nil {
		d.log.Error("dashboard: cannot serve a repository", "repo", repo.Name, "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "the dashboard of this repository is not available", http.StatusInternalServerError)
		})
	}
	router := chi.NewRouter()
	h.Routes(router)
	d.byRepo[key] = router
	return router
}

// accessLocked is repo's viewers' permissions, shared by its dashboards and
// the switcher of every other; d.mu is held.
func (d *dashboards) accessLocked(repo string) (dashboard.Access, error) {
	key := strings.ToLower(repo)
	if a, ok := d.access[key]; ok {
		return a, nil
	}
	rc, err := d.clients.ForRepo(repo)
	if err != nil {
		return nil, err
	}
	a := dashboard.CachedAccess(rc)
	d.access[key] = a
	return a, nil
}

// readable lists the config repositories login may read, for the
// switcher; GitHub's answer is kept a minute, as the dashboard keeps its
// own repository's.
func (d *dashboards) readable(ctx context.Context, login string) []dashboard.RepoLink {
	base := ""
	if u, err := url.Parse(d.f.publicURL); err == nil {
		base = strings.TrimRight(u.Path, "/")
	}
	var out []dashboard.RepoLink
	for _, r := range d.repos.Repos() {
		d.mu.Lock()
		access, err := d.accessLocked(r.Name)
		d.mu.Unlock()
		if err != nil {
			continue
		}
		perm, err := access.Permission(ctx, login)
		if err != nil {
			continue // not shown rather than shown to someone who may not read it
		}
		if perm != "" && perm != "none" {
			out = append(out, dashboard.RepoLink{Name: r.Name, Href: base + "/repos/" + r.Name + "/"})
		}
	}
	return out
}

// repoRequests has the requests a repository's dashboard makes name the
// repository.
type repoRequests struct {
	*work.Requests
	repo string
}

func (q repoRequests) Submit(ctx context.Context, r promote.Request) error {
	r.Repo = q.repo
	return q.Requests.Submit(ctx, r)
}
