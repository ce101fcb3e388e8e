package promote

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// TagLister lists an image's tags in the registry, for Reconcile.
type TagLister interface {
	Tags(ctx context.Context, image string) ([]string, error)
}

// maxReconcileTags bounds the tags of a pattern policy whose creation time
// one reconcile asks for; the times are kept by digest, so later runs ask
// only about new images.
const maxReconcileTags = 100

// Reconcile heals pushes whose notification never arrived: for every image
// of the config it looks at the registry's tags and hands them to Pushes,
// as if they had just been pushed. Semver apps get their highest accepted
// tag; pattern apps the image built last, by its creation time, and the
// pushed-before rule keeps that from ever moving a stage back. A no-op when
// the first stages run the newest already.
func (e *Engine) Reconcile(ctx context.Context, tags TagLister) ([]Outcome, error) {
	cfg, err := e.Config(ctx)
	if err != nil {
		return nil, err
	}
	images := map[string][]int{} // image → indexes of its apps
	var order []string
	for i, app := range cfg.Apps {
		if _, ok := images[app.Image]; !ok {
			order = append(order, app.Image)
		}
		images[app.Image] = append(images[app.Image], i)
	}
	sort.Strings(order)
	var outs []Outcome
	var errs []error
	for _, image := range order {
		all, err := tags.Tags(ctx, image)
		if err != nil {
			errs = append(errs, fmt.Errorf("list tags of %s: %w", image, err))
			continue
		}
		var burst []Pushed
		seen := map[string]bool{}
		for _, i := range images[image] {
			app := cfg.Apps[i]
			var accepted []string
			for _, t := range all {
				if app.Tags.Accepts(t) {
					accepted = append(accepted, t)
				}
			}
			if app.Tags.Ordered() {
				best := ""
				for _, t := range accepted {
					if best == "" || app.Tags.Older(best, t) {
						best = t
					}
				}
				accepted = accepted[:0]
				if best != "" {
					accepted = append(accepted, best)
				}
			} else if len(accepted) > maxReconcileTags {
				sort.Strings(accepted)
				accepted = accepted[len(accepted)-maxReconcileTags:]
			}
			for _, t := range accepted {
				if seen[t] {
					continue
				}
				seen[t] = true
				p := Pushed{Image: image, Tag: t, Seq: int64(len(burst))}
				if !app.Tags.Ordered() {
					p.PushedAt = e.createdAt(ctx, image, t)
				}
				burst = append(burst, p)
			}
		}
		if len(burst) == 0 {
			continue
		}
		o, err := e.Pushes(ctx, image, burst, FromReconcile)
		outs = append(outs, o...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return outs, errors.Join(errs...)
}

// createdAt is when the image image:tag was built, or zero when the
// registry cannot say; times are kept by digest.
func (e *Engine) createdAt(ctx context.Context, image, tag string) time.Time {
	if _, ok := e.resolver.(CreatedTimer); !ok {
		return time.Time{}
	}
	d, err := e.resolver.Resolve(ctx, image, tag)
	if err != nil {
		return time.Time{}
	}
	return e.createdOf(ctx, image, d)
}

// createdOf is when the image image@digest was built, or zero when the
// registry cannot say.
func (e *Engine) createdOf(ctx context.Context, image, digest string) time.Time {
	ct, ok := e.resolver.(CreatedTimer)
	if !ok {
		return time.Time{}
	}
	if t, ok := e.created.Load(digest); ok {
		return t.(time.Time)
	}
	t, err := ct.Created(ctx, image, digest)
	if err != nil {
		return time.Time{}
	}
	e.created.Store(digest, t)
	return t
}
