package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
)

// installed is an installation's repositories, those in configs with a
// .stagehand.yaml.
type installed struct {
	repos   []githubapp.Repository
	configs map[string]bool
}

func (i installed) InstallationRepos(context.Context) ([]githubapp.Repository, error) {
	return i.repos, nil
}
func (i installed) HasConfig(_ context.Context, repo, _ string) (bool, error) {
	return i.configs[repo], nil
}

// TestChooseRepo: --repo, else the one repository STAGEHAND_CONFIG_REPO
// names, else the only one served; several are listed, and a repository
// serve does not serve is refused with those it does.
func TestChooseRepo(t *testing.T) {
	inst := installed{
		repos: []githubapp.Repository{{FullName: "acme/team-b", DefaultBranch: "trunk"}, {FullName: "acme/config"}, {FullName: "acme/docs"},
			{FullName: "acme/old", Archived: true}, {FullName: "globex/gitops"}},
		configs: map[string]bool{"acme/team-b": true, "acme/config": true, "acme/old": true, "globex/gitops": true},
	}
	for _, tt := range []struct {
		flag, env string
		repo      string // chosen, with its branch after @ when found among those served
		err       string
	}{
		{flag: "", env: "Acme/Config", repo: "Acme/Config"},
		{flag: "acme/config", env: "Acme/Config", repo: "Acme/Config"},
		{flag: "acme/team-b", env: "acme/config", err: "--repo acme/team-b: STAGEHAND_CONFIG_REPO (acme/config) does not take it in"},
		{flag: "", env: "", err: "which config repository? stagehand serves 3; say which with --repo: acme/config, acme/team-b, globex/gitops"},
		{flag: "", env: "acme/*", err: "stagehand serves 2; say which with --repo: acme/config, acme/team-b"},
		{flag: "", env: "globex/*", repo: "globex/gitops@main"},
		{flag: "ACME/TEAM-B", env: "", repo: "acme/team-b@trunk"},
		{flag: "acme/team-b", env: "acme/*,globex/gitops", repo: "acme/team-b@trunk"},
		{flag: "acme/docs", env: "", err: "--repo acme/docs is not a config repository stagehand serves (not in the App's installations, or no .stagehand.yaml on its default branch); it serves acme/config, acme/team-b, globex/gitops"},
		{flag: "acme/old", env: "acme/*", err: "--repo acme/old is not a config repository stagehand serves"},
		{flag: "", env: "initech/*", err: "no repository of the App's installations has a .stagehand.yaml on its default branch"},
		{flag: "acme", env: "", err: `--repo "acme": want owner/name`},
		{flag: "acme/*", env: "", err: `--repo "acme/*": want owner/name`},
	} {
		c, err := chooseRepo(tt.flag, tt.env)
		got := c.repo
		if err == nil && !c.static {
			var r githubapp.Repository
			r, err = c.served(context.Background(), inst)
			got = r.FullName + "@" + r.DefaultBranch
		}
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("--repo %q, STAGEHAND_CONFIG_REPO %q: %q, %v; want error %q", tt.flag, tt.env, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.repo):
			t.Errorf("--repo %q, STAGEHAND_CONFIG_REPO %q: %q, %v; want %q", tt.flag, tt.env, got, err, tt.repo)
		}
	}
}
