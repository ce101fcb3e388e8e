// Package work is what the queue's workers do: it turns queued events and
// commands into promotion requests for the engine, and the engine's
// outcomes into replies, logs, metrics and retry decisions. It decides
// nothing itself: every rule lives in the engine's plan.
package work

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/registry"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Engine is what the workers ask of *promote.Engine.
type Engine interface {
	Run(ctx context.Context, r promote.Request) (promote.Outcome, error)
	Pushes(ctx context.Context, image string, burst []promote.Pushed, src promote.Source) ([]promote.Outcome, error)
	Reconcile(ctx context.Context, tags promote.TagLister) ([]promote.Outcome, error)
	Closed(ctx context.Context, branch string) error
	Merged(ctx context.Context, m store.Merge) error
	MergedGroup(ctx context.Context, group string, ms []store.Merge) error
	CheckConfig(ctx context.Context, sha string) error
	Verifications(ctx context.Context, sha string, branches []string) ([]promote.Request, error)
}

// GitHub is what the workers do on GitHub themselves: answer comments.
type GitHub interface {
	Comment(ctx context.Context, number int, body string) error
	React(ctx context.Context, commentID int64, content string) error
}

// Options configure a Handler. Engine, GitHub and Tags are required.
type Options struct {
	Engine   Engine
	GitHub   GitHub
	Tags     promote.TagLister
	Registry prometheus.Registerer // optional
	// Promotions, when set, counts the outcomes in place of a counter of
	// the Handler's own (registered in Registry): the handlers of several
	// config repositories share one (NewPromotions). Repo labels them.
	Promotions *prometheus.CounterVec
	Repo       string
	Logger     *slog.Logger
	// ConfigRetry is how long pushes wait before looking at a broken
	// config again; default 1m. The push event of a commit that changes
	// the config wakes them sooner (queue.ConfigChanged).
	ConfigRetry time.Duration
	// Issue, when set, keeps the promotions issue of a config that asks
	// for one (dashboard: issue).
	Issue *IssueOptions
}

// Handler implements queue.Handler.
type Handler struct {
	opts       Options
	log        *slog.Logger
	promotions *prometheus.CounterVec
}

var (
	_ queue.Handler       = (*Handler)(nil)
	_ queue.ConfigWatcher = (*Handler)(nil)
)

