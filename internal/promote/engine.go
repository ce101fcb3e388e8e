package promote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// Engine runs requests: it locks the stage a request writes to, reads one
// snapshot, decides with Decide and applies the plan. Every way a promotion
// starts goes through Run (or Preview, which stops before applying).
type Engine struct {
	gh        GitHub
	records   Records
	locks     Locker
	sched     Scheduler
	reporter  Reporter
	notifier  Notifier
	resolver  DigestResolver
	origins   Origins
	compare   Comparer
	compared  comparisons
	links     func(app, from, to, digest string) string
	signIn    bool
	newImages func(images []string)
	base      string
	lockWait  time.Duration
	now       func() time.Time
	log       *slog.Logger

	reads      *readCache
	lastConfig atomic.Pointer[config.Config]
	prs        livingPRs
	reported   sync.Map // sha → problems reported on it, so each is said once
	broken     atomic.Bool
	created    sync.Map // digest → when the image was built, for tags no version orders
}

// Options configure an Engine. GitHub, Records and Locks are required.
type Options struct {
	GitHub  GitHub
	Records Records
	Locks   Locker
	// Scheduler asks again when a soak time ends, and when a group's
	// window closes; without one a chain that must soak is refused with the
	// time left, and the pushes of a group's apps fail, having nowhere to
	// wait for each other.
	Scheduler Scheduler
	// Reporter shows a broken config on the commit that broke it.
	Reporter Reporter
	// Notifier, when set, hears of the events outcomes make, for the
	// outgoing webhooks.
	Notifier Notifier
	// Resolver resolves pushed tags (Pushed); optional otherwise.
	Resolver DigestResolver
	// Origins, when set, reads what an image was built from, and Compare
	// the commits between two builds: a PR body then shows the source
	// repository and revision, and what changed since the image the stage
	// runs. Both optional.
	Origins Origins
	Compare Comparer
	// BaseBranch is the config repository's branch that Argo CD or Flux
	// deploy from; default "main".
	BaseBranch string
	// Links, when set, returns a one-click link that promotes app's digest
	// from stage `from` to stage `to`, or "" for none; each PR body then
	// links the promotion of its image to the next stage.
	Links func(app, from, to, digest string) string
	// LinksSignIn says the link pages sign people in with GitHub and check
	// approvers for them, so stages with approvers get links too.
	LinksSignIn bool
	// NewImages, when set, hears of images a new config uses that the
	// config before it did not: pushes of them may have been ignored at
	// the door (Concerns) while the old config was the one known, so the
	// caller looks in the registry for them (a reconcile). It must not
	// block.
	NewImages func(images []string)
	// LockWait bounds the wait for another writer of the same stage;
	// default 30s, then the work is retried.
	LockWait time.Duration
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns an Engine, or an error naming what is missing.
func New(opts Options) (*Engine, error) {
	var errs []error
	if opts.GitHub == nil {
		errs = append(errs, errors.New("promote: a GitHub client is required"))
	}
	if opts.Records == nil {
		errs = append(errs, errors.New("promote: records are required"))
	}
	if opts.Locks == nil {
		errs = append(errs, errors.New("promote: a locker is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e := &Engine{gh: opts.GitHub, records: opts.Records, locks: opts.Locks, sched: opts.Scheduler, reporter: opts.Reporter, notifier: opts.Notifier,
		resolver: opts.Resolver, origins: opts.Origins, compare: opts.Compare, links: opts.Links, signIn: opts.LinksSignIn, base: opts.BaseBranch, newImages: opts.NewImages,
		lockWait: opts.LockWait, now: opts.Now, log: opts.Logger, reads: newReadCache(512)}
	if e.base == "" {
		e.base = "main"
	}
	if e.lockWait <= 0 {
		e.lockWait = 30 * time.Second
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// BaseBranch is the branch promotions land on.
func (e *Engine) BaseBranch() string { return e.base }

// ErrMoved: the config changed which stage the request writes to while it
// waited for that stage's lock; running it again decides on the new one.
var ErrMoved = errors.New("the config changed while the request waited; retry")

// Run carries out r: lock the stage it writes to, read, decide, apply,
// record. The error is for failures worth retrying (GitHub, the registry or
// the database did not answer, or the config is broken); the outcome says
// what happened, including refusals.
func (e *Engine) Run(ctx context.Context, r Request) (Outcome, error) {
	return e.runFilled(ctx, r, nil)
}

// runFilled is Run for a request that fill completes (a push's digest,
// asked of the registry): fill runs beside the snapshot's reads from
// GitHub, since neither needs the other, one round trip fewer before the
// commit. Where r is split or gathered, fill runs first.
func (e *Engine) runFilled(ctx context.Context, r Request, fill func(context.Context) (Request, error)) (Outcome, error) {
	cfg, err := e.known(ctx)
	if err != nil {
		return e.failed(r, err)
	}
	if cfg != nil && fill != nil {
		if _, ok := cfg.GroupOf(r.App); ok || len(r.Split(cfg)) > 1 {
			fr, err := fill(ctx)
			if err != nil {
				return e.failed(r, err)
			}
			r, fill = fr, nil
		}
	}
	if cfg != nil {
		if rs := r.Split(cfg); len(rs) > 1 || rs[0].Stage != r.Stage {
			return e.runEach(ctx, r, rs)
		}
		if g, ok := cfg.GroupOf(r.App); ok && r.Kind == Push && r.Group == "" {
			return e.gather(ctx, r, cfg, g)
		}
		r = r.grouped(cfg)
	}
	key := e.key(r, cfg)
	release, err := e.locks.Lock(ctx, key, e.lockWait)
	if err != nil {
		return e.failed(r, fmt.Errorf("wait for %s: %w", key, err))
	}
	defer release()
	return e.runLocked(ctx, r, key, fill)
}

// runEach runs the requests r was split into, one stage each, in turn: a
// merge moving on to every stage after it, a /promote to all. Each is
// decided and applied on its own; the outcome is r's, with theirs in
// Each. A failure stops there and is returned for r to be retried: those
// done already find themselves done.
func (e *Engine) runEach(ctx context.Context, r Request, rs []Request) (Outcome, error) {
	o := Outcome{Request: r, App: r.App, Stage: r.Stage}
	for _, q := range rs {
		qo, err := e.Run(ctx, q)
		o.Each = append(o.Each, qo)
		if err != nil {
			o.Result, o.Reason = Failed, qo.Reason
			return o, err
		}
	}
	o.Result = Split
	var to []string
	for _, q := range rs {
		to = append(to, q.Stage)
	}
	o.Reason = fmt.Sprintf("one request for each stage after %s: %s", r.From, strings.Join(to, ", "))
	return o, nil
}

// runLocked is Run once the stage's lock is held; key "" skips the check
// that the plan writes to the locked stage.
func (e *Engine) runLocked(ctx context.Context, r Request, key string, fill func(context.Context) (Request, error)) (Outcome, error) {
	s, r, err := e.readBeside(ctx, r, fill)
	if err != nil {
		return e.failed(r, err)
	}
	if s.Config != nil && len(r.Split(s.Config)) > 1 {
		// The config read now has several stages after r.From where the
		// one Run split by had one: run again, split by this one.
		return e.failed(r, fmt.Errorf("%s is followed by several stages now: %w", r.From, ErrMoved))
	}
	p := Decide(r, s)
	if key != "" && p.Stage.Name != "" && p.Key() != key && p.Verdict != Ignore && p.Verdict != Refuse {
		return e.failed(r, fmt.Errorf("%s, not %s: %w", p.Key(), key, ErrMoved))
	}
	o, err := e.apply(ctx, p)
	if err != nil {
		o.Result, o.Reason = Failed, err.Error()
	}
	e.record(ctx, p, o)
	if err == nil && s.ConfigErr != nil {
		err = s.ConfigErr
	}
	if s.ConfigErr == nil && p.Code != CodeFile {
		e.reportFixed(ctx, s.Base.SHA)
	}
	return o, err
}

// readBeside reads r's snapshot while fill, when not nil, completes r.
func (e *Engine) readBeside(ctx context.Context, r Request, fill func(context.Context) (Request, error)) (Snapshot, Request, error) {
	if fill == nil {
		s, err := e.read(ctx, r)
		return s, r, err
	}
	var (
		fr   Request
		ferr error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		fr, ferr = fill(ctx)
	}()
	s, err := e.read(ctx, r)
	<-done // fill ends with ctx, and what it sets is the caller's to read
	if ferr != nil {
		return Snapshot{}, r, ferr
	}
	return s, fr, err
}

// Preview decides r on what the base branch and the records hold now and
// applies nothing: a dry run, and what a link's page shows. It takes no
// lock, so Run may decide otherwise a moment later; it decides by the same
// rules.
func (e *Engine) Preview(ctx context.Context, r Request) (Plan, error) {
	s, err := e.read(ctx, r)
	if err != nil {
		return Plan{Request: r}, err
	}
	return Decide(r, s), nil
}

// Concerns says whether an app of the config last read uses image, so that
// a push of an image no app uses is ignored before it costs a job; known is
// false until a config was read (then every push concerns stagehand). A
// config that starts using an image is announced through NewImages, so a
// push ignored while the older config was the one known is found again.
func (e *Engine) Concerns(image string) (uses, known bool) {
	cfg := e.lastConfig.Load()
	if cfg == nil {
		return false, false
	}
	return len(cfg.AppsForImage(image)) > 0, true
}

// LastConfig is the config last read from the base branch; nil until one
// was read and valid.
func (e *Engine) LastConfig() *config.Config { return e.lastConfig.Load() }

// learnConfig makes cfg the config last read and announces the images it
// uses that the one before did not.
func (e *Engine) learnConfig(cfg *config.Config) {
	prev := e.lastConfig.Swap(cfg)
	if prev == nil || prev == cfg || e.newImages == nil {
		return
	}
	var added []string
	for _, a := range cfg.Apps {
		if len(prev.AppsForImage(a.Image)) == 0 && !slices.Contains(added, a.Image) {
			added = append(added, a.Image)
		}
	}
	if len(added) > 0 {
		e.newImages(added)
	}
}

// known is the config last read, or the base branch's now when none was
// read yet; nil when that is broken (Decide refuses, and nothing is
// written).
func (e *Engine) known(ctx context.Context) (*config.Config, error) {
	if cfg := e.lastConfig.Load(); cfg != nil {
		return cfg, nil
	}
	base, err := e.gh.Branch(ctx, e.base)
	if err != nil {
		return nil, fmt.Errorf("read branch %s: %w", e.base, err)
	}
	cfg, _, err := e.config(ctx, base)
	return cfg, err
}

// key is the app/stage (or group/stage) r writes to, from the last config
// read: the lock is taken before the snapshot is read, and runLocked
// checks the guess.
func (e *Engine) key(r Request, cfg *config.Config) string {
	switch r.Kind {
	case Promote, Rollback, Hold, Release, Reconsider, Verify:
		if r.Stage != "" {
			return Key(r.App, r.Stage)
		}
	}
	if cfg == nil {
		return Key(r.App, "") // nothing will be written: any key will do
	}
	stage, ok := target(r, cfg)
	if !ok {
		return Key(r.App, "")
	}
	return Key(r.App, stage)
}

// Config reads .stagehand.yaml from the head of the base branch.
func (e *Engine) Config(ctx context.Context) (*config.Config, error) {
	base, err := e.gh.Branch(ctx, e.base)
	if err != nil {
		return nil, fmt.Errorf("read branch %s: %w", e.base, err)
	}
	cfg, cerr, err := e.config(ctx, base)
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, cerr
	}
	return cfg, nil
}

func (e *Engine) failed(r Request, err error) (Outcome, error) {
	return Outcome{Request: r, App: r.App, Stage: r.Stage, Result: Failed, Reason: err.Error()}, err
}
