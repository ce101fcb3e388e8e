package githubfake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// One App installation spans several repositories of the owner: the fake
// New returns is the first (the primary), and AddRepo makes others, each
// a fake of its own (its own git repository, pull requests, comments)
// served on the primary's address. Tokens are the installation's, good on
// every repository it includes; webhooks go to the one App webhook, in
// the order they happen.

// tokenBook holds the installation tokens of every repository's fake.
type tokenBook struct {
	mu     sync.Mutex
	tokens map[string]bookedToken
}

type bookedToken struct {
	expires      time.Time
	app          int64 // 0: Options' App
	installation int64 // Options' App's installation the token is of
}

func newTokenBook() *tokenBook { return &tokenBook{tokens: map[string]bookedToken{}} }

func (b *tokenBook) put(token string, t bookedToken) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens[token] = t
}

func (b *tokenBook) get(token string) (bookedToken, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.tokens[token]
	return t, ok
}

// RepoOptions describe another repository.
type RepoOptions struct {
	// Owner defaults to the primary's. Installation, when set and not
	// the primary's, is another installation of the App (on Owner's
	// account): its tokens see its repositories only.
	Owner         string
	Installation  int64
	Name          string
	DefaultBranch string // default "main"
	// Seed and SeedFiles make its first commit, as Options' do.
	Seed      string
	SeedFiles map[string][]byte
	// Installed puts it in the App's installation from the start; else
	// InstallRepo adds it later.
	Installed bool
}

// AddRepo makes another repository of the owner, served beside the
// primary's at the same address. Call it on the fake New returned.
func (s *Server) AddRepo(o RepoOptions) (*Server, error) {
	if s.primary != nil {
		return nil, errors.New("githubfake: AddRepo is the primary fake's")
	}
	owner := cmp.Or(o.Owner, s.opts.Owner)
	if (strings.EqualFold(owner, s.opts.Owner) && strings.EqualFold(o.Name, s.opts.Repo)) || s.repoNamed(owner+"/"+o.Name) != nil {
		return nil, fmt.Errorf("%w: repository %s/%s exists", ErrOptions, owner, o.Name)
	}
	opts := s.opts
	opts.Owner, opts.InstallationID = owner, cmp.Or(o.Installation, s.opts.InstallationID)
	opts.Repo, opts.DefaultBranch, opts.Seed, opts.SeedFiles = o.Name, o.DefaultBranch, o.Seed, o.SeedFiles
	opts.Webhook = nil
	sib, err := newServer(opts, s)
	if err != nil {
		return nil, err
	}
	sib.installed.Store(o.Installed)
	s.reposMu.Lock()
	s.repos = append(s.repos, sib)
	s.reposMu.Unlock()
	return sib, nil
}

// InstallRepo adds the repository named (name, or owner/name) to its
// installation and sends installation_repositories (added).
func (s *Server) InstallRepo(name string) error { return s.setInstalled(name, true) }

// UninstallRepo removes it and sends installation_repositories (removed).
func (s *Server) UninstallRepo(name string) error { return s.setInstalled(name, false) }

func (s *Server) setInstalled(name string, on bool) error {
	sib := s.repoNamed(name)
	if sib == nil {
		return fmt.Errorf("repository %s: %w", name, ErrNotFound)
	}
	if sib.installed.Swap(on) == on {
		return nil
	}
	// The event is the installation's: the sibling renders it.
	if err := sib.lock(); err != nil {
		return err
	}
	defer sib.mu.Unlock()
	if !s.hooksOn() {
		return nil
	}
	short := sib.repoShort()
	added, removed := []any{short}, []any{}
	action := "added"
	if !on {
		added, removed, action = []any{}, []any{short}, "removed"
	}
	payload := sib.installationHook(action)
	payload["repository_selection"] = "selected"
	payload["repositories_added"] = added
	payload["repositories_removed"] = removed
	sib.enqueue("installation_repositories", action, payload)
	return nil
}

