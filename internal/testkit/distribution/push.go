package distribution

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Sizes of what PushImage and PushIndex make: small, so a push takes
// milliseconds, yet with more than one layer, as real images have.
const (
	imageLayers    = 2
	imageLayerSize = 1024
	indexImages    = 2
)

// Pushed is what a push left in the registry.
type Pushed struct {
	Ref       name.Tag        // Host()/repo:tag
	Digest    v1.Hash         // what the registry serves for Ref (HEAD)
	MediaType types.MediaType // of the manifest or index, as served

	// Artifact is what was pushed (a v1.Image or v1.ImageIndex); push it
	// again under another tag with Push.
	Artifact remote.Taggable

	Started time.Time // the push began (blobs first)
	Done    time.Time // the registry acknowledged the manifest
}

// ErrDigest reports that the registry serves another digest than the one
// pushed.
var ErrDigest = errors.New("distribution: registry serves another digest")

// PushImage pushes a new random image to repoTag ("app:v1", in this
// registry).
func (r *Registry) PushImage(ctx context.Context, repoTag string) (Pushed, error) {
	img, err := random.Image(imageLayerSize, imageLayers)
	if err != nil {
		return Pushed{}, fmt.Errorf("random image: %w", err)
	}
	return r.Push(ctx, repoTag, img)
}

// PushIndex pushes a new random image index (a multi-arch image: the
// images first, then the index) to repoTag.
func (r *Registry) PushIndex(ctx context.Context, repoTag string) (Pushed, error) {
	idx, err := random.Index(imageLayerSize, imageLayers, indexImages)
	if err != nil {
		return Pushed{}, fmt.Errorf("random index: %w", err)
	}
	return r.Push(ctx, repoTag, idx)
}

// Push pushes artifact, a v1.Image or v1.ImageIndex, to repoTag
// with remote.Write or remote.WriteIndex, then checks with remote.Head
// that the registry serves its digest. The registry sends a push event for
// each blob it did not have and for the manifest, and the HEAD makes it
// send a pull event too.
func (r *Registry) Push(ctx context.Context, repoTag string, artifact remote.Taggable) (Pushed, error) {
	ref, err := name.NewTag(r.Host()+"/"+repoTag, name.Insecure, name.StrictValidation)
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s: %w", repoTag, err)
	}
	var want v1.Hash
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(r.transport)}
	p := Pushed{Ref: ref, Artifact: artifact, Started: time.Now()}
	switch a := artifact.(type) {
	case v1.ImageIndex:
		if want, err = a.Digest(); err == nil {
			err = remote.WriteIndex(ref, a, opts...)
		}
	case v1.Image:
		if want, err = a.Digest(); err == nil {
			err = remote.Write(ref, a, opts...)
		}
	default:
		err = fmt.Errorf("a %T is neither a v1.Image nor a v1.ImageIndex", artifact)
	}
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s: %w", ref, err)
	}
	p.Done = time.Now()
	desc, err := remote.Head(ref, opts...)
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s: head: %w", ref, err)
	}
	if desc.Digest != want {
		return Pushed{}, fmt.Errorf("%w: %s is %s, pushed %s", ErrDigest, ref, desc.Digest, want)
	}
	p.Digest, p.MediaType = desc.Digest, desc.MediaType
	return p, nil
}

// PushAt waits until at, then pushes as Push does; make the artifacts
// first, so that a burst of pushes starts when and in the order the test
// says.
func (r *Registry) PushAt(ctx context.Context, at time.Time, repoTag string, artifact remote.Taggable) (Pushed, error) {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return Pushed{}, fmt.Errorf("push %s at %s: %w", repoTag, at.Format(time.RFC3339Nano), context.Cause(ctx))
	}
	return r.Push(ctx, repoTag, artifact)
}
