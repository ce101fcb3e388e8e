package promote

import (
	"context"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/notify"
	"github.com/stagehand-dev/stagehand/internal/registry"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// The engine's ports, each sized to one use; *githubapp.Client implements
// the GitHub ones and *store.Store the records.

// Repo reads the config repository at a pinned commit.
type Repo interface {
	Branch(ctx context.Context, name string) (githubapp.Branch, error)
	ReadFile(ctx context.Context, path, ref string) ([]byte, error)
}

// Committer writes commits and moves branches without a clone.
type Committer interface {
	CreateCommit(ctx context.Context, base githubapp.Branch, message string, files map[string][]byte) (sha, tree string, err error)
	CreateBranch(ctx context.Context, name, sha string) (created bool, err error)
	MoveBranch(ctx context.Context, name, sha string) error
	DeleteBranch(ctx context.Context, name string) error
}

// PullRequests opens, updates and closes the engine's pull requests.
type PullRequests interface {
	FindOpenPR(ctx context.Context, head, base string) (*githubapp.PullRequest, error)
	OpenPRs(ctx context.Context, base string) ([]githubapp.PullRequest, error)
	OpenPR(ctx context.Context, head, base, title, body string) (*githubapp.PullRequest, error)
	UpdatePR(ctx context.Context, number int, title, body string) error
	ClosePR(ctx context.Context, number int) error
	AddLabels(ctx context.Context, number int, labels ...string) error
}

// Conversation speaks on issues and pull requests.
type Conversation interface {
	Comment(ctx context.Context, number int, body string) error
	// Note keeps one comment of stagehand's on an issue up to date: it
	// edits comment id, or posts a new one when id is 0 or gone, and
	// returns the comment's id.
	Note(ctx context.Context, number int, id int64, body string) (int64, error)
}

// Merger merges a pull request once the base branch's required checks pass.
type Merger interface {
	RequiredChecks(ctx context.Context, branch string) ([]string, error)
	Checks(ctx context.Context, sha string) ([]githubapp.Check, error)
	Merge(ctx context.Context, number int, headSHA, title string) (string, error)
	GetPR(ctx context.Context, number int) (*githubapp.PullRequest, error)
}

// History lists the commits that changed a file, newest first: where a
// rollback finds what a stage ran before.
type History interface {
	PathCommits(ctx context.Context, path, branch string, limit int) ([]githubapp.Commit, error)
}

// GitHub is everything the engine asks of GitHub.
type GitHub interface {
	Repo
	Committer
	PullRequests
	Conversation
	Merger
	History
	Access
	Deployments
}

// Deployments shows on GitHub what runs where, and reads what says it runs
// healthy: the commit statuses and check runs of a stage's health gate.
type Deployments interface {
	Statuses(ctx context.Context, sha string) ([]githubapp.Status, error)
	CreateDeployment(ctx context.Context, d githubapp.NewDeployment) (int64, error)
	SetDeploymentStatus(ctx context.Context, id int64, state, description, logURL string) error
}

// Access is what GitHub says about a person.
type Access interface {
	Permission(ctx context.Context, login string) (string, error)
	TeamMember(ctx context.Context, org, team, login string) (bool, error)
}

// Records are stagehand's own records of the config repository.
type Records interface {
	Holds(ctx context.Context, app string) ([]store.Hold, error)
	HoldOn(ctx context.Context, app, stage string) (store.Hold, bool, error)
	PlaceHold(ctx context.Context, h store.Hold) error
	ReleaseHold(ctx context.Context, app, stage string) (bool, error)
	SetHoldNote(ctx context.Context, app, stage string, comment int64) error
	LastMerge(ctx context.Context, app, stage string) (store.Merge, bool, error)
	// LastMerges is the newest merge of every app in every stage, in one
	// query: what the board shows.
	LastMerges(ctx context.Context) ([]store.Merge, error)
	RecordMerge(ctx context.Context, m store.Merge) (added bool, err error)
	KeepHeld(ctx context.Context, r store.HeldRequest) error
	Held(ctx context.Context, app, stage string) (store.HeldRequest, bool, error)
	DropHeld(ctx context.Context, app, stage string) error
	RecordAction(ctx context.Context, a store.Action) (int64, error)
	UseLink(ctx context.Context, id string, at time.Time) (bool, error)
	LinkUsed(ctx context.Context, id string) (bool, time.Time, error)
	FinishRequest(ctx context.Context, r store.Request, at time.Time) error
	OfferCandidate(ctx context.Context, c store.Candidate) error
	Candidates(ctx context.Context, group string) ([]store.Candidate, error)
	DropCandidate(ctx context.Context, c store.Candidate) error
	StartDeployment(ctx context.Context, d store.Deployment) (bool, error)
	SetGitHubDeployment(ctx context.Context, app, stage string, pr int, id int64) error
	SettleDeployment(ctx context.Context, d store.Deployment) (bool, error)
	LastDeployment(ctx context.Context, app, stage string) (store.Deployment, bool, error)
	// LastDeployments is the newest deployment (health gate) of every app
	// in every stage, in one query.
	LastDeployments(ctx context.Context) ([]store.Deployment, error)
	Verifying(ctx context.Context) ([]store.Deployment, error)
	GroupDeployments(ctx context.Context, group, stage string, pr int) ([]store.Deployment, error)
}

// DigestResolver turns a pushed tag into the digest the registry serves.
type DigestResolver interface {
	Resolve(ctx context.Context, image, tag string) (string, error)
}

// Scheduler asks for a request again later: when a soak time ends, or a
// group's window closes. A request with an id is scheduled once while it
// waits.
type Scheduler interface {
	Schedule(ctx context.Context, r Request, at time.Time) error
}

// Origins says what an image was built from: its OCI source and revision
// annotations, or labels.
type Origins interface {
	Origin(ctx context.Context, image, digest string) (registry.Origin, error)
}

// Comparer lists the commits between two revisions of a GitHub repository,
// through the App's installation.
type Comparer interface {
	CompareCommits(ctx context.Context, owner, repo, base, head string, limit int) (githubapp.Comparison, error)
}

// Locker serialises the writers of one app and stage, across replicas.
type Locker interface {
	Lock(ctx context.Context, key string, wait time.Duration) (release func(), err error)
}

// Reporter shows what is wrong with the config repository where the person
// who broke it looks: on the commit that broke it.
type Reporter interface {
	// ConfigBroken reports problems (one per line, file:line:col first
	// where known) on commit sha; ConfigFixed says sha is fine again.
	ConfigBroken(ctx context.Context, sha string, problems []string) error
	ConfigFixed(ctx context.Context, sha string) error
}

// Notifier hears of the events outcomes make (a PR opened, a merge, a
// refusal, a hold, a release, a rollback) for the outgoing webhooks. It
// queues them and returns: it must neither block nor fail a promotion.
type Notifier interface {
	Notify(ctx context.Context, events []notify.Event)
}
