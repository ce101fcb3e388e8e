package promote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

// Engine proposes images for stages of the config repository.
type Engine struct {
	gh       GitHub
	resolver DigestResolver
	holds    Holds
	links    func(app, from, to, digest string) string
	signIn   bool
	base     string
	dryRun   bool
	log      *slog.Logger
}

// Options configure an Engine. GitHub and Resolver are required.
type Options struct {
	GitHub   GitHub
	Resolver DigestResolver
	// BaseBranch is the config repository's branch that Argo CD or Flux
	// deploy from; default "main".
	BaseBranch string
	// Holds, when set, stops promotions into held stages.
	Holds Holds
	// Links, when set, returns a one-click link that promotes app's digest
	// from stage `from` to stage `to`, or "" for none; each PR body then
	// links the promotion of its image to the next stage.
	Links func(app, from, to, digest string) string
	// LinksSignIn says the link pages sign people in with GitHub and check
	// approvers for them, so stages with approvers get links too.
	LinksSignIn bool
	// DryRun reads everything and decides, but writes nothing to GitHub:
	// outcomes that would change something come back as Planned.
	DryRun bool
	Logger *slog.Logger
}

// New returns an Engine, or an error naming what is missing.
func New(opts Options) (*Engine, error) {
	var errs []error
	if opts.GitHub == nil {
		errs = append(errs, errors.New("promote: a GitHub client is required"))
	}
	if opts.Resolver == nil {
		errs = append(errs, errors.New("promote: a registry resolver is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e := &Engine{gh: opts.GitHub, resolver: opts.Resolver, holds: opts.Holds, links: opts.Links, signIn: opts.LinksSignIn, base: opts.BaseBranch, dryRun: opts.DryRun, log: opts.Logger}
	if e.base == "" {
		e.base = "main"
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// snapshot is the base branch at one commit and the config read from it:
// everything one event decides on comes from the same commit.
type snapshot struct {
	base githubapp.Branch
	cfg  *config.Config
}

// ConfigError is a .stagehand.yaml that does not parse or validate: nothing
// can be promoted until it is fixed.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s on the base branch is invalid, so stagehand changes nothing until it is fixed:\n%v", config.FileName, e.Err)
}
func (e *ConfigError) Unwrap() error { return e.Err }

func (e *Engine) snapshot(ctx context.Context) (snapshot, error) {
	base, err := e.gh.Branch(ctx, e.base)
	if err != nil {
		return snapshot{}, fmt.Errorf("read branch %s: %w", e.base, err)
	}
	data, err := e.gh.ReadFile(ctx, config.FileName, base.SHA)
	if errors.Is(err, githubapp.ErrNotFound) {
		return snapshot{}, &ConfigError{Err: fmt.Errorf("%s does not exist on %s; add it at the root of the config repository (see `stagehand validate`)", config.FileName, e.base)}
	}
	if err != nil {
		return snapshot{}, fmt.Errorf("read %s at %s: %w", config.FileName, short(base.SHA), err)
	}
	cfg, err := config.Parse(config.FileName, data)
	if err != nil {
		return snapshot{}, &ConfigError{Err: err}
	}
	return snapshot{base: base, cfg: cfg}, nil
}

// ImagePushed handles a push of image:tag: for every app whose image it is
// and whose tag policy accepts the tag, the digest is resolved from the
// registry and proposed for the app's first stage. The error is for
// failures (GitHub or the registry could not be reached, the config is
// invalid); refusals and ignored pushes are outcomes with a reason.
func (e *Engine) ImagePushed(ctx context.Context, image, tag string) ([]Outcome, error) {
	snap, err := e.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	apps := snap.cfg.AppsForImage(image)
	if len(apps) == 0 {
		return []Outcome{{Result: Ignored, Reason: fmt.Sprintf("no app in %s uses %s", config.FileName, registry.Normalize(image))}}, nil
	}
	first := snap.cfg.First()
	var (
		outs   []Outcome
		errs   []error
		digest string // resolved once, for the first app that needs it
	)
	for _, app := range apps {
		out := Outcome{App: app.Name, Stage: first.Name, Path: app.Path(first.Name)}
		if v := decidePushTag(app, tag); !v.ok {
			out.Result, out.Reason = Ignored, v.reason
			outs = append(outs, out)
			continue
		}
		target, err := e.readStage(ctx, snap, app, first.Name)
		if err != nil {
			out.Result, out.Reason = refusedOrFailed(err, &errs)
			outs = append(outs, out)
			continue
		}
		if v := decidePushOrder(app, first.Name, tag, target.pinned); !v.ok {
			out.Result, out.Reason, out.From = Ignored, v.reason, target.pinned
			outs = append(outs, out)
			continue
		}
		if digest == "" {
			if digest, err = e.resolver.Resolve(ctx, image, tag); err != nil {
				return outs, fmt.Errorf("resolve %s:%s: %w", image, tag, err)
			}
		}
		want := Want{Image: app.Image, Tag: tag, Digest: digest}
		o, err := e.propose(ctx, snap, app, first, target, want)
		if err != nil {
			errs = append(errs, err)
		}
		outs = append(outs, o)
	}
	return outs, errors.Join(errs...)
}

// Promote moves the image that the stage before `to` pins, exactly as it is
// pinned there on the base branch, into stage `to`.
func (e *Engine) Promote(ctx context.Context, appName, to string) (Outcome, error) {
	return e.PromoteIf(ctx, appName, to, nil)
}

// Allow is asked, before anything is written, whether the image may move
// from stage `from` into stage `to`; a non-empty answer is the refusal.
type Allow func(ctx context.Context, from, to config.Stage, want Want) (refusal string, err error)

// PromoteIf is Promote with a gate that a person's request must pass
// (who may, soak time), decided on the same snapshot that is promoted.
func (e *Engine) PromoteIf(ctx context.Context, appName, to string, allow Allow) (Outcome, error) {
	snap, err := e.snapshot(ctx)
	if err != nil {
		return Outcome{}, err
	}
	return e.promoteIn(ctx, snap, appName, to, allow)
}

// Config reads .stagehand.yaml from the head of the base branch.
func (e *Engine) Config(ctx context.Context) (*config.Config, error) {
	snap, err := e.snapshot(ctx)
	return snap.cfg, err
}

// promoteIn is Promote on a snapshot already read.
func (e *Engine) promoteIn(ctx context.Context, snap snapshot, appName, to string, allow Allow) (Outcome, error) {
	out := Outcome{App: appName, Stage: to}
	app, from, target, v := decidePromoteStages(snap.cfg, appName, to)
	if !v.ok {
		out.Result, out.Reason = Refused, v.reason
		return out, nil
	}
	var errs []error
	src, err := e.readStage(ctx, snap, app, from.Name)
	if err != nil {
		out.Result, out.Reason = refusedOrFailed(err, &errs)
		return out, errors.Join(errs...)
	}
	want, v := decideSource(app, from.Name, src.path, src.pinned)
	if !v.ok {
		out.Result, out.Reason = Refused, v.reason
		return out, nil
	}
	if allow != nil {
		refusal, err := allow(ctx, from, target, want)
		if err != nil {
			return failed(out, err)
		}
		if refusal != "" {
			out.Result, out.Reason, out.To = Refused, refusal, want
			return out, nil
		}
	}
	dst, err := e.readStage(ctx, snap, app, to)
	if err != nil {
		out.Path = app.Path(to)
		out.Result, out.Reason = refusedOrFailed(err, &errs)
		return out, errors.Join(errs...)
	}
	return e.propose(ctx, snap, app, target, dst, want)
}

// stageFile is an app's kustomization in one stage, as the base branch has it.
type stageFile struct {
	path   string
	data   []byte
	pinned manifest.Pinned
}

// Refusal is a failure a person must fix in the config repository (a
// missing kustomization, broken YAML); it is reported, not retried.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

func (e *Engine) readStage(ctx context.Context, snap snapshot, app config.App, stage string) (stageFile, error) {
	path := app.Path(stage)
	data, err := e.gh.ReadFile(ctx, path, snap.base.SHA)
	if errors.Is(err, githubapp.ErrNotFound) {
		return stageFile{}, &Refusal{Reason: fmt.Sprintf("%s does not exist on %s; create it, or fix the path of %s's %s stage in %s", path, e.base, app.Name, stage, config.FileName)}
	}
	if err != nil {
		return stageFile{}, fmt.Errorf("read %s: %w", path, err)
	}
	pinned, err := manifest.Current(path, data, app.Image)
	if err != nil {
		return stageFile{}, &Refusal{Reason: fmt.Sprintf("cannot read %s's image from %s: %v", app.Name, path, err)}
	}
	return stageFile{path: path, data: data, pinned: pinned}, nil
}

// refusedOrFailed turns a Refusal into a refused outcome and anything else
// into a failure that the caller returns.
func refusedOrFailed(err error, errs *[]error) (Result, string) {
	var r *Refusal
	if errors.As(err, &r) {
		return Refused, r.Reason
	}
	*errs = append(*errs, err)
	return Refused, err.Error()
}
