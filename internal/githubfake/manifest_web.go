package githubfake

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// The web side of GitHub's App manifest flow, beside the API as GitHub
// has it on its web host: the page a manifest is posted to, which
// registers the App and sends the browser back to the manifest's
// redirect_url with a code (and the state, unchanged), and the App's
// install page. There is no confirmation step: the person posting is
// taken to have clicked "Create GitHub App", as /login/oauth/authorize
// takes them to have signed in.

// serveAppsWeb answers the manifest flow's pages; ok is false for any
// other path.
func (s *Server) serveAppsWeb(w http.ResponseWriter, r *http.Request) (status int, ok bool) {
	p := r.URL.Path
	switch {
	case p == "/settings/apps/new" && r.Method == http.MethodPost:
		return s.newAppFromManifest(w, r, ""), true
	case strings.HasPrefix(p, "/organizations/") && strings.HasSuffix(p, "/settings/apps/new") && r.Method == http.MethodPost:
		org := strings.TrimSuffix(strings.TrimPrefix(p, "/organizations/"), "/settings/apps/new")
		if org == "" || strings.Contains(org, "/") {
			return 0, false
		}
		return s.newAppFromManifest(w, r, org), true
	case strings.HasPrefix(p, "/apps/") && strings.HasSuffix(p, "/installations/new") && r.Method == http.MethodGet:
		slug := strings.TrimSuffix(strings.TrimPrefix(p, "/apps/"), "/installations/new")
		if slug == "" || strings.Contains(slug, "/") {
			return 0, false
		}
		return s.installFromPage(w, slug), true
	}
	return 0, false
}

func webError(w http.ResponseWriter, code int, msg string) int {
	http.Error(w, "githubfake: "+msg, code)
	return code
}

// newAppFromManifest registers the posted manifest's App for org (the
// repository's owner; any other organization is unknown), or, with org
// "", for the person signed in (SetOAuthUser), and redirects to the
// manifest's redirect_url with the code and state.
func (s *Server) newAppFromManifest(w http.ResponseWriter, r *http.Request, org string) int {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return webError(w, http.StatusBadRequest, "cannot read the form")
	}
	m, err := parseManifest([]byte(r.PostForm.Get("manifest")))
	if err != nil {
		return webError(w, http.StatusUnprocessableEntity, err.Error())
	}
	back, err := url.Parse(m.RedirectURL)
	if err != nil || !back.IsAbs() {
		return webError(w, http.StatusUnprocessableEntity, "the manifest's redirect_url is not an absolute URL; the stand-in has nowhere to send the code")
	}
	s.mu.Lock()
	owner := org
	switch {
	case org != "" && !strings.EqualFold(org, s.opts.Owner):
		s.mu.Unlock()
		return webError(w, http.StatusNotFound, fmt.Sprintf("no organization %q", org))
	case org == "":
		owner = s.oauthUser
	}
	if owner == "" {
		s.mu.Unlock()
		return webError(w, http.StatusUnauthorized, "nobody is signed in to register an App for (SetOAuthUser)")
	}
	if s.closed {
		s.mu.Unlock()
		return webError(w, http.StatusServiceUnavailable, "closed")
	}
	code, err := s.newManifestCode(m, owner)
	s.mu.Unlock()
	if err != nil {
		return webError(w, http.StatusUnprocessableEntity, err.Error())
	}
	v := back.Query()
	v.Set("code", code)
	if state := r.URL.Query().Get("state"); state != "" {
		v.Set("state", state)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
	return http.StatusFound
}

// installFromPage installs the App on the repository, as its owner does on
// the install page. From then on the repository's events are delivered
// to the App's webhook (when its manifest gave one), signed with its
// secret and naming its installation; the stand-in delivers to one App's
// webhook at a time.
func (s *Server) installFromPage(w http.ResponseWriter, slug string) int {
	s.mu.Lock()
	var a *app
	for _, x := range s.apps {
		if x.Slug == slug {
			a = x
		}
	}
	if a == nil || s.closed {
		s.mu.Unlock()
		return webError(w, http.StatusNotFound, fmt.Sprintf("no App %q", slug))
	}
	if a.Installation == 0 {
		a.Installation = s.newID()
	}
	if a.hook.URL != "" {
		s.hookApp = a.ID
	}
	hook, id := a.hook, a.Installation
	s.mu.Unlock()
	if hook.URL != "" {
		s.SetWebhook(hook)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>Installed</title><p>%s is installed on %s/%s (installation %d).</p>\n",
		html.EscapeString(a.Name), html.EscapeString(s.opts.Owner), html.EscapeString(s.opts.Repo), id)
	return http.StatusOK
}
