package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// parse decodes data as exactly one Kustomization document and returns the
// document node and its top-level mapping.
func parse(file string, data []byte) (doc, top *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, syntaxError(file, err)
		}
		if doc == nil {
			doc = &n
			continue
		}
		// A trailing "---" with nothing after it is harmless; anything
		// else is a second resource stagehand must not guess about.
		if !emptyDocument(&n) {
			return nil, nil, fmt.Errorf("%s: %w: several YAML documents", file, ErrNotKustomization)
		}
	}
	if doc == nil || len(doc.Content) == 0 {
		return nil, nil, fmt.Errorf("%s: %w: empty document", file, ErrNotKustomization)
	}
	top = doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: %w: top level is a %s, not a mapping", file, ErrNotKustomization, kindName(top))
	}
	if k := duplicateKey(top); k != "" {
		return nil, nil, fmt.Errorf("%s: %w: key %q appears twice", file, ErrNotKustomization, k)
	}
	if _, kind := field(top, "kind"); kind != nil {
		if kind.Kind != yaml.ScalarNode || (kind.Value != "" && kind.Value != "Kustomization") {
			return nil, nil, fmt.Errorf("%s: %w: kind is %q", file, ErrNotKustomization, kind.Value)
		}
	}
	return doc, top, nil
}

// duplicateKey returns a scalar key that mapping m holds twice, or "".
// Kustomize rejects such a file, and which copy to edit would be a guess.
func duplicateKey(m *yaml.Node) string {
	seen := make(map[string]bool, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if seen[k.Value] {
			return k.Value
		}
		seen[k.Value] = true
	}
	return ""
}

func emptyDocument(n *yaml.Node) bool {
	if len(n.Content) == 0 {
		return true
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.ShortTag() == yaml.NodeTagNull && c.Value == ""
}

// field returns the key and value nodes of key in mapping m, or nils.
func field(m *yaml.Node, key string) (k, v *yaml.Node) {
	mn := yaml.NewRNode(m).Field(key)
	if mn == nil {
		return nil, nil
	}
	return mn.Key.YNode(), mn.Value.YNode()
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "node"
}

// entry is one images: item; key and value nodes are nil when absent.
type entry struct {
	node           *yaml.Node
	name, newName  *yaml.Node
	newTag, digest *yaml.Node
}

// images returns the images: key and value nodes (nil when absent) and its
// entries. A null value (`images:` alone) counts as present but empty.
func images(file string, top *yaml.Node) (key, seq *yaml.Node, entries []entry, err error) {
	key, seq = field(top, "images")
	if seq == nil || isNull(seq) {
		return key, seq, nil, nil
	}
	if seq.Kind != yaml.SequenceNode {
		return nil, nil, nil, fmt.Errorf("%s: %w: images: is a %s, not a list", file, ErrNotKustomization, kindName(seq))
	}
	for i, n := range seq.Content {
		if n.Kind != yaml.MappingNode {
			return nil, nil, nil, fmt.Errorf("%s: %w: images[%d] is a %s, not a mapping", file, ErrNotKustomization, i, kindName(n))
		}
		if k := duplicateKey(n); k != "" {
			return nil, nil, nil, fmt.Errorf("%s: %w: images[%d] has key %q twice", file, ErrNotKustomization, i, k)
		}
		e := entry{node: n}
		for _, f := range []struct {
			key string
			dst **yaml.Node
		}{{"name", &e.name}, {"newName", &e.newName}, {"newTag", &e.newTag}, {"digest", &e.digest}} {
			_, v := field(n, f.key)
			if v != nil && v.Kind != yaml.ScalarNode {
				return nil, nil, nil, fmt.Errorf("%s: %w: images[%d].%s is a %s, not a string", file, ErrNotKustomization, i, f.key, kindName(v))
			}
			*f.dst = v
		}
		entries = append(entries, e)
	}
	return key, seq, entries, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == yaml.NodeTagNull
}

func value(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}