// New returns a Handler.
func New(opts Options) (*Handler, error) {
	if opts.Engine == nil || opts.GitHub == nil || opts.Tags == nil {
		return nil, errors.New("work: engine, GitHub and tags are required")
	}
	if i := opts.Issue; i != nil && (i.Boards == nil || i.Repo == nil || i.Records == nil || i.Locks == nil) {
		return nil, errors.New("work: the promotions issue needs boards, the repository, records and locks")
	}
	h := &Handler{opts: opts, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.opts.ConfigRetry <= 0 {
		h.opts.ConfigRetry = time.Minute
	}
	if h.promotions = opts.Promotions; h.promotions != nil {
		return h, nil
	}
	var err error
	h.promotions, err = NewPromotions(opts.Registry)
	return h, err
}

// NewPromotions is the counter of promotion outcomes, registered in reg
// when it is not nil.
func NewPromotions(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "stagehand_promotions_total",
		Help: "Requests for a stage by config repository and result: opened, updated, unchanged, already-there, merged, waiting, manual, held, released; gathered (a push waits for its group's other pushes); refused (a rule said no), ignored (not for stagehand), failed (GitHub or the registry failed; retried).",
	}, []string{"repo", "stage", "result"})
	if reg != nil {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Pushes proposes the newest of a burst of pushes of image for the first
// stage of every app that uses it. A broken config keeps them waiting.
func (h *Handler) Pushes(ctx context.Context, image string, pushes []queue.Push) error {
	burst := make([]promote.Pushed, len(pushes))
	tags := make([]string, len(pushes))
	for i, p := range pushes {
		burst[i] = promote.Pushed{Image: p.Image, Tag: p.Tag, Digest: p.Digest, PushedAt: p.PushedAt, Seq: p.Seq}
		tags[i] = p.Tag
	}
	log := h.log.With("image", image, "tags", tags)
	outs, err := h.opts.Engine.Pushes(ctx, image, burst, promote.FromRegistry)
	for _, o := range outs {
		h.report(log, o)
	}
	return h.classify(err)
}

// PRClosed follows GitHub's news that a stagehand PR closed: merged, the
// stage's new state is recorded and the image moves on to the next stage
// (Engine.Merged; for stagehand's own merges this is done already, and
// finds it so); closed unmerged, only its branch goes.
func (h *Handler) PRClosed(ctx context.Context, pr queue.PRClosed) error {
	m, ok, err := promote.ParseMarker(pr.Body)
	if err != nil || !ok || pr.HeadRef != promote.Branch(m.Name(), m.Stage) {
		h.log.Info("closed PR is not stagehand's", "pr", pr.Number, "branch", pr.HeadRef)
		return nil
	}
	log := h.log.With("pr", pr.Number, "app", m.Name(), "stage", m.Stage)
	if !pr.Merged {
		log.Info("stagehand PR closed without merging")
		return h.classify(h.opts.Engine.Closed(ctx, pr.HeadRef))
	}
	at := pr.MergedAt
	if at.IsZero() {
		at = time.Now()
	}
	if m.Group != "" {
		// Every app the group's PR moved is merged with it.
		ms := make([]store.Merge, len(m.Apps))
		for i, a := range m.Apps {
			ms[i] = store.Merge{App: a.App, Stage: m.Stage, Image: a.Image, Tag: a.Tag, Digest: a.Digest,
				PR: pr.Number, MergeSHA: pr.MergeSHA, MergedBy: pr.MergedBy, At: at, PushedAt: a.PushedAt, Group: m.Group}
		}
		log.Info("stage merged", "group", m.Group, "apps", len(ms), "merged_by", pr.MergedBy)
		return h.classify(h.opts.Engine.MergedGroup(ctx, m.Group, ms))
	}
	log = log.With("digest", m.Digest)
	log.Info("stage merged", "tag", m.Tag, "merged_by", pr.MergedBy)
	return h.classify(h.opts.Engine.Merged(ctx, store.Merge{App: m.App, Stage: m.Stage, Image: m.Image, Tag: m.Tag, Digest: m.Digest,
		PR: pr.Number, MergeSHA: pr.MergeSHA, MergedBy: pr.MergedBy, At: at, PushedAt: m.PushedAt}))
}

// Checks brings the stagehand PRs on the branches whose checks changed up
// to date, and merges them where their stage auto-merges.
func (h *Handler) Checks(ctx context.Context, c queue.Checks) error {
	var errs []error
	for _, b := range c.Branches {
		app, stage, ok := promote.ParseBranch(b)
		if !ok {
			continue
		}
		o, err := h.opts.Engine.Run(ctx, promote.Request{Kind: promote.Reconsider, Source: promote.FromChecks, App: app, Stage: stage})
		h.report(h.log.With("sha", c.SHA), o)
		errs = append(errs, err)
	}
	// The statuses of a merge commit (or a later commit of the base
	// branch) may settle a stage's health gate.
	errs = append(errs, h.verify(ctx, c.SHA, c.Branches))
	return h.classify(errors.Join(errs...))
}

// verify looks at the health gates still open that sha's statuses may
// settle; every one for a reconcile (sha "").
func (h *Handler) verify(ctx context.Context, sha string, branches []string) error {
	rs, err := h.opts.Engine.Verifications(ctx, sha, branches)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rs {
		o, err := h.opts.Engine.Run(ctx, r)
		if o.Result != promote.Ignored {
			h.report(h.log.With("sha", sha), o)
		}
		if o.Result == promote.HealthOK && h.opts.Issue != nil && h.opts.Issue.Refresh != nil {
			h.opts.Issue.Refresh(ctx) // the next stage's cell may change
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Request runs a request made through the queue: a link confirmation, the
// CLI, a chain that waited for a soak time.
func (h *Handler) Request(ctx context.Context, payload []byte) error {
	r, err := promote.DecodeRequest(payload)
	if err != nil {
		return queue.Permanent(err)
	}
	o, err := h.opts.Engine.Run(ctx, r)
	h.report(h.log.With("request_id", r.ID, "source", r.Source), o)
	return h.classify(err)
}

// ConfigChanged checks the config at a commit of the base branch that may
// have changed it; the queue has woken the work waiting for a fix.
func (h *Handler) ConfigChanged(ctx context.Context, c queue.ConfigChanged) error {
	if err := h.opts.Engine.CheckConfig(ctx, c.SHA); err != nil {
		return h.classify(err)
	}
	// A config that turns the promotions issue on, or changes the
	// matrix, shows in the issue at once.
	return h.KeepIssue(ctx, c.Repo)
}

// Reconcile heals pushes whose notification never arrived.
func (h *Handler) Reconcile(ctx context.Context) error {
	outs, err := h.opts.Engine.Reconcile(ctx, h.opts.Tags)
	for _, o := range outs {
		if o.Result != promote.AlreadyThere && o.Result != promote.Ignored {
			h.report(h.log.With("reconcile", true), o)
		}
	}
	// A status event that never came (stagehand was down, a delivery was
	// lost) is read here: the health gates still open look again. The
	// promotions issue is healed too (an edit lost, soak times passed).
	err = errors.Join(err, h.verify(ctx, "", nil))
	_, ierr := h.keepIssue(ctx)
	return h.classify(errors.Join(err, ierr))
}

func (h *Handler) report(log *slog.Logger, o promote.Outcome) {
	if o.Result == "" {
		return
	}
	if len(o.Each) > 0 {
		// A request split per next stage: each stage's outcome is the news.
		for _, e := range o.Each {
			h.report(log, e)
		}
		return
	}
	h.promotions.WithLabelValues(h.opts.Repo, o.Stage, string(o.Result)).Inc()
	attrs := []any{"app", o.App, "stage", o.Stage, "result", o.Result}
	if o.Group != "" {
		attrs = append(attrs, "group", o.Group)
		if len(o.Members) > 0 {
			attrs = append(attrs, "apps", len(o.Members))
		}
	}
	if o.To.Digest != "" {
		attrs = append(attrs, "digest", o.To.Digest, "tag", o.To.Tag)
	}
	if o.PR != 0 {
		attrs = append(attrs, "pr", o.PR)
	}
	if o.Reason != "" {
		attrs = append(attrs, "reason", o.Reason)
	}
	level := slog.LevelInfo
	switch o.Result {
	case promote.Refused, promote.Failed:
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "promotion", attrs...)
	if o.Then != nil {
		h.report(log, *o.Then)
	}
}

// classify tells the queue how to retry: a broken config waits for a fix
// without spending attempts; a rate limit waits as long as it says; a
// registry that refuses stagehand's credentials or a bad reference needs a
// person.
func (h *Handler) classify(err error) error {
	var ce *promote.ConfigError
	var reg *registry.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return queue.Later(err, h.opts.ConfigRetry)
	case errors.As(err, &reg) && reg.Kind == registry.RateLimited && reg.RetryAfter > 0:
		return queue.Later(err, reg.RetryAfter)
	case errors.Is(err, registry.ErrUnauthorized), errors.Is(err, registry.ErrInvalidReference):
		return queue.Permanent(err)
	}
	if d := githubapp.RetryAfter(err); d > 0 {
		return queue.Later(err, d)
	}
	return err
}
