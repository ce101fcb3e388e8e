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
	// IssueEdited is an edit of an issue's body (the promotions issue).
	IssueEdited *IssueEdited
	// ConfigChanged says the configuration stagehand reads may have
	// changed (a push to the base branch touched it): it is checked, and
	// the work waiting for a fix (pushes, checks) is tried again at once.
	ConfigChanged *ConfigChanged
	// InstallationChanged says the repositories the App is installed on
	// may have changed: a handler that is an InstallationWatcher looks
	// again. Deliveries of it coalesce.
	InstallationChanged bool
}

// Push is an image pushed to a registry.
type Push struct {
	// Repo, when set, is the one config repository (owner/name) the push
	// is for: the pushes of an image for each repository that uses it are
	// work of their own, coalesced and retried apart. "" is every
	// repository that uses the image.
	Repo                       string `json:",omitempty"`
	Image, Tag, Digest, Vendor string
	// PushedAt is when the registry says it was pushed; zero when it did
	// not say.
	PushedAt time.Time
	// DeliveryID defaults to the Delivery's ID.
	DeliveryID string
	// ReceivedAt defaults to the time Accept was called.
	ReceivedAt time.Time
	// Seq orders the arrivals of an image; set by the queue.
	Seq int64
}

// PRClosed is a pull request of the config repo that was closed or merged.
type PRClosed struct {
	Repo                              string // owner/name; "" for the one config repository
	Number                            int
	Merged                            bool
	Body, HeadRef, MergeSHA, MergedBy string
	MergedAt                          time.Time
}

// Checks says the checks of a commit changed. Deliveries for one SHA
// coalesce: the handler sees the newest.
type Checks struct {
	Repo     string `json:",omitempty"` // owner/name; "" for the one config repository
	SHA      string
	Branches []string
	PRs      []int
}

// ConfigChanged is a commit of the base branch that may have changed the
// configuration.
type ConfigChanged struct {
	SHA  string `json:"sha"`
	Repo string `json:"repo,omitempty"` // owner/name; "" for the one config repository
}

// Comment is a new comment on an issue or pull request of the config repo,
// which may hold a command.
type Comment struct {
	Repo        string `json:"repo,omitempty"` // owner/name; "" for the one config repository
	IssueNumber int    `json:"issue"`
	IsPR        bool   `json:"is_pr"`
	CommentID   int64  `json:"comment_id"`
	Body        string `json:"body"`
	User        string `json:"user"`
	UserType    string `json:"user_type"`
	// Association is GitHub's author_association of the comment (OWNER,
	// MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, …).
	Association string `json:"association,omitempty"`
	Action      string `json:"action"`
	IssueBody   string `json:"issue_body"`
}

// Handler does the work (see the package comment for what it must allow for).
type Handler interface {
	// Pushes is called with every push of image that arrived since its
	// last job, oldest arrival first, one per tag.
	Pushes(ctx context.Context, image string, pushes []Push) error
	PRClosed(ctx context.Context, pr PRClosed) error
	Checks(ctx context.Context, c Checks) error
	Comment(ctx context.Context, c Comment) error
	// Request is a request made with Submit, as its maker encoded it.
	Request(ctx context.Context, payload []byte) error
	Reconcile(ctx context.Context) error
}

// ConfigWatcher is a Handler that checks the configuration at a commit
// when a Delivery says it changed. A Handler without it only gets the
// waiting work woken.
type ConfigWatcher interface {
	ConfigChanged(ctx context.Context, c ConfigChanged) error
}

// InstallationWatcher is a Handler that reads again which repositories it
// serves when a Delivery says the App's installation changed.
type InstallationWatcher interface {
	InstallationChanged(ctx context.Context) error
}

// validate reports what Accept cannot store, all at once.
func (d Delivery) validate() error {
	var problems []string
	if d.ID == "" {
		problems = append(problems, "no delivery id")
	}
	for i, p := range d.Pushes {
		if p.Image == "" || p.Tag == "" {
			problems = append(problems, fmt.Sprintf("push %d has no image or tag", i))
		}
	}
	if d.PRClosed != nil && d.PRClosed.Number <= 0 {
		problems = append(problems, fmt.Sprintf("pull request number %d", d.PRClosed.Number))
	}
	if d.Comment != nil && (d.Comment.IssueNumber <= 0 || d.Comment.CommentID <= 0) {
		problems = append(problems, "comment without issue number or comment id")
	}
	if d.IssueEdited != nil && d.IssueEdited.Number <= 0 {
		problems = append(problems, "issue edit without issue number")
	}
	if d.Checks != nil && d.Checks.SHA == "" {
		problems = append(problems, "checks have no SHA")
	}
	if d.ConfigChanged != nil && d.ConfigChanged.SHA == "" {
		problems = append(problems, "config change has no SHA")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrInvalid, problems)
}

// pushes fills in defaults and orders d's pushes by image, then tag (a
// fixed lock order keeps concurrent Accepts from deadlocking on
// PostgreSQL); a tag pushed twice in one delivery keeps its last push.
func (d Delivery) pushes(now time.Time) []Push {
	type key struct{ image, tag string }
	last := make(map[key]Push, len(d.Pushes))
	for _, p := range d.Pushes {
		if p.DeliveryID == "" {
			p.DeliveryID = d.ID
		}
		if p.ReceivedAt.IsZero() {
			p.ReceivedAt = now
		}
		last[key{p.key(), p.Tag}] = p
	}
	out := make([]Push, 0, len(last))
	for _, p := range last {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Push) int {
		if c := strings.Compare(a.key(), b.key()); c != 0 {
			return c
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	return out
}

// key is what the pushes of an image coalesce under: the image, and the
// repository when the push names one (neither holds a space).
func (p Push) key() string {
	if p.Repo == "" {
		return p.Image
	}
	return p.Repo + " " + p.Image
}

// imageOf is the image of a push key.
func imageOf(key string) string {
	if _, image, ok := strings.Cut(key, " "); ok {
		return image
	}
	return key
}
