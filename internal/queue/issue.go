package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// The promotions issue (a config repository's `dashboard: issue`) is kept
// by two kinds of job: a refresh, which rewrites the issue from the board,
// and an edit of the issue by someone, whose ticked boxes are promotions.
const (
	KindIssue     = "issue"
	KindIssueEdit = "issue_edit"
)

// IssueEdited is an issue of the config repository whose body someone
// edited (issues edited with changes.body.from).
type IssueEdited struct {
	Repo     string `json:"repo,omitempty"` // owner/name; "" for the one config repository
	Number   int    `json:"number"`
	Body     string `json:"body"`
	From     string `json:"from"`
	User     string `json:"user"`
	UserType string `json:"user_type"`
	// UpdatedAt tells two edits to the same text apart.
	UpdatedAt string `json:"updated_at,omitempty"`
}

// IssueKeeper is a Handler that keeps the promotions issue. A Handler
// without it never gets these jobs' work.
type IssueKeeper interface {
	// KeepIssue brings the promotions issue of repo (owner/name; "" for
	// the one config repository) up to date with its board.
	KeepIssue(ctx context.Context, repo string) error
	// IssueEdited acts on an edit of an issue: boxes ticked, text changed.
	IssueEdited(ctx context.Context, e IssueEdited) error
}

// issueArgs: refresh the promotions issue. Refreshes coalesce: at most one
// waits per process. Owner and Gen work around River counting a running
// job as unique (see pending.go): a refresh asked for while one runs gets
// a job of the next generation, so a change is never left out of the
// issue by a refresh that read the board before it.
type issueArgs struct {
	Repo  string `json:"repo,omitempty"`
	Owner string `json:"owner"`
	Gen   int64  `json:"gen"`
}

func (issueArgs) Kind() string { return KindIssue }
func (issueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waitingStates}}
}
func (a issueArgs) summary() string { return strings.TrimSpace("promotions issue " + a.Repo) }

// issueEditArgs carries an edit; unique by its content, so a resent
// delivery acts once.
type issueEditArgs struct {
	IssueEdited
}

func (issueEditArgs) Kind() string { return KindIssueEdit }
func (issueEditArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
func (a issueEditArgs) summary() string {
	return fmt.Sprintf("edit of issue #%d by %s", a.Number, a.User)
}

// issueGen is this process's refresh generation, by repository.
type issueGen struct {
	mu sync.Mutex
	n  map[string]int64
}

func (g *issueGen) get(repo string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n[repo]
}

// taken moves repo on to the next generation when gen is its current one.
func (g *issueGen) taken(repo string, gen int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == nil {
		g.n = map[string]int64{}
	}
	if g.n[repo] == gen {
		g.n[repo] = gen + 1
	}
}

// issueDelay is how long a refresh waits for more changes to show in the
// same edit: a merge's chain, a group's apps, a burst of pushes.
const issueDelay = time.Second

// RefreshIssue queues a refresh of repo's promotions issue (owner/name;
// "" for the one config repository): quick (one
// insert), and the calls of a burst make one refresh, issueDelay after the
// first.
func (q *Queue) RefreshIssue(ctx context.Context, repo string) error {
	args := issueArgs{Repo: repo, Owner: q.client.ID(), Gen: q.issueGen.get(repo)}
	opts := &river.InsertOpts{ScheduledAt: time.Now().Add(issueDelay).UTC().Truncate(time.Millisecond)}
	var res []*rivertype.JobInsertResult
	err := q.db.InTx(ctx, func(tx db.Tx) error {
		var err error
		res, err = q.client.insertTx(ctx, tx, []river.InsertManyParams{{Args: args, InsertOpts: opts}})
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: queue a refresh of the promotions issue: %w", db.ErrUnavailable, err)
	}
	for _, r := range res {
		if r.Job != nil && !r.UniqueSkippedAsDuplicate && r.Job.State == rivertype.JobStateScheduled {
			q.wakeAt(r.Job.ID, r.Job.ScheduledAt)
		}
	}
	return nil
}

func (q *Queue) workIssue(ctx context.Context, a issueArgs) error {
	if a.Owner == q.client.ID() {
		// From now on a refresh asked for is a new job.
		q.issueGen.taken(a.Repo, a.Gen)
	}
	k, ok := q.h.(IssueKeeper)
	if !ok {
		return Permanent(errors.New("this process keeps no promotions issue"))
	}
	return k.KeepIssue(ctx, a.Repo)
}

func (q *Queue) workIssueEdit(ctx context.Context, a issueEditArgs) error {
	k, ok := q.h.(IssueKeeper)
	if !ok {
		return Permanent(errors.New("this process keeps no promotions issue"))
	}
	return k.IssueEdited(ctx, a.IssueEdited)
}
