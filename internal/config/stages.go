package config

import (
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// stages reads the stage list. complete is false when some entry has no
// readable name or repeats one, so that apps are not blamed for naming it.
func (p *parser) stages(n *yaml.Node) (stages []Stage, complete bool) {
	items, ok := p.list(n, "stages")
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		p.addf(n, "stages: is empty; list at least one stage, first to last")
	}
	complete = true
	seen := map[string]int{}
	var links []link
	for i, item := range items {
		what := label("stage", i, item)
		if !p.mapping(item, what) {
			complete = false
			continue
		}
		f := p.fields(item, what, "name!", "mode!", "after", "soak", "approvers", "verify", "verify_timeout", "on_failure", "windows")
		var st Stage
		if v, ok := f.get("name"); !ok {
			complete = false
		} else if s, ok := p.str(v, "name"); !ok {
			complete = false
		} else {
			if why := checkName(s); why != "" {
				p.addf(v, "name: %s", why)
			} else if s == AllStages {
				p.addf(v, "name: %q is reserved: `/promote <app> to all` means every stage that follows; name the stage otherwise", s)
			}
			if line, dup := seen[s]; dup {
				p.addf(v, "name: %q is already a stage (line %d); stage names are unique", s, line)
				complete = false // the duplicate was likely meant as another stage
			} else {
				seen[s] = v.Line
				st.Name = s
			}
		}
		if v, ok := f.get("mode"); ok {
			if s, ok := p.str(v, "mode"); ok {
				if why := checkMode(s); why != "" {
					p.addf(v, "mode: %s", why)
				}
				st.Mode = Mode(s)
			}
		}
		if v, ok := f.get("soak"); ok {
			st.Soak = p.soak(v)
		}
		if v, ok := f.get("approvers"); ok {
			st.Approvers = p.approvers(v)
		}
		p.verify(f, &st)
		if v, ok := f.get("windows"); ok {
			st.Windows = p.windows(v)
		}
		if st.Name != "" {
			after, _ := f.get("after")
			links = append(links, link{name: f["name"].value, after: after})
			stages = append(stages, st)
		}
	}
	if complete {
		p.graph(stages, links)
	}
	return stages, complete
}

func (p *parser) soak(n *yaml.Node) time.Duration {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		p.addf(n, "soak: %s has no unit; write a duration such as %sm or %sh", n.Value, n.Value, n.Value)
		return 0
	}
	s, ok := p.str(n, "soak")
	if !ok {
		return 0
	}
	d, why := parseSoak(s)
	if why != "" {
		p.addf(n, "soak: %s", why)
	}
	return d
}

func (p *parser) approvers(n *yaml.Node) []string {
	items, ok := p.list(n, "approvers")
	if !ok {
		return nil
	}
	var out []string
	seen := map[string]int{}
	for _, item := range items {
		s, ok := p.str(item, "approvers")
		if !ok {
			continue
		}
		if why := checkApprover(s); why != "" {
			p.addf(item, "approvers: %s", why)
			continue
		}
		key := strings.ToLower(s) // GitHub names are case-insensitive
		if line, dup := seen[key]; dup {
			p.addf(item, "approvers: %q is already listed (line %d)", s, line)
			continue
		}
		seen[key] = item.Line
		out = append(out, s)
	}
	return out
}
