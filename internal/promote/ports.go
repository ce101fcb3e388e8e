package promote

import (
	"context"

	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
)

// ConfigRepo reads the config repository at a pinned commit.
type ConfigRepo interface {
	Branch(ctx context.Context, name string) (githubapp.Branch, error)
	ReadFile(ctx context.Context, path, ref string) ([]byte, error)
}

// Committer writes commits and moves branches without a clone.
type Committer interface {
	CreateCommit(ctx context.Context, base githubapp.Branch, message string, files map[string][]byte) (string, error)
	CreateBranch(ctx context.Context, name, sha string) (created bool, err error)
	MoveBranch(ctx context.Context, name, sha string) error
	DeleteBranch(ctx context.Context, name string) error
}

// PullRequests opens, updates and closes the engine's pull requests.
type PullRequests interface {
	FindOpenPR(ctx context.Context, head, base string) (*githubapp.PullRequest, error)
	OpenPR(ctx context.Context, head, base, title, body string) (*githubapp.PullRequest, error)
	UpdatePR(ctx context.Context, number int, title, body string) error
	ClosePR(ctx context.Context, number int) error
	AddLabels(ctx context.Context, number int, labels ...string) error
	Comment(ctx context.Context, number int, body string) error
}

// Merger merges a pull request once the base branch's required checks pass.
type Merger interface {
	RequiredChecks(ctx context.Context, branch string) ([]string, error)
	Checks(ctx context.Context, sha string) ([]githubapp.Check, error)
	Merge(ctx context.Context, number int, headSHA, title string) (string, error)
}

// History lists the commits that changed a file, newest first: where a
// rollback finds what a stage ran before.
type History interface {
	PathCommits(ctx context.Context, path, branch string, limit int) ([]githubapp.Commit, error)
}

// GitHub is everything the engine asks of GitHub; *githubapp.Client is one.
type GitHub interface {
	ConfigRepo
	Committer
	PullRequests
	Merger
	History
}

// DigestResolver turns a pushed tag into the digest the registry serves.
type DigestResolver interface {
	Resolve(ctx context.Context, image, tag string) (string, error)
}

// Holds tells whether an app's stage is held: a held stage takes no
// promotion, automatic or manual, until someone releases it.
type Holds interface {
	HoldOn(ctx context.Context, app, stage string) (gate.Hold, bool, error)
}
