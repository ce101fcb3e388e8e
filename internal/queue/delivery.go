package queue

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Delivery is the work one webhook delivery asks for.
type Delivery struct {
	// ID identifies the delivery for deduplication: X-GitHub-Delivery, a
	// registry's delivery or event id, or a hash of the body when the sender
	// has none.
	ID string
	// Source names the sender: "github", "dockerhub", …
	Source   string
	Pushes   []Push
	PRClosed *PRClosed
	Checks   *Checks
	Comment  *Comment
}

// Push is an image pushed to a registry. Pushes of one image coalesce: the
// handler sees the newest pending one, by arrival.
type Push struct {
	Image, Tag, Digest, Vendor string
	// DeliveryID defaults to the Delivery's ID.
	DeliveryID string
	// ReceivedAt defaults to the time Accept was called.
	ReceivedAt time.Time
}

// PRClosed is a pull request of the config repo that was closed or merged.
type PRClosed struct {
	Number                            int
	Merged                            bool
	Body, HeadRef, MergeSHA, MergedBy string
	MergedAt                          time.Time
}

// Checks says the checks of a commit changed. Deliveries for one SHA
// coalesce: the handler sees the newest.
type Checks struct {
	SHA      string
	Branches []string
	PRs      []int
}

// Handler does the work; calls never overlap (see Queue).
type Handler interface {
	// Push is called with the newest pending push of p.Image.
	Push(ctx context.Context, p Push) error
	PRClosed(ctx context.Context, pr PRClosed) error
	Checks(ctx context.Context, c Checks) error
	Comment(ctx context.Context, c Comment) error
	// Chain moves app on from stage `from`, as after a merge; it runs when
	// a ScheduleChain comes due.
	Chain(ctx context.Context, app, from string) error
	Reconcile(ctx context.Context) error
}

// Comment is a new comment on an issue or pull request of the config repo,
// which may hold a command.
type Comment struct {
	IssueNumber int    `json:"issue"`
	IsPR        bool   `json:"is_pr"`
	CommentID   int64  `json:"comment_id"`
	Body        string `json:"body"`
	User        string `json:"user"`
	UserType    string `json:"user_type"`
	Action      string `json:"action"`
	IssueBody   string `json:"issue_body"`
}

// validate reports what Accept cannot store, all at once.
func (d Delivery) validate() error {
	var problems []string
	if d.ID == "" {
		problems = append(problems, "no delivery id")
	}
	for i, p := range d.Pushes {
		if p.Image == "" {
			problems = append(problems, fmt.Sprintf("push %d has no image", i))
		}
	}
	if d.PRClosed != nil && d.PRClosed.Number <= 0 {
		problems = append(problems, fmt.Sprintf("pull request number %d", d.PRClosed.Number))
	}
	if d.Comment != nil && (d.Comment.IssueNumber <= 0 || d.Comment.CommentID <= 0) {
		problems = append(problems, "comment without issue number or comment id")
	}
	if d.Checks != nil && d.Checks.SHA == "" {
		problems = append(problems, "checks have no SHA")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrInvalid, problems)
}

// latestPushes keeps the last push of each image in d, in image order (a
// fixed lock order keeps concurrent Accepts from deadlocking on PostgreSQL),
// with defaults filled in.
func (d Delivery) latestPushes(now time.Time) []Push {
	byImage := make(map[string]Push, len(d.Pushes))
	for _, p := range d.Pushes {
		if p.DeliveryID == "" {
			p.DeliveryID = d.ID
		}
		if p.ReceivedAt.IsZero() {
			p.ReceivedAt = now
		}
		byImage[p.Image] = p
	}
	out := make([]Push, 0, len(byImage))
	for _, p := range byImage {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Push) int { return strings.Compare(a.Image, b.Image) })
	return out
}
