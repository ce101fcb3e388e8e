package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Group is apps that release together, such as the images one CI run
// builds: pushes of their images that come within Window of each other
// become one pull request per stage, and the apps move through the stages
// together, with the same set of digests.
type Group struct {
	Name string
	// Apps are the members' names, in the order apps: lists them, with
	// wildcards expanded.
	Apps []string
	// Window is how long stagehand waits after a member's push for the
	// other members' pushes; DefaultWindow when the file says nothing.
	Window time.Duration
}

const (
	// DefaultWindow is a group's window when the file gives none: long
	// enough for the pushes of one CI run to arrive, short enough that
	// nobody waits for it.
	DefaultWindow = 2 * time.Second
	// MaxWindow bounds a group's window: a push waits at most
	// MaxGather windows for its group.
	MaxWindow = time.Minute
	// MaxGather is how many windows a group's first push waits at most
	// while more pushes keep coming, so that a steady stream still moves.
	MaxGather = 10
	// MaxGroupApps bounds a group: one pull request lists every member,
	// and GitHub caps a PR body at 65536 characters.
	MaxGroupApps = 200
)

// Has reports whether app is a member of g.
func (g Group) Has(app string) bool { return slices.Contains(g.Apps, app) }

// Group returns the group called name.
func (c *Config) Group(name string) (Group, bool) {
	for _, g := range c.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// GroupOf returns the group app belongs to; false for an app in no group.
func (c *Config) GroupOf(app string) (Group, bool) {
	for _, g := range c.Groups {
		if g.Has(app) {
			return g, true
		}
	}
	return Group{}, false
}

// groups reads the group list. apps are the apps read; complete says each
// has a valid name, so that a name missing from them is the group's
// mistake.
func (p *parser) groups(n *yaml.Node, apps []App, complete bool) []Group {
	items, ok := p.list(n, "groups")
	if !ok {
		return nil
	}
	names := make([]string, 0, len(apps))
	for _, a := range apps {
		names = append(names, a.Name)
	}
	var groups []Group
	seen := map[string]int{}   // group name → line
	member := map[string]int{} // app → index of its group in groups
	for i, item := range items {
		what := label("group", i, item)
		if !p.mapping(item, what) {
			continue
		}
		f := p.fields(item, what, "name!", "apps!", "window")
		g := Group{Window: DefaultWindow}
		if v, ok := f.get("name"); ok {
			if s, ok := p.str(v, "name"); ok {
				switch line, dup := seen[s]; {
				case checkName(s) != "":
					p.addf(v, "name: %s", strings.Replace(checkName(s), "stagehand/<app>/<stage>", "stagehand/<group>/<stage>", 1))
				case slices.Contains(names, s):
					p.addf(v, "name: %q is already an app; a group needs a name of its own, since /promote takes either", s)
				case dup:
					p.addf(v, "name: %q is already a group (line %d); group names are unique", s, line)
				default:
					seen[s] = v.Line
				}
				g.Name = s
			}
		}
		if v, ok := f.get("window"); ok {
			g.Window = p.window(v)
		}
		if v, ok := f.get("apps"); ok {
			for _, m := range p.members(v, names, complete) {
				if j, taken := member[m.app]; taken {
					p.addf(m.node, "apps: %s is already in group %q; an app is in one group at most", m.app, groups[j].Name)
					continue
				}
				member[m.app] = len(groups)
				g.Apps = append(g.Apps, m.app)
			}
			slices.SortFunc(g.Apps, func(a, b string) int { return slices.Index(names, a) - slices.Index(names, b) })
			if len(g.Apps) > MaxGroupApps {
				p.addf(v, "apps: %d apps; a group has at most %d, since one pull request lists them all", len(g.Apps), MaxGroupApps)
			}
		}
		groups = append(groups, g)
	}
	return groups
}

// groupMember is an app a group lists, with the entry that names it.
type groupMember struct {
	app  string
	node *yaml.Node
}

// members reads a group's apps: names of apps, and wildcards such as
// shop-* that stand for every app whose name matches.
func (p *parser) members(n *yaml.Node, names []string, complete bool) []groupMember {
	items, ok := p.list(n, "apps")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.addf(n, "apps: is empty; list the apps that release together")
	}
	var out []groupMember
	listed := map[string]int{} // entry as written → line
	for _, item := range items {
		s, ok := p.str(item, "apps")
		if !ok {
			continue
		}
		if line, dup := listed[s]; dup {
			p.addf(item, "apps: %q is already listed (line %d)", s, line)
			continue
		}
		listed[s] = item.Line
		if !strings.Contains(s, "*") {
			switch {
			case slices.Contains(names, s):
				out = append(out, groupMember{s, item})
			case complete:
				hint := ""
				if c := closest(s, names); c != "" {
					hint = fmt.Sprintf("did you mean %s? ", c)
				}
				p.addf(item, "apps: %q is not an app; %sname an app of apps:, or match several with a wildcard such as %q", s, hint, wildcardHint(s))
			}
			continue
		}
		re, why := wildcard(s)
		if why != "" {
			p.addf(item, "apps: %s", why)
			continue
		}
		matched := false
		for _, name := range names {
			if re.MatchString(name) && !slices.ContainsFunc(out, func(m groupMember) bool { return m.app == name }) {
				out = append(out, groupMember{name, item})
				matched = true
			}
		}
		if !matched && complete {
			p.addf(item, "apps: %q matches no app", s)
		}
	}
	return out
}

// wildcardRE is the shape of a wildcard: a name with * standing for any
// run of name characters.
var wildcardRE = regexp.MustCompile(`^[a-z0-9*]([a-z0-9*-]*[a-z0-9*])?$`)

// wildcard turns a pattern such as shop-* into the expression that
// matches whole app names, or says why it is not one.
func wildcard(s string) (*regexp.Regexp, string) {
	if !wildcardRE.MatchString(s) {
		return nil, fmt.Sprintf("%q is not a wildcard; use lower-case letters, digits, dashes and * (such as shop-*)", s)
	}
	return regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(s), `\*`, `.*`) + "$"), ""
}

// wildcardHint suggests a wildcard for a name that is not an app's.
func wildcardHint(s string) string {
	if i := strings.LastIndex(s, "-"); i > 0 {
		return s[:i+1] + "*"
	}
	return s + "-*"
}

// window reads a group's window: a Go duration above zero, at most
// MaxWindow.
func (p *parser) window(n *yaml.Node) time.Duration {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		p.addf(n, "window: %s has no unit; write a duration such as %ss", n.Value, n.Value)
		return DefaultWindow
	}
	s, ok := p.str(n, "window")
	if !ok {
		return DefaultWindow
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.addf(n, "window: %q is not a duration; write a number with a unit, such as 2s or 500ms", s)
	case d <= 0:
		p.addf(n, "window: %q must be longer than zero; leave window out for the default of %s", s, DefaultWindow)
	case d > MaxWindow:
		p.addf(n, "window: %q is longer than %s; a push waits for its group at most %d windows", s, MaxWindow, MaxGather)
	default:
		return d
	}
	return DefaultWindow
}
