package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Repos finds the read model of each config repository served.
type Repos interface {
	// Reader is the read model of repository repo (owner/name, case-blind).
	Reader(repo string) (Reader, bool)
	// Served lists the repositories served, by name.
	Served() []string
}

// Repo is a config repository as the API lists it.
type Repo struct {
	Repo string `json:"repo"` // owner/name
	Apps string `json:"apps"` // the path of its apps
}

// RepoRoutes serves the API of every config repository under
// /api/v1/repos/{owner}/{repo}/…, the list of them on /api/v1/repos, and
// today's /api/v1/apps/… while stagehand serves one repository (with
// several, they answer 409 and name the repositories' paths).
func RepoRoutes(router chi.Router, repos Repos, log *slog.Logger) {
	router.Get("/api/v1/repos", func(w http.ResponseWriter, req *http.Request) {
		out := []Repo{}
		for _, name := range repos.Served() {
			out = append(out, Repo{Repo: name, Apps: "/api/v1/repos/" + name + "/apps"})
		}
		writeJSON(w, log, out, nil)
	})
	of := func(w http.ResponseWriter, req *http.Request) (Reader, bool) {
		name := chi.URLParam(req, "owner") + "/" + chi.URLParam(req, "repo")
		r, ok := repos.Reader(name)
		if !ok {
			writeJSON(w, log, nil, fmt.Errorf("%w: %s is not a config repository stagehand serves", ErrUnknownRepo, name))
		}
		return r, ok
	}
	router.Get("/api/v1/repos/{owner}/{repo}/apps", func(w http.ResponseWriter, req *http.Request) {
		if r, ok := of(w, req); ok {
			apps, err := r.Apps(req.Context())
			writeJSON(w, log, apps, err)
		}
	})
	router.Get("/api/v1/repos/{owner}/{repo}/apps/{app}/history", func(w http.ResponseWriter, req *http.Request) {
		if r, ok := of(w, req); ok {
			history(w, req, r, log)
		}
	})
	single := func(w http.ResponseWriter) (Reader, bool) {
		served := repos.Served()
		if len(served) == 1 {
			return repos.Reader(served[0])
		}
		writeJSON(w, log, nil, fmt.Errorf("%w: stagehand serves %d config repositories; ask /api/v1/repos/{owner}/{repo}/apps (see /api/v1/repos): %s",
			errAmbiguous, len(served), strings.Join(served, ", ")))
		return Reader{}, false
	}
	router.Get("/api/v1/apps", func(w http.ResponseWriter, req *http.Request) {
		if r, ok := single(w); ok {
			apps, err := r.Apps(req.Context())
			writeJSON(w, log, apps, err)
		}
	})
	router.Get("/api/v1/apps/{app}/history", func(w http.ResponseWriter, req *http.Request) {
		if r, ok := single(w); ok {
			history(w, req, r, log)
		}
	})
}

func history(w http.ResponseWriter, req *http.Request, r Reader, log *slog.Logger) {
	limit, _ := strconv.Atoi(req.URL.Query().Get("limit"))
	h, err := r.History(req.Context(), chi.URLParam(req, "app"), limit)
	writeJSON(w, log, h, err)
}

// ErrUnknownRepo is a repository stagehand does not serve.
var ErrUnknownRepo = fmt.Errorf("unknown config repository")

// errAmbiguous: a route of one repository asked of several.
var errAmbiguous = fmt.Errorf("which config repository?")
