package manifest

import (
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

// pin sets img on the tree under top and reports whether anything changed.
// Every matching entry is updated the same way; without a match an entry is
// appended, and without images: the key is added at the end of the document.
func pin(file string, top *yaml.Node, img Image) (bool, error) {
	key, seq, entries, err := images(file, top)
	if err != nil {
		return false, err
	}
	changed, matched := false, false
	for _, e := range entries {
		if e.name != nil && registry.SameRepository(e.name.Value, img.Name) {
			matched = true
			changed = pinEntry(e, img) || changed
		}
	}
	if matched {
		return changed, nil
	}
	item := newEntry(img)
	switch {
	case key == nil:
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{item}}
		insertPair(top, len(top.Content), "images", list)
	case isNull(seq):
		// `images:` with nothing after it: keep its comments on the new list.
		*seq = yaml.Node{
			Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{item},
			HeadComment: seq.HeadComment, LineComment: seq.LineComment, FootComment: seq.FootComment,
		}
	default:
		if len(seq.Content) == 0 {
			seq.Style &^= yaml.FlowStyle // `images: []` grows into a block list
		}
		seq.Content = append(seq.Content, item)
	}
	return true, nil
}

func newEntry(img Image) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Content: []*yaml.Node{
		yaml.NewStringRNode("name").YNode(), stringNode(img.Name, 0),
		yaml.NewStringRNode("newTag").YNode(), stringNode(img.Tag, 0),
		yaml.NewStringRNode("digest").YNode(), stringNode(img.Digest, 0),
	}}
}

// pinEntry sets newTag and digest on one entry. A missing newTag goes before
// digest or else after name/newName; a missing digest goes right after newTag.
func pinEntry(e entry, img Image) bool {
	changed := false
	if !holds(e.newTag, img.Tag) {
		changed = true
		if e.newTag != nil {
			setString(e.newTag, img.Tag)
		} else {
			at := len(e.node.Content)
			if i := keyIndex(e.node, "digest"); i >= 0 {
				at = i
			} else if i := max(keyIndex(e.node, "name"), keyIndex(e.node, "newName")); i >= 0 {
				at = i + 2
			}
			insertPair(e.node, at, "newTag", stringNode(img.Tag, 0))
		}
	}
	if !holds(e.digest, img.Digest) {
		changed = true
		if e.digest != nil {
			setString(e.digest, img.Digest)
		} else {
			insertPair(e.node, keyIndex(e.node, "newTag")+2, "digest", stringNode(img.Digest, 0))
		}
	}
	return changed
}

// holds reports whether n already is the string v. An unquoted 1.10 is a
// float to YAML, not the tag "1.10", so it does not count.
func holds(n *yaml.Node, v string) bool {
	if n == nil || n.Value != v || n.ShortTag() != yaml.NodeTagString {
		return false
	}
	return n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 || !yaml.IsYaml1_1NonString(n)
}

// setString changes n's value in place, keeping its comments and its quotes
// (a double-quoted tag stays double-quoted).
func setString(n *yaml.Node, v string) {
	style := n.Style & (yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle)
	repl := stringNode(v, style)
	repl.HeadComment, repl.LineComment, repl.FootComment = n.HeadComment, n.LineComment, n.FootComment
	repl.Line, repl.Column = n.Line, n.Column
	*n = *repl
}

// stringNode is a string scalar that any YAML reader takes as a string: a
// value YAML 1.1 would read as a number or bool (1.10, 1e3, on) is quoted.
// Kustomize reads kustomization.yaml with a YAML 1.1 parser.
func stringNode(v string, style yaml.Style) *yaml.Node {
	n := yaml.NewStringRNode(v).YNode()
	n.Style = style
	if style == 0 && yaml.IsValueNonString(v) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// insertPair inserts key: v at index at of mapping m. A foot comment on the
// pair before moves down to the new pair: the encoder would otherwise print
// it, then a blank line, then the new pair.
func insertPair(m *yaml.Node, at int, key string, v *yaml.Node) {
	k := yaml.NewStringRNode(key).YNode()
	if at >= 2 {
		prevKey, prevVal := m.Content[at-2], m.Content[at-1]
		k.FootComment, prevKey.FootComment = prevKey.FootComment, ""
		if prevVal.Kind == yaml.ScalarNode {
			v.FootComment, prevVal.FootComment = prevVal.FootComment, ""
		}
	}
	m.Content = slices.Insert(m.Content, at, k, v)
}

// keyIndex is the index in m.Content of key k, or -1.
func keyIndex(m *yaml.Node, k string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return i
		}
	}
	return -1
}
