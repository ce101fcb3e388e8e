package config

import (
	"fmt"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// OnFailure is what a failed health gate does to its stage besides
// stopping the image there.
type OnFailure string

const (
	// Stop: the image goes no further; the stage takes the next image as
	// usual.
	Stop OnFailure = "stop"
	// HoldStage: the stage is also held, so that nothing moves into it
	// until someone looks (and rolls back, or releases it).
	HoldStage OnFailure = "hold"
)

// DefaultVerifyTimeout is how long a stage's verify contexts have to turn
// green after the merge when the file gives no verify_timeout: long
// enough for Argo CD or Flux to notice, sync and roll out.
const DefaultVerifyTimeout = 30 * time.Minute

// verify reads a stage's health gate: verify (the commit status or check
// run contexts that say the merge commit runs healthy), verify_timeout and
// on_failure; the last two only with verify.
func (p *parser) verify(f fieldSet, st *Stage) {
	v, hasVerify := f.get("verify")
	if hasVerify {
		st.Verify = p.verifyContexts(v)
	}
	if n, ok := f.get("verify_timeout"); ok {
		if !hasVerify {
			p.addf(f["verify_timeout"].key, "verify_timeout: only a stage with verify: waits for its statuses; add verify: or remove verify_timeout")
		} else {
			st.VerifyTimeout = p.duration(n, "verify_timeout")
		}
	}
	if n, ok := f.get("on_failure"); ok {
		if !hasVerify {
			p.addf(f["on_failure"].key, "on_failure: only a stage with verify: can fail its health gate; add verify: or remove on_failure")
		} else if s, ok := p.str(n, "on_failure"); ok {
			switch OnFailure(s) {
			case Stop, HoldStage:
				st.OnFailure = OnFailure(s)
			default:
				p.addf(n, "on_failure: %q is not a choice; use stop (the image goes no further) or hold (hold the stage too)", s)
			}
		}
	}
	if hasVerify && st.VerifyTimeout == 0 {
		st.VerifyTimeout = DefaultVerifyTimeout
	}
	if hasVerify && st.OnFailure == "" {
		st.OnFailure = Stop
	}
}

// verifyContexts reads verify's list: mappings with one key, context.
func (p *parser) verifyContexts(n *yaml.Node) []string {
	items, ok := p.list(n, "verify")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.addf(n, "verify: is empty; list the statuses that say the stage runs healthy (- context: kustomization/apps-staging), or remove verify")
		return nil
	}
	var out []string
	seen := map[string]int{}
	for i, item := range items {
		what := fmt.Sprintf("verify %d", i+1)
		if !p.mapping(item, what) {
			continue
		}
		f := p.fields(item, what, "context!")
		c, ok := f.get("context")
		if !ok {
			continue
		}
		s, ok := p.str(c, "context")
		if !ok {
			continue
		}
		if why := checkContext(s); why != "" {
			p.addf(c, "context: %s", why)
			continue
		}
		if line, dup := seen[s]; dup {
			p.addf(c, "context: %q is already listed (line %d)", s, line)
			continue
		}
		seen[s] = c.Line
		out = append(out, s)
	}
	return out
}

// checkContext returns why s cannot be a commit status context or check
// run name, "" if it can.
func checkContext(s string) string {
	switch {
	case s == "":
		return "empty; name the status as its sender posts it, such as kustomization/apps-staging"
	case len(s) > 255:
		return fmt.Sprintf("%d characters; GitHub's contexts are at most 255", len(s))
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return fmt.Sprintf("%q has a control character", s)
		}
	}
	return ""
}

// duration reads a Go duration above zero.
func (p *parser) duration(n *yaml.Node, key string) time.Duration {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		p.addf(n, "%s: %s has no unit; write a duration such as %sm or %sh", key, n.Value, n.Value, n.Value)
		return 0
	}
	s, ok := p.str(n, key)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.addf(n, "%s: %q is not a duration; write a number with a unit, such as 20m, 1h or 1h30m", key, s)
		return 0
	case d <= 0:
		p.addf(n, "%s: %q must be longer than zero", key, s)
		return 0
	}
	return d
}
