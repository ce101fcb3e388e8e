package registry

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The OCI annotations (and, by convention, config labels) that say what an
// image was built from; docker buildx and most CI set them.
const (
	AnnotationSource   = "org.opencontainers.image.source"
	AnnotationRevision = "org.opencontainers.image.revision"
)

// Origin is what an image says it was built from: a source repository's
// URL and a revision in it. Either may be empty: the image does not say,
// or says something stagehand would not show (not an http(s) URL, not a
// plain revision).
type Origin struct {
	Source   string
	Revision string
}

// Bounds on what Origin reads, so that an odd image costs little: a
// manifest or config this large is not read for its labels.
const (
	maxOriginManifest = 4 << 20
	maxOriginConfig   = 4 << 20
	originCacheSize   = 1024
)

// revisionRE is a revision worth showing: a commit SHA, a tag or a branch,
// nothing that could break out of Markdown.
// Up to 100 characters: the length is checked apart (see tagRE).
var revisionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

// Origin reads image@digest's source and revision: the manifest's (or
// index's) annotations first, then, for an index, its first image's, then
// the image config's labels. Answers are cached by digest, which names the
// content, so each image is read once.
func (r *Resolver) Origin(ctx context.Context, image, digest string) (Origin, error) {
	if o, ok := r.origins.get(digest); ok {
		return o, nil
	}
	t, err := r.o.parseImage(image)
	if err != nil {
		return Origin{}, err
	}
	if !digestRE.MatchString(digest) {
		return Origin{}, fmt.Errorf("%w: digest %q of %s is not sha256:<64 hex>", ErrInvalidReference, digest, image)
	}
	ctx, ct := withNotes(ctx)
	p, err := r.puller()
	if err != nil {
		return Origin{}, fmt.Errorf("read %s: %w", t.ref, err)
	}
	desc, err := p.Get(ctx, t.repo.Digest(digest))
	if err != nil {
		return Origin{}, r.fail(ctx, "read", t, ct, err)
	}
	o, err := readOrigin(desc)
	if err != nil {
		return Origin{}, r.fail(ctx, "read", t, ct, err)
	}
	r.origins.put(digest, o)
	return o, nil
}

func readOrigin(desc *remote.Descriptor) (Origin, error) {
	var o Origin
	if len(desc.Manifest) > maxOriginManifest {
		return o, nil
	}
	img := func() (v1.Image, error) { return desc.Image() }
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return o, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return o, err
		}
		o = o.fill(m.Annotations)
		var first *v1.Descriptor
		for i := range m.Manifests {
			if m.Manifests[i].MediaType.IsImage() {
				first = &m.Manifests[i]
				break
			}
		}
		if o.complete() || first == nil || first.Size > maxOriginManifest {
			return o, nil
		}
		o = o.fill(first.Annotations)
		img = func() (v1.Image, error) { return idx.Image(first.Digest) }
	} else if !desc.MediaType.IsImage() {
		return o, nil
	}
	if o.complete() {
		return o, nil
	}
	im, err := img()
	if err != nil {
		return o, err
	}
	m, err := im.Manifest()
	if err != nil {
		return o, err
	}
	if o = o.fill(m.Annotations); o.complete() || m.Config.Size > maxOriginConfig {
		return o, nil
	}
	cf, err := im.ConfigFile()
	if err != nil {
		return o, err
	}
	return o.fill(cf.Config.Labels), nil
}

// fill takes what o lacks from kv, keeping only values worth showing.
func (o Origin) fill(kv map[string]string) Origin {
	if o.Source == "" {
		if s := strings.TrimSpace(kv[AnnotationSource]); validSource(s) {
			o.Source = s
		}
	}
	if o.Revision == "" {
		if s := strings.TrimSpace(kv[AnnotationRevision]); len(s) <= 100 && revisionRE.MatchString(s) {
			o.Revision = s
		}
	}
	return o
}

func (o Origin) complete() bool { return o.Source != "" && o.Revision != "" }

func validSource(s string) bool {
	if len(s) > 512 || strings.ContainsAny(s, " \t\r\n<>()[]`\"'") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// originCache keeps answers by digest; when full it starts over, which
// costs one read per image again and keeps the bound simple.
type originCache struct {
	mu sync.Mutex
	m  map[string]Origin
}

func (c *originCache) get(digest string) (Origin, bool) {
	if c == nil {
		return Origin{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.m[digest]
	return o, ok
}

func (c *originCache) put(digest string, o Origin) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= originCacheSize {
		c.m = map[string]Origin{}
	}
	c.m[digest] = o
}

// GitHubRepo reads owner and repository from a github.com URL, the forms
// images carry: https://github.com/owner/repo, with or without .git or a
// trailing slash. ok is false for any other host or shape.
func GitHubRepo(source string) (owner, repo string, ok bool) {
	u, err := url.Parse(source)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !strings.EqualFold(u.Hostname(), "github.com") || u.Port() != "" {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 {
		return "", "", false
	}
	owner, repo = parts[0], strings.TrimSuffix(parts[1], ".git")
	if !ghName(owner) || !ghName(repo) || repo == "." || repo == ".." {
		return "", "", false
	}
	return owner, repo, true
}

// ghNameRE is a GitHub owner or repository name but for its length, up to
// 100, which ghName checks apart (see tagRE).
var ghNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func ghName(s string) bool { return len(s) <= 100 && ghNameRE.MatchString(s) }
