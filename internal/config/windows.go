package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/window"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// MaxWindows bounds a stage's windows: a list this long is a calendar,
// which belongs elsewhere.
const MaxWindows = 50

// windows reads a stage's freeze windows: a list of {deny, timezone}.
func (p *parser) windows(n *yaml.Node) window.Set {
	items, ok := p.list(n, "windows")
	if !ok {
		return nil
	}
	if len(items) > MaxWindows {
		p.addf(n, "windows: %d windows; at most %d", len(items), MaxWindows)
		return nil
	}
	var out window.Set
	complete := true
	for i, item := range items {
		what := "window " + strconv.Itoa(i+1)
		if !p.mapping(item, what) {
			complete = false
			continue
		}
		if hasKey(item, "allow") && !hasKey(item, "deny") {
			// Say why, rather than only that the key is unknown.
			for j := 0; j+1 < len(item.Content); j += 2 {
				if k := item.Content[j]; k.Value == "allow" {
					p.addf(k, "%s: allow: is not supported; name the times promotions may not happen with deny: (the times outside \"Mon 09:00 - Fri 17:00\" are \"Fri 17:00 - Mon 09:00\")", what)
				}
			}
			complete = false
			continue
		}
		f := p.fields(item, what, "deny!", "timezone")
		loc, locOK := time.UTC, true
		if v, ok := f.get("timezone"); ok {
			// A bad zone still lets deny be checked, in UTC.
			if l, ok := p.timezone(v); ok {
				loc = l
			} else {
				locOK, complete = false, false
			}
		}
		v, ok := f.get("deny")
		if !ok {
			complete = false
			continue
		}
		spec, ok := p.str(v, "deny")
		if !ok {
			complete = false
			continue
		}
		w, err := window.Parse(spec, loc)
		if err != nil {
			p.addf(v, "deny: %v", err)
			complete = false
			continue
		}
		if locOK {
			out = append(out, w)
		}
	}
	if complete && out.Forever() {
		p.addf(n, "windows: together they deny every minute of the week, so nothing would ever move into the stage; use manual mode or a hold for that")
	}
	return out
}

// timezone reads an IANA time zone name, such as Europe/Berlin. "Local"
// is refused: it would mean whatever zone the machine stagehand runs on
// has, which nobody reading the file can know.
func (p *parser) timezone(n *yaml.Node) (*time.Location, bool) {
	s, ok := p.str(n, "timezone")
	if !ok {
		return nil, false
	}
	if strings.EqualFold(s, "local") {
		p.addf(n, "timezone: Local depends on the machine stagehand runs on; name a zone such as Europe/Berlin or UTC")
		return nil, false
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		p.addf(n, "timezone: %q is not a time zone; use an IANA name such as Europe/Berlin, America/New_York or UTC", s)
		return nil, false
	}
	return loc, true
}
