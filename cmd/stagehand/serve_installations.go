package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/fleet"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
)

// repoClients give serve the GitHub client of each config repository, the
// installations' repositories for the fleet, and the calls made, for the
// metrics.
type repoClients interface {
	fleet.Installation
	ForRepo(repo string) (*githubapp.Client, error)
	Calls() int64
	RateLimitRemaining() int64
	Pace() githubapp.PaceStats
}

// oneInstallation is the client of the one installation serve was told
// (STAGEHAND_CONFIG_REPO names a repository of it).
type oneInstallation struct{ *githubapp.Client }

func (o oneInstallation) HasConfig(ctx context.Context, repo, branch string) (bool, error) {
	return hasConfig(ctx, o, repo, branch)
}

// installations are every installation of the App, each with a client of
// its own (one token, cache, pace and rate limit, as GitHub counts them),
// found through the App API and read again whenever the fleet looks at
// the repositories again (an installation event, say).
type installations struct {
	opts githubapp.Options

	mu      sync.Mutex
	clients map[int64]*githubapp.Client
	order   []int64
	byRepo  map[string]*githubapp.Client // lower-case owner/name
}

// newInstallations finds the App's installations now, so that an App that
// cannot sign in is a startup error.
func newInstallations(ctx context.Context, opts githubapp.Options) (*installations, error) {
	i := &installations{opts: opts, clients: map[int64]*githubapp.Client{}, byRepo: map[string]*githubapp.Client{}}
	if _, err := i.current(ctx); err != nil {
		return nil, err
	}
	return i, nil
}

// current reads the installations again, keeping the clients of those
// still there.
func (i *installations) current(ctx context.Context) ([]*githubapp.Client, error) {
	ids, err := githubapp.Installations(ctx, i.opts)
	if err != nil {
		return nil, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	clients := map[int64]*githubapp.Client{}
	var out []*githubapp.Client
	for _, id := range ids {
		c, ok := i.clients[id]
		if !ok {
			o := i.opts
			o.Repo, o.InstallationID = "", id
			if c, err = githubapp.New(ctx, o); err != nil {
				return nil, fmt.Errorf("installation %d: %w", id, err)
			}
		}
		clients[id] = c
		out = append(out, c)
	}
	i.clients, i.order = clients, ids
	return out, nil
}

func (i *installations) InstallationRepos(ctx context.Context) ([]githubapp.Repository, error) {
	clients, err := i.current(ctx)
	if err != nil {
		return nil, err
	}
	var all []githubapp.Repository
	byRepo := map[string]*githubapp.Client{}
	for _, c := range clients {
		repos, err := c.InstallationRepos(ctx)
		if err != nil {
			return nil, fmt.Errorf("installation %d: %w", c.InstallationID(), err)
		}
		for _, r := range repos {
			byRepo[strings.ToLower(r.FullName)] = c
		}
		all = append(all, repos...)
	}
	i.mu.Lock()
	i.byRepo = byRepo
	i.mu.Unlock()
	return all, nil
}

func (i *installations) ForRepo(repo string) (*githubapp.Client, error) {
	i.mu.Lock()
	c, ok := i.byRepo[strings.ToLower(repo)]
	i.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s is in none of the App's installations", repo)
	}
	return c.ForRepo(repo)
}

func (i *installations) HasConfig(ctx context.Context, repo, branch string) (bool, error) {
	return hasConfig(ctx, i, repo, branch)
}

func (i *installations) each(f func(c *githubapp.Client)) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, id := range i.order {
		f(i.clients[id])
	}
}

// Calls are every installation's.
func (i *installations) Calls() int64 {
	var n int64
	i.each(func(c *githubapp.Client) { n += c.Calls() })
	return n
}

// RateLimitRemaining is the lowest an installation has left, or -1 before
// any answer.
func (i *installations) RateLimitRemaining() int64 {
	low := int64(-1)
	i.each(func(c *githubapp.Client) {
		if r := c.RateLimitRemaining(); r >= 0 && (low < 0 || r < low) {
			low = r
		}
	})
	return low
}

// Pace is every installation's pacing added up.
func (i *installations) Pace() githubapp.PaceStats {
	var p githubapp.PaceStats
	i.each(func(c *githubapp.Client) {
		s := c.Pace()
		p.Waits += s.Waits
		p.Waited += s.Waited
		p.Limited += s.Limited
	})
	return p
}

// hasConfig reports whether repo has a .stagehand.yaml on branch.
func hasConfig(ctx context.Context, cs interface {
	ForRepo(string) (*githubapp.Client, error)
}, repo, branch string) (bool, error) {
	rc, err := cs.ForRepo(repo)
	if err != nil {
		return false, err
	}
	_, err = rc.ReadFile(ctx, config.FileName, branch)
	switch {
	case errors.Is(err, githubapp.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
