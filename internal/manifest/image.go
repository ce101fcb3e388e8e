package manifest

import (
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
)

// Image is what stagehand pins for an app in one stage.
type Image struct {
	Name   string // repository as in the config, e.g. ghcr.io/acme/web
	Tag    string
	Digest string // "sha256:<64 hex>"
}

// Pinned is what a kustomization's images: entry pins for one image.
type Pinned struct {
	Found   bool
	Name    string // the entry's name as written
	NewName string
	Tag     string
	Digest  string
}

var (
	// ErrBadDigest means a digest is not "sha256:" and 64 lowercase hex digits.
	ErrBadDigest = errors.New("digest is not sha256:<64 lowercase hex>")
	// ErrBadTag means a tag is empty or not a valid OCI tag.
	ErrBadTag = errors.New("invalid image tag")
	// ErrBadName means an image name is not a valid repository.
	ErrBadName = errors.New("invalid image name")
)

// validate refuses anything stagehand should never write: both a tag and a
// digest are required so the overlay always renders name:tag@digest.
func (img Image) validate() error {
	if _, err := name.NewRepository(img.Name); err != nil {
		return fmt.Errorf("%w %q: %v", ErrBadName, img.Name, err)
	}
	if !validTag(img.Tag) {
		return fmt.Errorf("%w %q", ErrBadTag, img.Tag)
	}
	if !validDigest(img.Digest) {
		return fmt.Errorf("%w: %q", ErrBadDigest, img.Digest)
	}
	return nil
}

// validTag follows the OCI distribution spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
func validTag(t string) bool {
	if len(t) == 0 || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func validDigest(d string) bool {
	const prefix = "sha256:"
	if len(d) != len(prefix)+64 || d[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(d); i++ {
		c := d[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
