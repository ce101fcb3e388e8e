package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

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
				app.Image, app.repo = s, registry.Normalize(s)
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

// paths reads an app's stage → folder mapping into kustomization files.
// known holds the stage names that are valid; complete says it holds every
// stage, so that a name missing from it is the app's mistake.
func (p *parser) paths(kv field, known []string, complete bool) map[string]string {
	n := kv.value
	if !p.mapping(n, "stages") {
		return nil
	}
	out := map[string]string{}
	usedBy := map[string]string{} // kustomization file → stage
	for _, f := range p.pairs(n, "stages") {
		stage := f.key.Value
		what := stage
		if !nameRE.MatchString(stage) {
			what = strconv.Quote(stage)
		}
		if s, ok := p.str(f.value, what); ok {
			file, why := kustomizationPath(s)
			switch other, dup := usedBy[file]; {
			case why != "":
				p.addf(f.value, "%s: %s", what, why)
			case dup:
				p.addf(f.value, "%s: %s is also the kustomization of stage %s; each stage needs its own", what, file, other)
			default:
				usedBy[file] = stage
				out[stage] = file
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
