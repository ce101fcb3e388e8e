package config

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// parser walks the YAML node tree and collects problems instead of
// stopping at the first one.
type parser struct {
	file     string
	problems []Problem
}

func (p *parser) addf(n *yaml.Node, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Column: col, Msg: oneLine(fmt.Sprintf(format, args...))})
}

// oneLine escapes line breaks that quoted user text (a regexp in a parser
// error, say) may carry, so that Error keeps one problem per line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// field is one key of a mapping with the node of its key, for messages
// about the key itself (unknown, repeated).
type field struct {
	key   *yaml.Node
	value *yaml.Node
}

// pairs returns the entries of mapping n in order, reporting keys that are
// not plain strings or that repeat. what names the mapping in messages.
func (p *parser) pairs(n *yaml.Node, what string) []field {
	var out []field
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			p.addf(k, "%s: keys must be plain names; merge keys (<<) and complex keys are not supported", what)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.addf(k, "%s: key %q is repeated (first at line %d); keep one", what, k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, field{key: k, value: v})
	}
	return out
}

// fields reads a mapping whose keys are fixed, reporting unknown keys and
// missing required ones (allowed keys marked with a trailing "!" are
// required). It returns each known key present; a required key whose value
// is null counts as present so that the value check reports it at its own
// line.
func (p *parser) fields(n *yaml.Node, what string, allowed ...string) fieldSet {
	names := make([]string, len(allowed))
	required := map[string]bool{}
	for i, a := range allowed {
		names[i] = strings.TrimSuffix(a, "!")
		required[names[i]] = names[i] != a
	}
	out := fieldSet{}
	for _, f := range p.pairs(n, what) {
		if _, ok := required[f.key.Value]; !ok {
			hint := ""
			if s := closest(f.key.Value, names); s != "" {
				hint = fmt.Sprintf("did you mean %s? ", s)
			}
			p.addf(f.key, "unknown key %q in %s; %sallowed keys are %s", f.key.Value, what, hint, strings.Join(names, ", "))
			continue
		}
		out[f.key.Value] = f
	}
	for _, name := range names {
		if _, ok := out[name]; required[name] && !ok {
			p.addf(n, "%s lacks %s:", what, name)
		}
	}
	return out
}

// fieldSet is the known keys of a mapping read by fields.
type fieldSet map[string]field

// get returns the value node of key.
func (fs fieldSet) get(key string) (*yaml.Node, bool) {
	f, ok := fs[key]
	return f.value, ok
}

// expect reports a node that is not of the wanted kind and says what was
// found. An alias is never accepted: a fixed contract gains nothing from
// anchors and a reader loses the line of the value.
func (p *parser) expect(n *yaml.Node, key string, kind yaml.Kind) bool {
	want := map[yaml.Kind]string{
		yaml.MappingNode:  "a mapping (key: value lines)",
		yaml.SequenceNode: "a list (- item lines)",
		yaml.ScalarNode:   "a string",
	}[kind]
	switch {
	case n.Kind == yaml.AliasNode:
		p.addf(n, "%s: aliases (*%s) are not supported; write the value out", key, n.Value)
		return false
	case isNull(n):
		p.addf(n, "%s: missing value; want %s", key, want)
		return false
	case n.Kind != kind:
		p.addf(n, "%s: want %s, found %s", key, want, describe(n))
		return false
	}
	return true
}

func (p *parser) mapping(n *yaml.Node, key string) bool {
	return p.expect(n, key, yaml.MappingNode)
}

func (p *parser) list(n *yaml.Node, key string) ([]*yaml.Node, bool) {
	if !p.expect(n, key, yaml.SequenceNode) {
		return nil, false
	}
	return n.Content, true
}

// str reads a string scalar. Numbers and booleans are refused rather than
// converted, so that `semver: 1.10` does not silently become "1.1".
func (p *parser) str(n *yaml.Node, key string) (string, bool) {
	if !p.expect(n, key, yaml.ScalarNode) {
		return "", false
	}
	if n.Tag != "!!str" {
		p.addf(n, "%s: want a string, found %s; quote it: %q", key, describe(n), n.Value)
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		p.addf(n, "%s: is empty", key)
		return "", false
	}
	return n.Value, true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names a node's kind for messages: "a list", "the number 3".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	}
	return fmt.Sprintf("%s %q", n.Tag, n.Value)
}

// closest returns the candidate within two edits of s, ignoring case, for a
// "did you mean" hint; "" when none is that close.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// label names a list entry in messages: `stage "prod"` when it has a
// readable name, "stage 2" otherwise.
func label(kind string, i int, item *yaml.Node) string {
	if item.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(item.Content); j += 2 {
			if k, v := item.Content[j], item.Content[j+1]; k.Value == "name" && v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Value != "" {
				return fmt.Sprintf("%s %q", kind, v.Value)
			}
		}
	}
	return fmt.Sprintf("%s %d", kind, i+1)
}

func hasKey(n *yaml.Node, key string) bool {
	for j := 0; j+1 < len(n.Content); j += 2 {
		if n.Content[j].Value == key {
			return true
		}
	}
	return false
}
