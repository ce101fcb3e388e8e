// Package work is what the queue's workers do: it turns queued deliveries
// into calls of the promotion engine, and the engine's outcomes into logs,
// metrics, records and retry decisions.
package work

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

// Engine is the part of *promote.Engine the workers call.
type Engine interface {
	ImagePushed(ctx context.Context, image, tag string) ([]promote.Outcome, error)
	ChainIf(ctx context.Context, app, from string, allow promote.Allow) (promote.Outcome, error)
	PromoteIf(ctx context.Context, app, to string, allow promote.Allow) (promote.Outcome, error)
	Config(ctx context.Context) (*config.Config, error)
	Reconsider(ctx context.Context, app, stage string) (promote.Outcome, error)
	Reconcile(ctx context.Context, tags promote.TagLister) ([]promote.Outcome, error)
	Rollback(ctx context.Context, app, stage, target string) (promote.Outcome, error)
}

// GitHub is what the workers do on GitHub themselves: remove a stagehand
// branch once its PR is closed, answer on issues and PRs, and look up who
// may do what.
type GitHub interface {
	DeleteBranch(ctx context.Context, name string) error
	Comment(ctx context.Context, number int, body string) error
	React(ctx context.Context, commentID int64, content string) error
	Permission(ctx context.Context, login string) (string, error)
	TeamMember(ctx context.Context, org, team, login string) (bool, error)
}

// Store keeps the deployment history, holds and the record of actions;
// *queue.Store is one.
type Store interface {
	StageDone(ctx context.Context, d queue.StageDone) error
	LastDone(ctx context.Context, app, stage string) (queue.StageDone, bool, error)
	PlaceHold(ctx context.Context, h queue.Hold) error
	ReleaseHold(ctx context.Context, app, stage string) (bool, error)
	HoldOn(ctx context.Context, app, stage string) (queue.Hold, bool, error)
	RecordAction(ctx context.Context, a queue.Action) (int64, error)
}

// Holds lets the engine read holds from the store.
type Holds struct {
	Store interface {
		HoldOn(ctx context.Context, app, stage string) (queue.Hold, bool, error)
	}
}

// HoldOn implements promote.Holds.
func (h Holds) HoldOn(ctx context.Context, app, stage string) (gate.Hold, bool, error) {
	q, ok, err := h.Store.HoldOn(ctx, app, stage)
	return gate.Hold{By: q.By, Reason: q.Reason, At: q.At, Rollback: q.Rollback}, ok, err
}

// Options configure a Handler. Engine, Branches, Tags and Recorder are required.
type Options struct {
	Engine Engine
	GitHub GitHub
	Tags   promote.TagLister
	Store  Store
	// Scheduler, when set, runs chains whose soak time has not passed yet
	// when it has.
	Scheduler Scheduler
	// Links, when set, makes one-click promotion links (as
	// promote.Options.Links does) for the note on a merged PR whose next
	// stage is manual.
	Links func(app, from, to, digest string) string
	// LinksSignIn says the link pages sign people in with GitHub and check
	// approvers for them, so stages with approvers get links too.
	LinksSignIn bool
	Registry    prometheus.Registerer // optional
	Logger      *slog.Logger
}

// Handler implements queue.Handler.
type Handler struct {
	opts       Options
	log        *slog.Logger
	promotions *prometheus.CounterVec
}

var _ queue.Handler = (*Handler)(nil)

