package manifest

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

// Target is where a stage pins an app's image. With Tag and Image empty it
// is a kustomization's images: entry. With Tag it is a Helm values file:
// Tag is the path of the tag, written "1.2.3@sha256:…" unless Digest is the
// path the digest goes to. With Image it is a path, in any YAML file, to a
// full reference written "registry/repo:1.2.3@sha256:…". Paths are as
// ParsePath reads them; a file of several documents is read in the one
// where the path leads somewhere.
type Target struct {
	File   string
	Tag    string
	Digest string
	Image  string
}

// Kustomization is the target of a kustomization file's images:.
func Kustomization(file string) Target { return Target{File: file} }

// IsKustomization reports whether t is a kustomization's images:.
func (t Target) IsKustomization() bool { return t.Tag == "" && t.Image == "" }

// String names the target in messages: the file, and the paths in it.
func (t Target) String() string {
	switch {
	case t.Image != "":
		return t.File + " at " + t.Image
	case t.Digest != "":
		return t.File + " at " + t.Tag + " and " + t.Digest
	case t.Tag != "":
		return t.File + " at " + t.Tag
	}
	return t.File
}

// Current returns what t pins in data for image. Found is false when the
// kustomization has no entry for image, or the path's value is empty.
func (t Target) Current(data []byte, image string) (Pinned, error) {
	if t.IsKustomization() {
		return Current(t.File, data, image)
	}
	docs, err := documents(t.File, data)
	if err != nil {
		return Pinned{}, err
	}
	if t.Image != "" {
		v, err := t.read(docs, t.Image)
		if err != nil || v == "" {
			return Pinned{}, err
		}
		ref := splitRef(v)
		if !registry.SameRepository(ref.Name, image) {
			return Pinned{}, fmt.Errorf("%s: %s is %q, an image of another repository than %s", t.File, t.Image, v, image)
		}
		return Pinned{Found: true, Name: ref.Name, Tag: ref.Tag, Digest: ref.Digest}, nil
	}
	v, err := t.read(docs, t.Tag)
	if err != nil {
		return Pinned{}, err
	}
	p := Pinned{Found: v != ""}
	p.Tag, p.Digest, _ = strings.Cut(v, "@")
	if t.Digest != "" {
		if p.Digest, err = t.read(docs, t.Digest); err != nil {
			return Pinned{}, err
		}
		p.Found = p.Found || p.Digest != ""
	}
	return p, nil
}

// read is the string at path in docs; "" for an empty value.
func (t Target) read(docs []*yaml.Node, path string) (string, error) {
	p, err := ParsePath(path)
	if err != nil {
		return "", err
	}
	h, err := find(t.File, docs, p)
	if err != nil {
		return "", err
	}
	if h.node.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s: %s is %s, not a string", t.File, path, describeNode(h.node))
	}
	if isNull(h.node) {
		return "", nil
	}
	return h.node.Value, nil
}

// Rewrite returns data with t pinned to img. For a values or image target
// only the scalars that change differ from data, each keeping its quotes,
// anchor, tag and comments; a path that leads through an alias is refused,
// since writing there would change every place the anchor is used.
func (t Target) Rewrite(data []byte, img Image) (Result, error) {
	if t.IsKustomization() {
		return Rewrite(t.File, data, img)
	}
	if err := img.validate(); err != nil {
		return Result{}, err
	}
	docs, err := documents(t.File, data)
	if err != nil {
		return Result{}, err
	}
	var edits []edit
	set := func(n *yaml.Node, v string) {
		if !holds(n, v) {
			edits = append(edits, edit{n, v})
		}
	}
	add := func(path, v string) error {
		n, err := t.writable(docs, path)
		if err == nil {
			set(n, v)
		}
		return err
	}
	switch {
	case t.Image != "":
		n, err := t.writable(docs, t.Image)
		if err != nil {
			return Result{}, err
		}
		repo := img.Name
		if !isNull(n) {
			// Keep the name as written (docker.io/library/nginx or nginx).
			if ref := splitRef(n.Value); registry.SameRepository(ref.Name, img.Name) {
				repo = ref.Name
			} else {
				return Result{}, fmt.Errorf("%s: %s is %q, an image of another repository than %s; stagehand does not replace it", t.File, t.Image, n.Value, img.Name)
			}
		}
		if _, err := name.NewRepository(repo); err != nil {
			return Result{}, fmt.Errorf("%w %q: %v", ErrBadName, repo, err)
		}
		set(n, repo+":"+img.Tag+"@"+img.Digest)
	case t.Digest != "":
		if err := add(t.Tag, img.Tag); err != nil {
			return Result{}, err
		}
		if err := add(t.Digest, img.Digest); err != nil {
			return Result{}, err
		}
	default:
		if err := add(t.Tag, img.Tag+"@"+img.Digest); err != nil {
			return Result{}, err
		}
	}
	if len(edits) == 0 {
		return Result{Out: data}, nil
	}
	out, err := splice(t.File, data, docs, edits)
	if err != nil {
		return Result{}, err
	}
	return Result{Out: out, Changed: true}, nil
}

// writable is the scalar at path, refusing a path through an alias.
func (t Target) writable(docs []*yaml.Node, path string) (*yaml.Node, error) {
	p, err := ParsePath(path)
	if err != nil {
		return nil, err
	}
	h, err := find(t.File, docs, p)
	if err != nil {
		return nil, err
	}
	if a := h.alias; a != nil {
		return nil, fmt.Errorf("%s:%d: %w: %s leads through *%s, and writing there would change every place that uses &%s; write the value at the path itself", t.File, a.Line, ErrAlias, path, a.Value, a.Value)
	}
	if h.node.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("%s:%d: %s is %s, not a string", t.File, h.node.Line, path, describeNode(h.node))
	}
	return h.node, nil
}

// ref is an image reference split into its parts.
type ref struct{ Name, Tag, Digest string }

// splitRef splits "registry/repo:tag@sha256:…"; a part that is not there
// is "".
func splitRef(s string) ref {
	var r ref
	s, r.Digest, _ = strings.Cut(s, "@")
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		s, r.Tag = s[:i], s[i+1:]
	}
	r.Name = s
	return r
}
