package manifest

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// layout is how kyaml is asked to render: mapping indent and where a block
// sequence's dash sits. kyaml's encoder can put the dash at the key's column
// (2, compact), 2 further in (2, wide or 4, compact) or 4 further in (4, wide).
type layout struct {
	indent int
	seq    yaml.SequenceIndentStyle
}

// detectLayout copies the file's own sequence layout, preferring images:
// itself so that an added entry or digest line lines up with its neighbours.
func detectLayout(top *yaml.Node, src []byte) layout {
	mapIndent := mappingIndent(top)
	var seqs []*yaml.Node // key, value pairs at top level, images: first
	if k, v := field(top, "images"); k != nil {
		seqs = append(seqs, k, v)
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		seqs = append(seqs, top.Content[i], top.Content[i+1])
	}
	for i := 0; i < len(seqs); i += 2 {
		k, v := seqs[i], seqs[i+1]
		if v.Kind != yaml.SequenceNode || v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 || v.Line == k.Line {
			continue
		}
		switch v.Column - k.Column {
		case 0:
			return layout{2, yaml.CompactSequenceStyle}
		case 2:
			if mapIndent == 4 {
				return layout{4, yaml.CompactSequenceStyle}
			}
			return layout{2, yaml.WideSequenceStyle}
		case 4:
			return layout{4, yaml.WideSequenceStyle}
		}
	}
	if mapIndent != 4 {
		mapIndent = 2
	}
	return layout{mapIndent, yaml.SequenceIndentStyle(yaml.DeriveSeqIndentStyle(string(src)))}
}

// mappingIndent is the indent of the first block mapping nested in another,
// or 0 when there is none.
func mappingIndent(m *yaml.Node) int {
	if m.Style&yaml.FlowStyle != 0 {
		return 0
	}
	if m.Kind == yaml.SequenceNode {
		for _, item := range m.Content {
			if n := mappingIndent(item); n > 0 {
				return n
			}
		}
		return 0
	}
	if m.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > k.Line {
			return v.Column - k.Column
		}
		if n := mappingIndent(v); n > 0 {
			return n
		}
	}
	return 0
}

// render is kyaml's rendering of doc in layout l.
func render(doc *yaml.Node, l layout) (string, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoderWithOptions(&buf, &yaml.EncoderOptions{SeqIndent: l.seq})
	enc.SetIndent(l.indent)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("render YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("render YAML: %w", err)
	}
	return buf.String(), nil
}
