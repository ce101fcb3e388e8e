package webhook

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Push is an image push as a sender describes it.
type Push struct {
	// Image is the full repository with registry host, canonical: Docker Hub
	// is "docker.io/<namespace>/<name>" ("docker.io/library/nginx").
	Image string
	// Tag is always set: pushes without a tag are ignored.
	Tag string
	// Digest is what the payload claims, "sha256:<64 lowercase hex>", or ""
	// when it claims none or a placeholder.
	Digest string
	// Vendor is the route name: "dockerhub", "ghcr", ...
	Vendor string
	// PushedAt is when the sender says the image was pushed, in UTC; zero
	// when its payload does not say (Quay, Artifactory, an unwrapped GAR
	// message) or says it in a form that does not read as a time. It
	// orders a burst of pushes by the registry's clock, not by arrival.
	PushedAt time.Time
}

// Result of parsing one delivery. A delivery with no usable tagged image
// push has no Pushes, and Ignored says why; it is acknowledged, not refused.
type Result struct {
	Pushes  []Push
	Ignored string
}

// digestPolicy says what a digest that is present but not sha256:<64 hex>
// means for a vendor.
type digestPolicy int

const (
	// dropBadDigest: the vendor's own documentation shows placeholders, so a
	// user testing with it gets a Push resolved by tag alone.
	dropBadDigest digestPolicy = iota
	// skipBadDigest: the registry software computes the digest itself, so a
	// bad one means a broken or forged sender: the entry is not used.
	skipBadDigest
)

// fields names where a vendor's payload keeps image, tag and digest, for
// reasons that point at the field.
type fields struct{ image, tag, digest string }

// newPush validates what a payload claims. image may be any spelling
// go-containerregistry accepts with an explicit registry; the Push gets the
// canonical one. An entry that cannot be used comes back with the reason
// (values quoted, so bounded) instead of a Push.
func newPush(vendor string, f fields, image, tag, digest string, p digestPolicy) (Push, string) {
	img, ok := canonicalImage(image)
	if !ok {
		return Push{}, fmt.Sprintf("%s %s is not a valid image repository with registry host", f.image, quote(image))
	}
	if !validTag(tag) {
		return Push{}, fmt.Sprintf("%s %s is not a valid tag", f.tag, quote(tag))
	}
	if digest != "" && !validDigest(digest) {
		if p == skipBadDigest {
			return Push{}, fmt.Sprintf("%s %s is not sha256:<64 lowercase hex>", f.digest, quote(digest))
		}
		digest = ""
	}
	return Push{Image: img, Tag: tag, Digest: digest, Vendor: vendor}, ""
}

// batch gathers the usable pushes of one delivery and why its other
// entries were ignored: a Distribution envelope mixes manifests with layer
// blobs, and one bad entry must not cost the good ones.
type batch struct {
	vendor string
	pushes []Push
	why    reasons
}

// ignore records why an entry is not used.
func (b *batch) ignore(format string, args ...any) {
	b.why.add(fmt.Sprintf(format, args...))
}

// push keeps the entry, pushed at at, when newPush accepts it, else
// records why not.
func (b *batch) push(f fields, image, tag, digest string, p digestPolicy, at time.Time) {
	push, why := newPush(b.vendor, f, image, tag, digest, p)
	if why != "" {
		b.why.add(why)
		return
	}
	push.PushedAt = at
	b.pushes = append(b.pushes, push)
}

// result is the Result for the delivery: the pushes, or why there are none.
func (b *batch) result() Result {
	if len(b.pushes) > 0 {
		return Result{Pushes: b.pushes}
	}
	if b.why.empty() {
		b.why.add("no tagged image push")
	}
	return Result{Ignored: b.vendor + ": " + b.why.String()}
}

// pathComponent is the distribution spec's grammar for one path segment of a
// repository name; go-containerregistry only checks the characters.
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)

// canonicalImage validates a repository strictly (explicit registry, and a
// namespace on Docker Hub) and spells Docker Hub "docker.io".
func canonicalImage(s string) (string, bool) {
	r, err := name.NewRepository(s, name.StrictValidation)
	if err != nil {
		return "", false
	}
	repo := r.RepositoryStr()
	for _, c := range strings.Split(repo, "/") {
		if !pathComponent.MatchString(c) {
			return "", false
		}
	}
	host := strings.ToLower(r.RegistryStr()) // host names are case-insensitive
	if host == name.DefaultRegistry {
		host = "docker.io"
	}
	return host + "/" + repo, true
}

// validTag is the OCI tag grammar [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
func validTag(s string) bool {
	if len(s) == 0 || len(s) > 128 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnum(c) || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validDigest accepts exactly sha256:<64 lowercase hex>.
func validDigest(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	return ok && isLowerHex64(hex)
}

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// looksLikeDigest reports a "tag" that is really a digest, as Harbor sends
// for a push by digest.
func looksLikeDigest(tag string) bool { return strings.Contains(tag, ":") }