// New returns a Handler.
func New(opts Options) (*Handler, error) {
	var errs []error
	if opts.Engine == nil || opts.GitHub == nil || opts.Tags == nil || opts.Store == nil {
		errs = append(errs, errors.New("work: engine, GitHub, tags and store are required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	h := &Handler{opts: opts, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.promotions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "stagehand_promotions_total",
		Help: "Proposals for a stage by result (opened, updated, unchanged, already-there, merged, refused, ignored).",
	}, []string{"stage", "result"})
	if opts.Registry != nil {
		if err := opts.Registry.Register(h.promotions); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Push proposes a pushed image for the first stage. The payload's digest
// is only a hint: the engine resolves the tag through the registry, and
// when the two differ the registry wins and the difference is logged.
func (h *Handler) Push(ctx context.Context, p queue.Push) error {
	log := h.log.With("delivery_id", p.DeliveryID, "image", p.Image, "tag", p.Tag)
	outs, err := h.opts.Engine.ImagePushed(ctx, p.Image, p.Tag)
	for _, o := range outs {
		h.report(log, o)
		if p.Digest != "" && o.To.Digest != "" && o.To.Digest != p.Digest {
			log.Warn("the payload's digest differs from the registry's; the registry wins",
				"payload_digest", p.Digest, "digest", o.To.Digest, "vendor", p.Vendor)
		}
	}
	return classify(err)
}

// PRClosed records a merged stagehand PR as the stage's new state, removes
// its branch, and moves the app on to the next stage; a PR closed unmerged
// only loses its branch and chains nothing.
func (h *Handler) PRClosed(ctx context.Context, pr queue.PRClosed) error {
	m, ok, err := promote.ParseMarker(pr.Body)
	if err != nil || !ok || pr.HeadRef != promote.Branch(m.App, m.Stage) {
		h.log.Info("closed PR is not stagehand's", "pr", pr.Number, "branch", pr.HeadRef)
		return nil
	}
	log := h.log.With("pr", pr.Number, "app", m.App, "stage", m.Stage, "digest", m.Digest)
	if !pr.Merged {
		log.Info("stagehand PR closed without merging")
		return h.opts.GitHub.DeleteBranch(ctx, pr.HeadRef)
	}
	at := pr.MergedAt
	if at.IsZero() {
		at = time.Now()
	}
	d := queue.StageDone{App: m.App, Stage: m.Stage, Image: m.Image, Tag: m.Tag, Digest: m.Digest, PR: pr.Number, MergeSHA: pr.MergeSHA, MergedBy: pr.MergedBy, At: at}
	if err := h.opts.Store.StageDone(ctx, d); err != nil {
		return err
	}
	log.Info("stage done", "tag", m.Tag, "merged_by", pr.MergedBy)
	if err := h.opts.GitHub.DeleteBranch(ctx, pr.HeadRef); err != nil {
		return err
	}
	o, err := h.chain(ctx, m.App, m.Stage)
	if err != nil {
		return classify(err)
	}
	if o.Result == promote.Manual {
		// The job may run again; a repeated note is the lesser harm than
		// none, and it only happens when a run failed after this point.
		body := fmt.Sprintf("%s `%s` is now in %s. %s", m.App, m.Tag, m.Stage, o.Reason)
		link, err := h.manualLink(ctx, m, o.Stage)
		if err != nil {
			return classify(err)
		}
		if link != "" {
			body += fmt.Sprintf("\n\nOr with one click: %s\nThe page shows what moves where and asks you to confirm; the link works once, for a limited time, and only while %s still runs `%s`.", link, m.Stage, m.Tag)
		}
		return h.opts.GitHub.Comment(ctx, pr.Number, body)
	}
	return nil
}

// manualLink is the one-click link promoting the merged image m into the
// manual stage `to`, or "" when links are off or the stage names
// approvers and the link pages have no sign-in: a bearer link cannot tell
// an approver from anyone who reads the PR.
func (h *Handler) manualLink(ctx context.Context, m promote.Marker, to string) (string, error) {
	if h.opts.Links == nil {
		return "", nil
	}
	cfg, err := h.opts.Engine.Config(ctx)
	if err != nil {
		return "", err
	}
	if st, ok := cfg.Stage(to); !ok || (len(st.Approvers) > 0 && !h.opts.LinksSignIn) {
		return "", nil
	}
	return h.opts.Links(m.App, m.Stage, to, m.Digest), nil
}

// Checks retries the auto-merge of the stagehand PRs on the branches whose
// checks changed.
func (h *Handler) Checks(ctx context.Context, c queue.Checks) error {
	var errs []error
	for _, b := range c.Branches {
		app, stage, ok := parseBranch(b)
		if !ok {
			continue
		}
		o, err := h.opts.Engine.Reconsider(ctx, app, stage)
		h.report(h.log.With("sha", c.SHA), o)
		errs = append(errs, err)
	}
	return classify(errors.Join(errs...))
}

// Reconcile heals pushes whose webhook never arrived.
func (h *Handler) Reconcile(ctx context.Context) error {
	outs, err := h.opts.Engine.Reconcile(ctx, h.opts.Tags)
	for _, o := range outs {
		if o.Result != promote.AlreadyThere && o.Result != promote.Ignored {
			h.report(h.log.With("reconcile", true), o)
		}
	}
	return classify(err)
}

func (h *Handler) report(log *slog.Logger, o promote.Outcome) {
	if o.Result == "" {
		return
	}
	h.promotions.WithLabelValues(o.Stage, string(o.Result)).Inc()
	attrs := []any{"app", o.App, "stage", o.Stage, "result", o.Result}
	if o.To.Digest != "" {
		attrs = append(attrs, "digest", o.To.Digest)
	}
	if o.PR != 0 {
		attrs = append(attrs, "pr", o.PR)
	}
	if o.Reason != "" {
		attrs = append(attrs, "reason", o.Reason)
	}
	level := slog.LevelInfo
	if o.Result == promote.Refused {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "promotion", attrs...)
}

// classify marks errors that retrying cannot fix: an invalid config or a
// registry that refuses stagehand's credentials needs a person.
func classify(err error) error {
	var ce *promote.ConfigError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce), errors.Is(err, registry.ErrUnauthorized), errors.Is(err, registry.ErrInvalidReference):
		return queue.Permanent(err)
	}
	return err
}

// parseBranch reads stagehand/<app>/<stage>.
func parseBranch(b string) (app, stage string, ok bool) {
	rest, ok := strings.CutPrefix(b, "stagehand/")
	if !ok {
		return "", "", false
	}
	app, stage, ok = strings.Cut(rest, "/")
	return app, stage, ok && app != "" && stage != "" && !strings.Contains(stage, "/")
}
