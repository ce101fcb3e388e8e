package config

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/registry"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// apps reads the app list; known and complete are as for paths.
func (p *parser) apps(n *yaml.Node, known []string, complete bool) []App {
	items, ok := p.list(n, "apps")
	if !ok {
		return nil
	}
	var apps []App
	seen := map[string]int{}
	for i, item := range items {
		what := label("app", i, item)
		if !p.mapping(item, what) {
			continue
		}
		f := p.fields(item, what, "name!", "image!", "tags!", "stages!")
		var app App
		if v, ok := f.get("name"); ok {
			if s, ok := p.str(v, "name"); ok {
				if why := checkName(s); why != "" {
					p.addf(v, "name: %s", why)
				}
				if line, dup := seen[s]; dup {
					p.addf(v, "name: %q is already an app (line %d); app names are unique", s, line)
				} else {
					seen[s] = v.Line
				}
				app.Name = s
			}
		}
		if v, ok := f.get("image"); ok {
			if s, ok := p.str(v, "image"); ok {
				if why := checkImage(s); why != "" {
					p.addf(v, "image: %s", why)
				}
				app.Image = s
			}
		}
		if v, ok := f.get("tags"); ok {
			app.Tags = p.tags(v)
		}
		if kv, ok := f["stages"]; ok {
			app.paths = p.paths(kv, known, complete)
		}
		apps = append(apps, app)
	}
	return apps
}

func (p *parser) tags(n *yaml.Node) registry.TagPolicy {
	if !p.mapping(n, "tags") {
		return registry.TagPolicy{}
	}
	f := p.fields(n, "tags", "semver", "pattern")
	var pol registry.TagPolicy
	var err error
	// Both values are checked even when both are given, so that one push
	// shows every mistake.
	if v, ok := f.get("semver"); ok {
		if s, ok := p.str(v, "semver"); ok {
			if pol, err = registry.SemverPolicy(s); err != nil {
				p.addf(v, "semver: %q is not a version range (%v); write one such as \">=1.0.0\" or \"~1.4\"", s, errors.Unwrap(err))
			}
		}
	}
	if v, ok := f.get("pattern"); ok {
		if s, ok := p.str(v, "pattern"); ok {
			if pol, err = registry.PatternPolicy(s); err != nil {
				p.addf(v, "pattern: %q is not a regular expression (%v); write one such as '^main-[0-9a-f]{7}$'", s, errors.Unwrap(err))
			}
		}
	}
	_, hasSemver := f["semver"]
	_, hasPattern := f["pattern"]
	switch {
	case hasSemver && hasPattern:
		p.addf(n, "tags: give semver or pattern, not both")
	case !hasSemver && !hasPattern:
		p.addf(n, "tags: give semver: (a version range such as \">=1.0.0\") or pattern: (a regular expression such as '^main-[0-9a-f]{7}$')")
	}
	return pol
}

// paths reads an app's stage → target mapping. known holds the stage
// names that are valid; complete says it holds every stage, so that a name
// missing from it is the app's mistake.
func (p *parser) paths(kv field, known []string, complete bool) map[string]manifest.Target {
	n := kv.value
	if !p.mapping(n, "stages") {
		return nil
	}
	out := map[string]manifest.Target{}
	usedBy := map[string]string{} // file → stage
	for _, f := range p.pairs(n, "stages") {
		stage := f.key.Value
		what := stage
		if !nameRE.MatchString(stage) {
			what = strconv.Quote(stage)
		}
		if t, ok := p.target(f.value, what); ok {
			if other, dup := usedBy[t.File]; dup {
				p.addf(f.value, "%s: %s is also the %s of stage %s; each stage needs its own", what, t.File, fileWord(t), other)
			} else {
				usedBy[t.File] = stage
				out[stage] = t
			}
		}
		if !slices.Contains(known, stage) && complete {
			hint := ""
			if s := closest(stage, known); s != "" {
				hint = fmt.Sprintf("did you mean %s? ", s)
			}
			p.addf(f.key, "stages: %q is not a stage; %sthe stages are %s", stage, hint, strings.Join(known, ", "))
		}
	}
	for _, stage := range known {
		if !hasKey(n, stage) {
			p.addf(kv.key, "stages: no path for stage %q; every app lists every stage", stage)
		}
	}
	return out
}

// target reads one stage's target: a folder or kustomization file, or a
// mapping naming a YAML file and the path(s) in it.
func (p *parser) target(n *yaml.Node, what string) (manifest.Target, bool) {
	if n.Kind == yaml.ScalarNode {
		s, ok := p.str(n, what)
		if !ok {
			return manifest.Target{}, false
		}
		file, why := kustomizationPath(s)
		if why != "" {
			p.addf(n, "%s: %s", what, why)
			return manifest.Target{}, false
		}
		return manifest.Kustomization(file), true
	}
	if n.Kind != yaml.MappingNode {
		p.addf(n, "%s: want a kustomization folder or file, or a mapping with file: and tag: or image:, found %s", what, describe(n))
		return manifest.Target{}, false
	}
	f := p.fields(n, what, "file!", "tag", "digest", "image")
	var t manifest.Target
	if v, has := f.get("file"); has {
		t.File = p.yamlFile(v)
	}
	ok := t.File != ""
	yamlPath := func(key string, dst *string) {
		v, has := f.get(key)
		if !has {
			return
		}
		s, good := p.str(v, key)
		if !good {
			ok = false
			return
		}
		if _, err := manifest.ParsePath(s); err != nil {
			p.addf(v, "%s: %s; write a path such as image.tag or spec.template.spec.containers[name=web].image", key, strings.TrimPrefix(err.Error(), manifest.ErrBadPath.Error()+" "))
			ok = false
			return
		}
		*dst = s
	}
	yamlPath("tag", &t.Tag)
	yamlPath("digest", &t.Digest)
	yamlPath("image", &t.Image)
	_, hasTag := f["tag"]
	_, hasImage := f["image"]
	switch {
	case hasTag && hasImage:
		p.addf(n, "%s: give tag: (a Helm values path) or image: (a path to a full image reference), not both", what)
		ok = false
	case !hasTag && !hasImage && len(f) > 0:
		p.addf(n, "%s: give tag: (a Helm values path such as image.tag) or image: (a path to a full image reference such as spec.template.spec.containers[name=web].image)", what)
		ok = false
	}
	if v, has := f.get("digest"); has {
		switch {
		case !hasTag:
			p.addf(v, "digest: goes with tag:; an image: reference holds its digest")
			ok = false
		case t.Digest != "" && t.Digest == t.Tag:
			p.addf(v, "digest: is the same path as tag:")
			ok = false
		}
	}
	return t, ok
}

// yamlFile reads a target's file:, "" when it is no YAML file in the repo.
func (p *parser) yamlFile(v *yaml.Node) string {
	s, ok := p.str(v, "file")
	if !ok {
		return ""
	}
	file, why := kustomizationPath(s)
	// A folder means its kustomization.yaml to kustomizationPath; here it
	// is a mistake.
	if base := path.Base(file); why == "" && (base == "Kustomization" || base == "kustomization.yaml" && path.Base(path.Clean(s)) != base) {
		why = fmt.Sprintf("%q: name the YAML file, ending in .yaml or .yml", s)
	}
	if why != "" {
		p.addf(v, "file: %s", why)
		return ""
	}
	return file
}

func fileWord(t manifest.Target) string {
	if t.IsKustomization() {
		return "kustomization"
	}
	return "file"
}
