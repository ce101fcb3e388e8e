package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/fleet"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
)

// repoUsage is --repo's, for the commands that act on one config
// repository of those stagehand serves.
const repoUsage = "the config repository, owner/name (default: the one STAGEHAND_CONFIG_REPO names, when it names one)"

// repoChoice is the config repository a command acts on, as far as the
// flags tell: --repo, or the one repository STAGEHAND_CONFIG_REPO names.
type repoChoice struct {
	repo string // "" when the flags name none: one of those served
	// static: STAGEHAND_CONFIG_REPO names this one repository, which serve
	// serves on STAGEHAND_BASE_BRANCH under this spelling.
	static bool
	allow  fleet.Allow
}

// chooseRepo reads --repo (flagRepo) against STAGEHAND_CONFIG_REPO
// (configRepo), the allow-list serve works with: a repository it does not
// allow is one no stagehand serve works on.
func chooseRepo(flagRepo, configRepo string) (repoChoice, error) {
	allow, err := fleet.ParseAllow(configRepo)
	if err != nil {
		return repoChoice{}, usageError{msg: err.Error()}
	}
	single, isSingle := allow.Single()
	switch {
	case flagRepo == "" && isSingle:
		return repoChoice{repo: single, static: true, allow: allow}, nil
	case flagRepo == "":
		return repoChoice{allow: allow}, nil
	}
	owner, name, ok := strings.Cut(flagRepo, "/")
	if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/*") || strings.Contains(owner, "*") {
		return repoChoice{}, usageError{msg: fmt.Sprintf("--repo %q: want owner/name", flagRepo)}
	}
	if !allow.Allows(flagRepo) {
		return repoChoice{}, usageError{msg: fmt.Sprintf("--repo %s: STAGEHAND_CONFIG_REPO (%s) does not take it in, so stagehand serve does not work on it", flagRepo, strings.Join(allow, ","))}
	}
	if isSingle {
		return repoChoice{repo: single, static: true, allow: allow}, nil
	}
	return repoChoice{repo: flagRepo, allow: allow}, nil
}

// served finds the choice among the config repositories stagehand serve
// serves when STAGEHAND_CONFIG_REPO names no one repository (every
// allowed repository of the App's installations with a .stagehand.yaml),
// with the branch it serves it on: the repository named, or the only
// one. Several and none named is an error that lists them.
func (c repoChoice) served(ctx context.Context, inst fleet.Installation) (repo githubapp.Repository, err error) {
	list, err := fleet.ConfigRepos(ctx, inst, c.allow, nil)
	if len(list) == 0 && err != nil {
		return githubapp.Repository{}, err
	}
	var names []string
	for _, r := range list {
		if c.repo != "" && strings.EqualFold(r.FullName, c.repo) {
			return r, nil
		}
		names = append(names, r.FullName)
	}
	switch {
	case len(list) == 0:
		return githubapp.Repository{}, fmt.Errorf("no repository of the App's installations has a .stagehand.yaml on its default branch: stagehand serves none")
	case c.repo != "":
		return githubapp.Repository{}, usageError{msg: fmt.Sprintf("--repo %s is not a config repository stagehand serves (not in the App's installations, or no .stagehand.yaml on its default branch); it serves %s", c.repo, strings.Join(names, ", "))}
	case len(list) > 1:
		return githubapp.Repository{}, usageError{msg: fmt.Sprintf("which config repository? stagehand serves %d; say which with --repo: %s", len(list), strings.Join(names, ", "))}
	}
	return list[0], nil
}
