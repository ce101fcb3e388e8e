package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// A values or image target only ever replaces scalars that are there, so
// unlike a kustomization (where entries and keys may be added) it needs no
// re-rendering: kyaml finds each scalar and says where it starts, the
// scalar's own bytes are replaced, and the result must parse back to the
// tree with just those values changed. Every other byte stays as written:
// comments, anchors, quoting, flow style, other documents, line ends.

// edit is one scalar to set.
type edit struct {
	node  *yaml.Node
	value string
}

// splice returns data with each edit's scalar replaced by its value, in the
// scalar's quoting style, and checks the result against docs with the
// edits applied. docs are changed.
func splice(file string, data []byte, docs []*yaml.Node, edits []edit) ([]byte, error) {
	type repl struct {
		lo, hi int
		text   string
	}
	var rs []repl
	for _, e := range edits {
		lo, hi, err := span(data, e.node)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, e.node.Line, err)
		}
		text := written(e.value, e.node)
		if lo == hi && lo > 0 && data[lo-1] == ':' {
			text = " " + text // `digest:` with no value yet
		}
		rs = append(rs, repl{lo, hi, text})
		e.node.Value, e.node.Tag = e.value, yaml.NodeTagString
	}
	slices.SortFunc(rs, func(a, b repl) int { return b.lo - a.lo })
	out := bytes.Clone(data)
	for i, r := range rs {
		if i > 0 && r.hi > rs[i-1].lo {
			return nil, fmt.Errorf("%s: two paths lead to the same value", file)
		}
		out = slices.Concat(out[:r.lo], []byte(r.text), out[r.hi:])
	}
	got, err := documents(file, out)
	if err != nil || len(got) != len(docs) {
		return nil, fmt.Errorf("%s: setting the value would not leave valid YAML (%v)", file, err)
	}
	for i := range got {
		if !equalNodes(got[i], docs[i]) {
			return nil, fmt.Errorf("%s: setting the value in place would change more than the value", file)
		}
	}
	return out, nil
}

// written is v as a scalar written in n's style: quoted as n was, and
// double-quoted where a plain scalar would not read as a string (1.10).
func written(v string, n *yaml.Node) string {
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		return `"` + v + `"`
	case n.Style&yaml.SingleQuotedStyle != 0:
		return "'" + v + "'"
	case n.Style&yaml.TaggedStyle == 0 && yaml.IsValueNonString(v):
		return `"` + v + `"`
	}
	return v
}

// span is where scalar n's value is written in data: after its anchor and
// tag, from its first quote or character to its last.
func span(data []byte, n *yaml.Node) (lo, hi int, err error) {
	if n.Kind != yaml.ScalarNode {
		return 0, 0, fmt.Errorf("the value is %s, not a string", describeNode(n))
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return 0, 0, errors.New("the value is a block scalar (| or >); write it on one line")
	}
	lo = offset(data, n.Line, n.Column)
	if lo < 0 {
		return 0, 0, errors.New("cannot locate the value")
	}
	// Skip an anchor (&a) and a tag (!!str), in either order.
	for lo < len(data) && (data[lo] == '&' || data[lo] == '!') {
		for lo < len(data) && data[lo] != ' ' && data[lo] != '\t' && data[lo] != '\n' && data[lo] != '\r' {
			lo++
		}
		for lo < len(data) && (data[lo] == ' ' || data[lo] == '\t') {
			lo++
		}
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		hi, err = closing(data, lo, '"')
	case n.Style&yaml.SingleQuotedStyle != 0:
		hi, err = closing(data, lo, '\'')
	case n.Value == "" && isNull(n):
		return lo, lo, nil
	default:
		hi = lo + len(n.Value)
		if hi > len(data) || string(data[lo:hi]) != n.Value {
			return 0, 0, errors.New("the value is a plain string over several lines; write it on one line")
		}
	}
	return lo, hi, err
}

// closing returns the index after the quote that closes the one at lo,
// which must be on the same line.
func closing(data []byte, lo int, q byte) (int, error) {
	if lo >= len(data) || data[lo] != q {
		return 0, errors.New("cannot locate the quoted value")
	}
	for i := lo + 1; i < len(data); i++ {
		switch c := data[i]; {
		case c == '\n':
			return 0, errors.New("the value is a quoted string over several lines; write it on one line")
		case q == '"' && c == '\\':
			i++
		case c == q && q == '\'' && i+1 < len(data) && data[i+1] == '\'':
			i++
		case c == q:
			return i + 1, nil
		}
	}
	return 0, errors.New("the quoted value does not end")
}

// offset turns the parser's 1-based line and column (counted in
// characters) into a byte offset, or -1.
func offset(data []byte, line, col int) int {
	i := 0
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		i = 3
	}
	for l := 1; l < line; l++ {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
	}
	for c := 1; c < col; c++ {
		if i >= len(data) || data[i] == '\n' {
			return -1
		}
		_, w := utf8.DecodeRune(data[i:])
		i += w
	}
	return i
}