// InstallationEvent sends installation with action "created" (the App
// installed, listing its repositories) or "deleted".
func (s *Server) InstallationEvent(action string) error {
	if action != "created" && action != "deleted" {
		return fmt.Errorf("githubfake: installation action %q: created or deleted", action)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if !s.hooksOn() {
		return nil
	}
	payload := s.installationHook(action)
	var repos []any
	for _, r := range s.reposOf(s.opts.InstallationID) {
		if r == s {
			repos = append(repos, s.repoShort())
			continue
		}
		r.mu.Lock()
		repos = append(repos, r.repoShort())
		r.mu.Unlock()
	}
	payload["repositories"] = repos
	s.enqueue("installation", action, payload)
	return nil
}

// installationHook is what installation events carry besides their own
// fields. Callers hold mu.
func (s *Server) installationHook(action string) map[string]any {
	return map[string]any{
		"action":       action,
		"installation": s.installationJSON(s.apps[s.opts.AppID]),
		"organization": s.hookOrganization(),
		"requester":    nil,
		"sender":       s.user(s.opts.Owner),
	}
}

// repoShort is a repository as installation events list it. Callers hold
// mu.
func (s *Server) repoShort() map[string]any {
	id := s.repoID()
	return map[string]any{
		"id": id, "node_id": nodeID("Repository", id), "name": s.opts.Repo,
		"full_name": s.opts.Owner + "/" + s.opts.Repo, "private": true,
	}
}

// siblings are the primary's other repositories.
func (s *Server) siblings() []*Server {
	s.reposMu.RLock()
	defer s.reposMu.RUnlock()
	return append([]*Server(nil), s.repos...)
}

// reposOf are the repositories installation inst includes, the primary
// first.
func (s *Server) reposOf(inst int64) []*Server {
	p := s
	if s.primary != nil {
		p = s.primary
	}
	var out []*Server
	if p.opts.InstallationID == inst {
		out = append(out, p)
	}
	for _, r := range p.siblings() {
		if r.installed.Load() && r.opts.InstallationID == inst {
			out = append(out, r)
		}
	}
	return out
}

// repoNamed finds a sibling by owner/name, or by name of the primary's
// owner.
func (s *Server) repoNamed(name string) *Server {
	owner, repo, ok := strings.Cut(name, "/")
	if !ok {
		owner, repo = s.opts.Owner, name
	}
	for _, r := range s.siblings() {
		if strings.EqualFold(r.opts.Owner, owner) && strings.EqualFold(r.opts.Repo, repo) {
			return r
		}
	}
	return nil
}

// repoOfPath finds the sibling a /repos/{owner}/{repo}/… or
// /raw/{owner}/{repo}/… path names; nil for the primary's own or none.
func (s *Server) repoOfPath(escaped string) (sib *Server, installed bool) {
	rest, ok := strings.CutPrefix(escaped, "/repos/")
	if !ok {
		if rest, ok = strings.CutPrefix(escaped, "/raw/"); !ok {
			return nil, false
		}
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 {
		return nil, false
	}
	owner, err1 := url.PathUnescape(parts[0])
	name, err2 := url.PathUnescape(parts[1])
	if err1 != nil || err2 != nil {
		return nil, false
	}
	r := s.repoNamed(owner + "/" + name)
	if r == nil {
		return nil, false
	}
	return r, r.installed.Load()
}

// listInstallations answers apps/list-installations: the App's one
// installation, when it has one.
func (s *Server) listInstallations(ctx context.Context, c *call) reply {
	a := s.appByBot(c.actor)
	out := []any{}
	if a != nil && a.Installation != 0 {
		out = append(out, s.installationJSON(a))
	}
	if a == nil || a.ID != s.opts.AppID {
		return ok(out)
	}
	// The App's other installations, each on its own account.
	seen := map[int64]bool{s.opts.InstallationID: true}
	for _, r := range s.siblings() {
		if id := r.opts.InstallationID; !seen[id] && r.installed.Load() {
			seen[id] = true
			r.mu.Lock()
			out = append(out, r.installationJSON(r.apps[r.opts.AppID]))
			r.mu.Unlock()
		}
	}
	return ok(out)
}

// listInstallationRepos answers apps/list-repos-accessible-to-installation
// for the token's installation: every repository it includes (Options'
// App), or the primary alone (an App made from a manifest).
func (s *Server) listInstallationRepos(ctx context.Context, c *call) reply {
	repos := []*Server{s}
	if a := s.appByBot(c.actor); a != nil && a.ID == s.opts.AppID {
		repos = s.reposOf(cmp.Or(c.installation, s.opts.InstallationID))
	}
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(repos), perPage, page)
	list := []any{}
	for _, r := range repos[from:to] {
		if r == s {
			list = append(list, s.repository())
			continue
		}
		r.mu.Lock()
		list = append(list, r.repository())
		r.mu.Unlock()
	}
	rep := ok(map[string]any{"total_count": len(repos), "repositories": list, "repository_selection": "selected"})
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}
