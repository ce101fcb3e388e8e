package manifest

import "sigs.k8s.io/kustomize/kyaml/yaml"

// same reports whether out parses to the document want (the changed tree):
// same structure, tags and values, so a merge cannot have changed what the
// file means. Comments are not compared: the parser drops the odd comment,
// and not always the same one once a line was added nearby.
func same(file string, out []byte, want *yaml.Node) bool {
	got, _, err := parse(file, out)
	return err == nil && equalNodes(got, want)
}

func equalNodes(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.ShortTag() != b.ShortTag() || a.Value != b.Value || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !equalNodes(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
