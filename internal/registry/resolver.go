package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// retryStatusCodes are ggcr's defaults without 429: a rate limit is
// returned at once with its Retry-After, for the queue to schedule the
// retry, instead of sleeping inside the call.
var retryStatusCodes = []int{
	http.StatusRequestTimeout,
	http.StatusInternalServerError,
	http.StatusBadGateway,
	http.StatusServiceUnavailable,
	http.StatusGatewayTimeout,
}

// Resolver turns image:tag into the digest to pin. It is safe for
// concurrent use.
//
// Calls share one puller, which keeps, per repository, the registry's
// answer to its ping and the token it gave: a push then costs one request
// (the manifest HEAD), not three (ping, token, HEAD) — the round trips a
// push waits for before its PR. The puller is replaced every pullerMaxAge,
// so credentials changed in the Docker config are picked up without a
// restart, a few minutes later at most.
type Resolver struct {
	o       *options // read-only after New
	origins *originCache

	mu       sync.Mutex
	shared   *remote.Puller
	sharedAt time.Time
}

// pullerMaxAge bounds how long a puller, and the credentials it read, is
// kept. Registries' tokens last about as long (Docker Hub's five minutes);
// ggcr renews one that expires sooner.
const pullerMaxAge = 5 * time.Minute

// New builds a Resolver; see the With... options for the defaults.
func New(opts ...Option) (*Resolver, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &Resolver{o: o, origins: &originCache{}}, nil
}

// Resolve returns the digest ("sha256:<64 hex>") that image:tag points at
// now. For a multi-platform image that is the index digest, so every
// platform is pinned. Registry failures are *Error; bad input is
// ErrInvalidReference, found before any request.
func (r *Resolver) Resolve(ctx context.Context, image, tag string) (string, error) {
	t, ref, err := r.o.parseTag(image, tag)
	if err != nil {
		return "", err
	}
	ctx, ct := withNotes(ctx)
	p, err := r.puller()
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", t.ref, err)
	}

	// HEAD is cheap and, unlike GET, does not count against Docker Hub's
	// pull limit. The digest header is the registry's own content address.
	desc, err := p.Head(ctx, ref)
	if err == nil && digestRE.MatchString(desc.Digest.String()) {
		return desc.Digest.String(), nil
	}
	if err != nil && !ct.headUnusable() {
		return "", r.fail(ctx, "resolve", t, ct, err)
	}
	// Answered, but no usable digest header: hash the manifest bytes.
	got, err := p.Get(ctx, ref)
	if err != nil {
		return "", r.fail(ctx, "resolve", t, ct, err)
	}
	d := got.Digest.String()
	if !digestRE.MatchString(d) {
		return "", &Error{Kind: Other, Op: "resolve", Ref: t.ref, mirror: t.mirror,
			Err: fmt.Errorf("registry gave digest %q, want sha256:<64 hex>", d)}
	}
	return d, nil
}

// Created is when the image image@digest was built, as its config says;
// for an index, the newest of its platform images. It orders a burst of
// pushes of tags no version orders, when the registry gave no push time. A
// zero time means the image does not say (reproducible builds set it to
// the epoch, which counts as not saying).
func (r *Resolver) Created(ctx context.Context, image, digest string) (time.Time, error) {
	t, err := r.o.parseImage(image)
	if err != nil {
		return time.Time{}, err
	}
	if !digestRE.MatchString(digest) {
		return time.Time{}, fmt.Errorf("%w: digest %q of %s is not sha256:<64 hex>", ErrInvalidReference, digest, image)
	}
	ref := t.repo.Digest(digest)
	ctx, ct := withNotes(ctx)
	p, err := r.puller()
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s: %w", t.ref, err)
	}
	desc, err := p.Get(ctx, ref)
	if err != nil {
		return time.Time{}, r.fail(ctx, "read", t, ct, err)
	}
	var newest time.Time
	created := func(img v1.Image) error {
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		if c := cf.Created.Time; c.After(newest) && c.Unix() > 0 {
			newest = c
		}
		return nil
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return time.Time{}, r.fail(ctx, "read", t, ct, err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return time.Time{}, r.fail(ctx, "read", t, ct, err)
		}
		for i, d := range m.Manifests {
			if i == 4 || !d.MediaType.IsImage() {
				break // a few platforms tell as much as all of them
			}
			img, err := idx.Image(d.Digest)
			if err == nil {
				err = created(img)
			}
			if err != nil {
				return time.Time{}, r.fail(ctx, "read", t, ct, err)
			}
		}
		return newest, nil
	}
	img, err := desc.Image()
	if err == nil {
		err = created(img)
	}
	if err != nil {
		return time.Time{}, r.fail(ctx, "read", t, ct, err)
	}
	return newest, nil
}

// Tags lists the tags of image, for periodic reconciliation; it pages
// through the whole list, so keep it off latency-sensitive paths.
func (r *Resolver) Tags(ctx context.Context, image string) ([]string, error) {
	t, err := r.o.parseImage(image)
	if err != nil {
		return nil, err
	}
	ctx, ct := withNotes(ctx)
	p, err := r.puller()
	if err != nil {
		return nil, fmt.Errorf("list tags %s: %w", t.ref, err)
	}
	tags, err := p.List(ctx, t.repo)
	if err != nil {
		return nil, r.fail(ctx, "list tags", t, ct, err)
	}
	return tags, nil
}

// puller is the puller calls share, a new one once it is pullerMaxAge old.
func (r *Resolver) puller() (*remote.Puller, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shared != nil && time.Since(r.sharedAt) < pullerMaxAge {
		return r.shared, nil
	}
	p, err := remote.NewPuller(
		remote.WithAuthFromKeychain(r.o.keychain),
		remote.WithTransport(&guardTransport{inner: r.o.transport, insecure: r.o.insecure}),
		remote.WithUserAgent(r.o.userAgent),
		remote.WithRetryStatusCodes(retryStatusCodes...),
	)
	if err != nil {
		return nil, err
	}
	r.shared, r.sharedAt = p, time.Now()
	return p, nil
}

// fail classifies err once, here, so callers only branch on *Error.
func (r *Resolver) fail(ctx context.Context, op string, t target, ct *callNotes, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		// Keep errors.Is(err, context.Canceled) true whatever ggcr wrapped.
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	e := &Error{Kind: classify(err), Op: op, Ref: t.ref, Err: err, mirror: t.mirror}
	if e.Kind == RateLimited {
		e.RetryAfter = parseRetryAfter(ct.retryAfterHeader(), time.Now())
	}
	return e
}
