package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ErrNoPath means a YAML path leads nowhere in a file, or to more than one
// place.
var ErrNoPath = errors.New("YAML path not found")

// ErrAlias means a write would go through a YAML alias and so change every
// place that uses its anchor, not the one the path names.
var ErrAlias = errors.New("path goes through a YAML alias")

// documents parses every YAML document in data; empty ones (a trailing
// "---") are skipped.
func documents(file string, data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxError(file, err)
		}
		if !emptyDocument(&n) {
			docs = append(docs, &n)
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: the file holds no YAML document", file)
	}
	return docs, nil
}

// hit is where a path leads in one document.
type hit struct {
	node  *yaml.Node // the value, aliases followed
	alias *yaml.Node // the first alias on the way, or nil
}

// find resolves p in the one document of docs where it leads somewhere.
func find(file string, docs []*yaml.Node, p Path) (hit, error) {
	var hits []int
	var found hit
	var misses []string
	for i, doc := range docs {
		h, miss, err := resolve(doc.Content[0], p)
		if err != nil {
			return hit{}, fmt.Errorf("%s: %s: %w", file, p, err)
		}
		if miss != "" {
			misses = append(misses, miss)
			continue
		}
		hits = append(hits, i+1)
		found = h
	}
	switch {
	case len(hits) > 1:
		return hit{}, fmt.Errorf("%s: %w: %s leads somewhere in documents %s; make the path pick one (a [name=…] selector, say)", file, ErrNoPath, p, joinInts(hits))
	case len(hits) == 0 && len(docs) == 1:
		return hit{}, fmt.Errorf("%s: %w: %s: %s", file, ErrNoPath, p, misses[0])
	case len(hits) == 0:
		for i := range misses {
			misses[i] = fmt.Sprintf("document %d: %s", i+1, misses[i])
		}
		return hit{}, fmt.Errorf("%s: %w: %s is in none of its %d documents (%s)", file, ErrNoPath, p, len(docs), strings.Join(misses, "; "))
	}
	return found, nil
}

// resolve follows p from n. miss says where the path stops when this
// document does not hold it; an error is a path that is ambiguous here.
func resolve(n *yaml.Node, p Path) (h hit, miss string, err error) {
	at := "the top level"
	follow := func() {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			if h.alias == nil {
				h.alias = n
			}
			n = n.Alias
		}
	}
	for _, s := range p.steps {
		follow()
		switch {
		case s.key != "":
			if n.Kind != yaml.MappingNode {
				return h, fmt.Sprintf("%s is %s, not a mapping with key %s", at, describeNode(n), s.key), nil
			}
			var vals []*yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == s.key {
					vals = append(vals, n.Content[i+1])
				}
			}
			switch len(vals) {
			case 0:
				if k, _ := field(n, "<<"); k != nil {
					return h, "", fmt.Errorf("%w: %s has no key %s of its own, and stagehand does not write through the merge key (<<) at line %d", ErrAlias, at, s.key, k.Line)
				}
				return h, fmt.Sprintf("%s has no key %s", at, s.key), nil
			case 1:
				n = vals[0]
			default:
				return h, "", fmt.Errorf("%w: %s has key %s twice", ErrNoPath, at, s.key)
			}
		case s.field != "":
			if n.Kind != yaml.SequenceNode {
				return h, fmt.Sprintf("%s is %s, not a list to select %s from", at, describeNode(n), s), nil
			}
			var items []*yaml.Node
			for _, item := range n.Content {
				m := item
				if m.Kind == yaml.AliasNode && m.Alias != nil {
					m = m.Alias
				}
				if m.Kind != yaml.MappingNode {
					continue
				}
				if _, v := field(m, s.field); v != nil && v.Kind == yaml.ScalarNode && v.Value == s.fieldVal {
					items = append(items, item)
				}
			}
			switch len(items) {
			case 0:
				return h, fmt.Sprintf("no item of %s has %s: %s", at, s.field, s.fieldVal), nil
			case 1:
				n = items[0]
			default:
				return h, "", fmt.Errorf("%w: %d items of %s have %s: %s", ErrNoPath, len(items), at, s.field, s.fieldVal)
			}
		default:
			if n.Kind != yaml.SequenceNode {
				return h, fmt.Sprintf("%s is %s, not a list to index", at, describeNode(n)), nil
			}
			if s.index >= len(n.Content) {
				return h, fmt.Sprintf("%s has %d items, so no [%d]", at, len(n.Content), s.index), nil
			}
			n = n.Content[s.index]
		}
		if at == "the top level" {
			at = s.String()
		} else if s.key != "" {
			at += "." + s.key
		} else {
			at += s.String()
		}
	}
	follow()
	h.node = n
	return h, "", nil
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "empty"
		}
		return strconv.Quote(n.Value)
	}
	return "a " + kindName(n)
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	if len(s) == 2 {
		return s[0] + " and " + s[1]
	}
	return strings.Join(s, ", ")
}
