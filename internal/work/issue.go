package work

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/dashboard"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// The promotions issue (`dashboard: issue`): one issue in the config
// repository with the dashboard's matrix in Markdown, rewritten from the
// board after every change, and a checkbox per promotion; a box ticked is
// a /promote by whoever ticked it.

// IssueLabels mark the promotions issue; with the marker at the start of
// its body they find it again after a restart.
var IssueLabels = []string{"stagehand", "promotions"}

// IssueBoards is what the promotions issue reads of *promote.Engine.
type IssueBoards interface {
	Board(ctx context.Context, actor promote.Actor, permission string) (promote.Board, error)
	LastConfig() *config.Config
}

// IssueRepo is the issue on GitHub; *githubapp.Client is one.
type IssueRepo interface {
	FindIssue(ctx context.Context, labels []string, marker string) (githubapp.Issue, bool, error)
	AddLabels(ctx context.Context, number int, labels ...string) error
	CreateIssue(ctx context.Context, title, body string, labels []string) (int, error)
	EditIssueBody(ctx context.Context, number int, body string) error
}

// IssueRecords are the recent actions the matrix shows (a refused push);
// *store.Store is one.
type IssueRecords interface {
	Actions(ctx context.Context, app string, limit int) ([]store.Action, error)
}

// Locker keeps two replicas from opening the issue twice; *db.DB is one.
type Locker interface {
	Lock(ctx context.Context, key string, wait time.Duration) (release func(), err error)
}

// IssueOptions keep the promotions issue; all are required.
type IssueOptions struct {
	Boards  IssueBoards
	Repo    IssueRepo
	Records IssueRecords
	Locks   Locker
	// RepoURL is the config repository on GitHub's web, for links.
	RepoURL string
	// Refresh queues a refresh of the issue, for changes that tell no
	// event (a health gate passed); optional.
	Refresh func(ctx context.Context)
}

var _ queue.IssueKeeper = (*Handler)(nil)

// KeepIssue brings the promotions issue up to date with the board, when
// the configuration asks for it: it opens the issue when there is none,
// and edits it only when its body is not what the board says. This
// handler serves one config repository, whatever repo names.
func (h *Handler) KeepIssue(ctx context.Context, repo string) error {
	_, err := h.keepIssue(ctx)
	return h.classify(err)
}

// keepIssue returns the issue's number, or 0 when there is none to keep.
func (h *Handler) keepIssue(ctx context.Context) (int, error) {
	o := h.opts.Issue
	if o == nil {
		return 0, nil
	}
	if cfg := o.Boards.LastConfig(); cfg != nil && cfg.Dashboard != config.DashboardIssue {
		return 0, nil
	}
	b, err := o.Boards.Board(ctx, promote.Actor{}, "")
	if err != nil {
		return 0, err
	}
	if b.Config == nil || b.Config.Dashboard != config.DashboardIssue {
		return 0, nil // a broken config keeps the issue as it was
	}
	recent, err := o.Records.Actions(ctx, "", 1000)
	if err != nil {
		return 0, fmt.Errorf("read history: %w", err)
	}
	body := dashboard.IssueBody(b, recent, o.RepoURL)
	release, err := o.Locks.Lock(ctx, "promotions-issue", 30*time.Second)
	if err != nil {
		return 0, err
	}
	defer release()
	is, found, err := o.Repo.FindIssue(ctx, IssueLabels, dashboard.IssueMarker)
	if err != nil {
		return 0, err
	}
	if !found {
		// Someone may have taken a label off: look among everything
		// labelled stagehand (its PRs too) before opening a second issue,
		// and label it again so that the next look costs one call.
		if is, found, err = o.Repo.FindIssue(ctx, IssueLabels[:1], dashboard.IssueMarker); err != nil {
			return 0, err
		}
		if found {
			if err := o.Repo.AddLabels(ctx, is.Number, IssueLabels...); err != nil {
				return 0, err
			}
		}
	}
	if !found {
		n, err := o.Repo.CreateIssue(ctx, dashboard.IssueTitle, body, IssueLabels)
		if err != nil {
			return 0, err
		}
		h.log.Info("promotions issue opened", "issue", n)
		return n, nil
	}
	if is.Body == body {
		return is.Number, nil
	}
	if err := o.Repo.EditIssueBody(ctx, is.Number, body); err != nil {
		return 0, err
	}
	h.log.Info("promotions issue updated", "issue", is.Number)
	return is.Number, nil
}

// IssueEdited acts on an edit of an issue's body. On the promotions
// issue, each box a person ticked is their /promote, through the same
// plan, answered in the issue; then the body is rewritten from the board,
// which unticks the boxes and undoes any other edit. Bots' edits are left
// alone: stagehand's own would otherwise answer themselves.
func (h *Handler) IssueEdited(ctx context.Context, e queue.IssueEdited) error {
	if h.opts.Issue == nil || !strings.HasPrefix(e.From, dashboard.IssueMarker) || strings.EqualFold(e.UserType, "Bot") {
		return nil
	}
	log := h.log.With("issue", e.Number, "actor", e.User, "source", "issue")
	var errs []error
	for _, box := range dashboard.Ticked(e.From, e.Body) {
		r := promote.Request{Kind: promote.Promote, Source: promote.FromComment, Actor: promote.Actor{Login: e.User},
			App: box.App, Stage: box.Stage, Issue: e.Number}
		o, err := h.opts.Engine.Run(ctx, r)
		h.report(log, o)
		var ce *promote.ConfigError
		if err != nil && !errors.As(err, &ce) {
			// Retried: the box stays ticked until it is answered.
			return h.classify(err)
		}
		if err := h.opts.GitHub.Comment(ctx, e.Number, "@"+e.User+" "+reply(r, o)); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := h.keepIssue(ctx); err != nil {
		errs = append(errs, err)
	}
	return h.classify(errors.Join(errs...))
}
