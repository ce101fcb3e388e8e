package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// pinned is one image a kustomization pins or a container runs.
type pinned struct {
	name string
	tag  string
}

type kustomization struct {
	images []pinned
	refs   []string // resources, bases and components, as written
}

// readKustomization reads the parts of a kustomization file the proposal
// needs. It returns nil for a file of that name that is not kustomize's,
// such as a Flux Kustomization.
func readKustomization(repo fs.FS, p string) (*kustomization, error) {
	data, err := fs.ReadFile(repo, p)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	var k struct {
		APIVersion string `yaml:"apiVersion"`
		Images     []struct {
			Name   string `yaml:"name"`
			NewTag string `yaml:"newTag"`
		} `yaml:"images"`
		Resources  []string `yaml:"resources"`
		Bases      []string `yaml:"bases"`
		Components []string `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if i := strings.Index(msg, " into struct"); i >= 0 {
			msg = msg[:i] // the rest spells out a Go type
		}
		return nil, fmt.Errorf("not a kustomization kustomize can read: %s", msg)
	}
	if strings.Contains(k.APIVersion, "toolkit.fluxcd.io") {
		return nil, nil
	}
	out := &kustomization{refs: slices.Concat(k.Resources, k.Bases, k.Components)}
	for _, img := range k.Images {
		if strings.TrimSpace(img.Name) != "" {
			out.images = append(out.images, pinned{name: img.Name, tag: img.NewTag})
		}
	}
	return out, nil
}

// containerImages returns the images that the containers of the
// kustomization in dir run, following its local resources, bases and
// components; each image once, in the order found.
func containerImages(repo fs.FS, dir string, seen map[string]bool) []pinned {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	var k *kustomization
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		p := path.Join(dir, name)
		if _, err := fs.Stat(repo, p); err == nil {
			k, _ = readKustomization(repo, p)
			break
		}
	}
	if k == nil {
		return nil
	}
	var out []pinned
	add := func(imgs []pinned) {
		for _, img := range imgs {
			if !slices.ContainsFunc(out, func(o pinned) bool { return o.name == img.name }) {
				out = append(out, img)
			}
		}
	}
	for _, ref := range k.refs {
		if strings.Contains(ref, "://") || strings.Contains(ref, "?ref=") || strings.HasPrefix(ref, "github.com/") {
			continue // remote: not in this repository
		}
		p := path.Join(dir, ref)
		if p == ".." || strings.HasPrefix(p, "../") {
			continue
		}
		st, err := fs.Stat(repo, p)
		switch {
		case err != nil:
		case st.IsDir():
			add(containerImages(repo, p, seen))
		default:
			add(fileImages(repo, p))
		}
	}
	return out
}

// fileImages returns the images of the containers and init containers in
// a file of Kubernetes objects.
func fileImages(repo fs.FS, p string) []pinned {
	data, err := fs.ReadFile(repo, p)
	if err != nil {
		return nil
	}
	var out []pinned
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			break
		}
		walkContainers(doc, func(image string) {
			name, tag := splitImage(image)
			if name != "" && !slices.ContainsFunc(out, func(o pinned) bool { return o.name == name }) {
				out = append(out, pinned{name: name, tag: tag})
			}
		})
	}
	return out
}

// walkContainers calls fn with the image of every entry of a containers:
// or initContainers: list anywhere in v (a Deployment, a CronJob, …).
func walkContainers(v any, fn func(image string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if list, ok := child.([]any); ok && (k == "containers" || k == "initContainers") {
				for _, c := range list {
					if m, ok := c.(map[string]any); ok {
						if img, ok := m["image"].(string); ok {
							fn(img)
						}
					}
				}
				continue
			}
			walkContainers(child, fn)
		}
	case []any:
		for _, child := range v {
			walkContainers(child, fn)
		}
	}
}

// splitImage splits "host/repo:tag@digest" into the repository and tag.
func splitImage(ref string) (name, tag string) {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		return ref[:i], ref[i+1:]
	}
	return ref, ""
}
