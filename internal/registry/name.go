package registry

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Normalize returns the canonical form of an image repository the way
// registries resolve it: "nginx" is "docker.io/library/nginx", and a tag or
// digest is dropped. A name that does not parse comes back lower-cased and
// otherwise as it was, so that comparing it fails safe rather than panics.
func Normalize(repo string) string {
	repo = TrimReference(repo)
	r, err := name.NewRepository(repo)
	if err != nil {
		return strings.ToLower(repo)
	}
	host := r.RegistryStr()
	if host == name.DefaultRegistry {
		host = "docker.io"
	}
	return host + "/" + r.RepositoryStr()
}

// SameRepository reports whether a and b name the same image repository.
func SameRepository(a, b string) bool { return Normalize(a) == Normalize(b) }

// TrimReference drops a trailing ":tag" and/or "@digest" while keeping a
// registry port ("localhost:5000/app:1" is "localhost:5000/app").
func TrimReference(s string) string {
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		s = s[:i]
	}
	return s
}
