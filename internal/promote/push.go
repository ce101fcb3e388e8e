package promote

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

// Pushed is one push of an image as a registry told of it.
type Pushed struct {
	Image, Tag string
	// Digest is what the payload claimed: a hint, the registry decides.
	Digest string
	// PushedAt is when the registry says it was pushed; zero when it did
	// not say.
	PushedAt time.Time
	// Seq orders arrivals, for when nothing else does.
	Seq int64
}

// CreatedTimer tells when an image was built; *registry.Resolver is one.
// It orders the pushes of a burst that no version and no push time order.
type CreatedTimer interface {
	Created(ctx context.Context, image, digest string) (time.Time, error)
}

// Pushes handles the pushes of one image that arrived since its last job,
// whatever their order of arrival: for every app of the image, the newest
// tag its policy accepts (the highest version, or for a pattern the image
// pushed last) is resolved from the registry and proposed for the app's
// first stage. A broken config is an error (*ConfigError): the pushes stay
// pending until it is fixed.
func (e *Engine) Pushes(ctx context.Context, image string, burst []Pushed, src Source) ([]Outcome, error) {
	// Which apps use the image: the config last read says, unless it names
	// none (an app may have been added since); each app's request reads
	// the base branch afresh anyway.
	var apps []config.App
	if cfg := e.lastConfig.Load(); cfg != nil {
		apps = cfg.AppsForImage(image)
	}
	if len(apps) == 0 {
		cfg, err := e.Config(ctx)
		if err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				if rerr := e.reportBroken(ctx, ce.SHA, ce.Error()); rerr != nil {
					e.log.Warn("could not report the broken config", "sha", ce.SHA, "err", rerr)
				}
			}
			return nil, err
		}
		apps = cfg.AppsForImage(image)
	}
	if len(apps) == 0 {
		return []Outcome{{Result: Ignored, Reason: fmt.Sprintf("no app in %s uses %s", config.FileName, registry.Normalize(image))}}, nil
	}
	var (
		outs []Outcome
		errs []error
	)
	digests := map[string]string{} // tag → digest, resolved once per burst
	for _, app := range apps {
		best, why := e.newest(ctx, app, burst, digests)
		if best == nil {
			outs = append(outs, Outcome{App: app.Name, Result: Ignored, Reason: why})
			continue
		}
		if _, ok := digests[best.Tag]; !ok && e.resolver == nil {
			return outs, errors.New("promote: no registry resolver")
		}
		// The digest is asked of the registry beside the reads from
		// GitHub (runFilled); a registry that does not answer stops the
		// burst, to be retried, as it would stop the next app's.
		var resolveErr error
		fill := func(ctx context.Context) (Request, error) {
			d, ok := digests[best.Tag]
			if !ok {
				var err error
				if d, err = e.resolveFresh(ctx, image, *best); err != nil {
					resolveErr = fmt.Errorf("resolve %s:%s: %w", image, best.Tag, err)
					return Request{}, resolveErr
				}
				digests[best.Tag] = d
			}
			if best.Digest != "" && best.Digest != d {
				e.log.Warn("the payload's digest differs from the registry's; the registry wins",
					"image", image, "tag", best.Tag, "payload_digest", best.Digest, "digest", d)
			}
			at := best.PushedAt
			if at.IsZero() && !app.Tags.Ordered() {
				// No version orders the tags, and the sender gave no push
				// time: the image's creation time stands in, as in Reconcile.
				// Without one, a late notification of an older image, worked
				// after the newer one merged, would replace it
				// (notPushedBefore needs both times).
				at = e.createdOf(ctx, image, d)
			}
			return Request{Kind: Push, Source: src, App: app.Name, Image: app.Image, Tag: best.Tag, Digest: d, PushedAt: at}, nil
		}
		o, err := e.runFilled(ctx, Request{Kind: Push, Source: src, App: app.Name, Image: app.Image, Tag: best.Tag}, fill)
		if resolveErr != nil {
			return outs, resolveErr
		}
		outs = append(outs, o)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return outs, errors.Join(errs...)
}

// newest is the push of the burst app should get: among the tags its
// policy accepts, the highest version; for a pattern policy the one pushed
// last, by the registry's push time, else by the images' creation times,
// else by arrival. why says why there is none.
func (e *Engine) newest(ctx context.Context, app config.App, burst []Pushed, digests map[string]string) (*Pushed, string) {
	var ok []Pushed
	var why verdict
	for _, p := range burst {
		if v := AcceptsPush(app, p.Tag); v.ok {
			ok = append(ok, p)
		} else {
			why = v
		}
	}
	switch {
	case len(ok) == 0:
		return nil, why.reason
	case len(ok) == 1:
		return &ok[0], ""
	case app.Tags.Ordered():
		best := ok[0]
		for _, p := range ok[1:] {
			if app.Tags.Older(best.Tag, p.Tag) {
				best = p
			}
		}
		return &best, ""
	}
	return e.pushedLast(ctx, app, ok, digests), ""
}

// pushedLast orders pushes of tags no version orders. A time the registry
// gave wins; where two pushes share one (or none was given), the images'
// creation times decide; then arrival. At most maxCreated images are asked
// about: the newest arrivals.
func (e *Engine) pushedLast(ctx context.Context, app config.App, ps []Pushed, digests map[string]string) *Pushed {
	const maxCreated = 20
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Seq < ps[j].Seq })
	if len(ps) > maxCreated {
		ps = ps[len(ps)-maxCreated:]
	}
	created := map[string]time.Time{}
	if ct, ok := e.resolver.(CreatedTimer); ok && ambiguous(ps) {
		for _, p := range ps {
			d, ok := digests[p.Tag]
			if !ok {
				var err error
				if d, err = e.resolver.Resolve(ctx, app.Image, p.Tag); err != nil {
					continue
				}
				digests[p.Tag] = d
			}
			if t, err := ct.Created(ctx, app.Image, d); err == nil {
				created[p.Tag] = t
			}
		}
	}
	best := ps[0]
	for _, p := range ps[1:] {
		switch {
		case !p.PushedAt.Equal(best.PushedAt) && !p.PushedAt.IsZero() && !best.PushedAt.IsZero():
			if p.PushedAt.After(best.PushedAt) {
				best = p
			}
		case !created[p.Tag].Equal(created[best.Tag]):
			if created[p.Tag].After(created[best.Tag]) {
				best = p
			}
		default:
			best = p // later arrival
		}
	}
	return &best
}

// ambiguous: the registry's push times do not order every push.
func ambiguous(ps []Pushed) bool {
	seen := map[time.Time]bool{}
	for _, p := range ps {
		if p.PushedAt.IsZero() || seen[p.PushedAt] {
			return true
		}
		seen[p.PushedAt] = true
	}
	return false
}

// resolveFresh resolves a pushed tag. A registry may notify before it has
// moved the tag (CNCF Distribution sends the event first and writes the
// tag after), so a tag not found yet, or naming another digest than the
// payload claims, is asked for again a few times over about a second and a
// half before the registry's answer is believed. The registry still wins.
func (e *Engine) resolveFresh(ctx context.Context, image string, p Pushed) (string, error) {
	wait := 100 * time.Millisecond
	for try := 1; ; try++ {
		d, err := e.resolver.Resolve(ctx, image, p.Tag)
		switch {
		case try == 5:
			return d, err
		case err == nil && (p.Digest == "" || d == p.Digest):
			return d, nil
		case err != nil && !errors.Is(err, registry.ErrNotFound):
			return d, err
		}
		select {
		case <-ctx.Done():
			return d, err
		case <-time.After(wait):
		}
		wait *= 2
	}
}
