package queue

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Job kinds, as Failure.Kind and the metrics' kind label name them.
const (
	KindPush      = "push"
	KindPRClosed  = "pr_closed"
	KindComment   = "comment"
	KindRequest   = "request"
	KindChain     = "chain" // scheduled by versions before requests; run as requests
	KindChecks    = "checks"
	KindConfig    = "config"
	KindReconcile = "reconcile"
	KindPrune     = "prune"
	KindInstall   = "installation"
)

// waitingStates are the unique states of coalescing jobs: every state but
// the finished ones. River insists on "running" being among them; pending.go
// works around it with generations.
var waitingStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// pushArgs: handle the pushes of Image waiting: an image, or "repo image"
// for a push of one config repository (Push.Repo). Gen: see pending.go.
type pushArgs struct {
	Image string `json:"image"`
	Gen   int64  `json:"gen"`
}

func (pushArgs) Kind() string { return KindPush }
func (pushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waitingStates}}
}
func (a pushArgs) summary() string { return a.Image }

// checksArgs: handle the newest pending checks of SHA.
type checksArgs struct {
	SHA string `json:"sha"`
	Gen int64  `json:"gen"`
}

func (checksArgs) Kind() string { return KindChecks }
func (checksArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waitingStates}}
}
func (a checksArgs) summary() string { return "commit " + a.SHA }

// prClosedArgs carries the whole event; it is unique by PR number and merge
// SHA in River's default states (finished ones included, until River cleans
// them), so a resent event is not handled twice.
type prClosedArgs struct {
	Repo     string    `json:"repo,omitempty" river:"unique"`
	Number   int       `json:"number" river:"unique"`
	MergeSHA string    `json:"merge_sha" river:"unique"`
	Merged   bool      `json:"merged"`
	Body     string    `json:"body"`
	HeadRef  string    `json:"head_ref"`
	MergedBy string    `json:"merged_by"`
	MergedAt time.Time `json:"merged_at"`
}

func (prClosedArgs) Kind() string { return KindPRClosed }
func (prClosedArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
func (a prClosedArgs) summary() string {
	if a.MergeSHA == "" {
		return fmt.Sprintf("PR #%d", a.Number)
	}
	return fmt.Sprintf("PR #%d (merge %s)", a.Number, a.MergeSHA)
}

func newPRClosedArgs(pr PRClosed) prClosedArgs {
	return prClosedArgs{
		Number: pr.Number, MergeSHA: pr.MergeSHA, Merged: pr.Merged, Body: pr.Body,
		HeadRef: pr.HeadRef, MergedBy: pr.MergedBy, MergedAt: pr.MergedAt, Repo: pr.Repo,
	}
}

func (a prClosedArgs) prClosed() PRClosed {
	return PRClosed{
		Repo: a.Repo, Number: a.Number, MergeSHA: a.MergeSHA, Merged: a.Merged, Body: a.Body,
		HeadRef: a.HeadRef, MergedBy: a.MergedBy, MergedAt: a.MergedAt,
	}
}

// commentArgs carries a comment; unique by comment id, so a resent
// delivery does not run a command twice.
type commentArgs struct {
	Comment
}

func (commentArgs) Kind() string { return KindComment }
func (commentArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
func (a commentArgs) summary() string {
	return fmt.Sprintf("comment %d on #%d by %s", a.CommentID, a.IssueNumber, a.User)
}

// requestArgs carries a request made with Submit; unique by ID when it has
// one, so submitting twice does the work once.
type requestArgs struct {
	ID      string          `json:"id"`
	Summary string          `json:"summary"`
	Payload json.RawMessage `json:"payload"`
}

func (requestArgs) Kind() string { return KindRequest }
func (requestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
func (a requestArgs) summary() string { return a.Summary }

// chainArgs is a soak-time chain scheduled before requests existed.
type chainArgs struct {
	App  string    `json:"app"`
	From string    `json:"from"`
	At   time.Time `json:"at"`
}

func (chainArgs) Kind() string { return KindChain }
func (a chainArgs) summary() string {
	return fmt.Sprintf("chain %s from %s at %s", a.App, a.From, a.At.Format(time.RFC3339))
}

// configArgs: check the configuration at SHA; unique by SHA, so GitHub's
// redelivery of the push checks it once.
type configArgs struct {
	SHA  string `json:"sha"`
	Repo string `json:"repo,omitempty"`
}

func (configArgs) Kind() string { return KindConfig }
func (configArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
func (a configArgs) summary() string { return "config at " + a.SHA }

// installationArgs: read again which repositories are served; one waits
// at most.
type installationArgs struct{}

func (installationArgs) Kind() string { return KindInstall }
func (installationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: waitingStates}}
}
func (installationArgs) summary() string { return "installation changed" }

// reconcileArgs: the periodic full reconcile; one waits at most.
type reconcileArgs struct{}

func (reconcileArgs) Kind() string { return KindReconcile }
func (reconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: waitingStates}}
}
func (reconcileArgs) summary() string { return "reconcile" }

// pruneArgs: delete old delivery ids and pending rows.
type pruneArgs struct{}

func (pruneArgs) Kind() string { return KindPrune }
func (pruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: waitingStates}}
}
func (pruneArgs) summary() string { return "prune" }

// summarize describes a job's args for Failures.
func summarize(row *rivertype.JobRow) string {
	var s interface{ summary() string }
	switch row.Kind {
	case KindPush:
		s = &pushArgs{}
	case KindChecks:
		s = &checksArgs{}
	case KindConfig:
		s = &configArgs{}
	case KindPRClosed:
		s = &prClosedArgs{}
	case KindComment:
		s = &commentArgs{}
	case KindRequest:
		s = &requestArgs{}
	case KindChain:
		s = &chainArgs{}
	case KindReconcile:
		s = &reconcileArgs{}
	case KindPrune:
		s = &pruneArgs{}
	case KindInstall:
		s = &installationArgs{}
	case KindNotify:
		s = &notifyArgs{}
	case KindIssue:
		s = &issueArgs{}
	case KindIssueEdit:
		s = &issueEditArgs{}
	default:
		return string(row.EncodedArgs)
	}
	if err := json.Unmarshal(row.EncodedArgs, s); err != nil {
		return string(row.EncodedArgs)
	}
	return s.summary()
}
