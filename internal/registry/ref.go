package registry

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// tagRE is the OCI distribution spec's tag grammar but for its length,
// which ValidTag checks: a bounded repetition ({0,127}) compiles to a
// program as long as its bound, 50 KB of heap for the process's life.
var tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]*$`)

// ValidTag reports whether tag is an OCI tag: up to 128 characters.
func ValidTag(tag string) bool { return len(tag) <= 128 && tagRE.MatchString(tag) }

// digestRE is the only digest form stagehand pins.
var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// target is what to ask for: the repository as the user named it, and
// the one actually asked (a mirror's, or the same).
type target struct {
	ref    string          // as given, for messages
	repo   name.Repository // asked
	mirror string          // non-empty when a mirror stands in
}

// parseImage validates image (a repository, no tag or digest) and maps it
// to the registry to ask. Nothing here touches the network.
func (o *options) parseImage(image string) (target, error) {
	if image == "" {
		return target{}, fmt.Errorf("%w: empty image", ErrInvalidReference)
	}
	repo, err := name.NewRepository(image)
	if err == nil && (strings.Contains(image, "://") || strings.HasSuffix(repo.RegistryStr(), ":")) {
		// ggcr reads "https://ghcr.io/x" as registry "https:".
		err = errors.New("a scheme is not part of an image name")
	}
	if err != nil {
		return target{}, fmt.Errorf("%w: image %q (want a repository such as ghcr.io/acme/web, without tag or digest): %w", ErrInvalidReference, image, err)
	}
	t := target{ref: image, repo: repo}
	host := repo.RegistryStr()
	if m, ok := o.mirrors[host]; ok {
		host, t.mirror = m, m
	}
	var nameOpts []name.Option
	if o.insecure[host] {
		nameOpts = append(nameOpts, name.Insecure)
	}
	t.repo, err = name.NewRepository(host+"/"+repo.RepositoryStr(), nameOpts...)
	if err != nil {
		return target{}, fmt.Errorf("%w: image %q via %s: %w", ErrInvalidReference, image, host, err)
	}
	return t, nil
}

// parseTag validates tag against the OCI grammar and returns the reference
// to ask for.
func (o *options) parseTag(image, tag string) (target, name.Tag, error) {
	t, err := o.parseImage(image)
	if err != nil {
		return target{}, name.Tag{}, err
	}
	if !ValidTag(tag) {
		if tag == "" {
			return target{}, name.Tag{}, fmt.Errorf("%w: empty tag for %s", ErrInvalidReference, image)
		}
		return target{}, name.Tag{}, fmt.Errorf("%w: tag %q for %s: want up to 128 letters, digits, '_', '.', '-', not starting with '.' or '-'", ErrInvalidReference, tag, image)
	}
	t.ref = image + ":" + tag
	return t, t.repo.Tag(tag), nil
}
