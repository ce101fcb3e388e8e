package scaffold

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// SchemaURL is the JSON Schema editors use for .stagehand.yaml.
const SchemaURL = "https://raw.githubusercontent.com/stagehand-dev/stagehand/main/schema/stagehand.schema.json"

var modeComment = map[config.Mode]string{
	config.AutoMerge:   "open the PR and merge it once required checks pass",
	config.PullRequest: "open the PR; a person merges it",
	config.Manual:      "nothing moves until someone promotes it",
}

// YAML writes the proposal as a .stagehand.yaml, with comments saying
// what to review.
func (p *Proposal) YAML() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", SchemaURL)
	b.WriteString("# Proposed by `stagehand init` from this repository's kustomizations: review it,\n")
	b.WriteString("# then check it with `stagehand validate`.\n")
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "# note: %s\n", oneLine(n))
	}
	b.WriteString("stages:                        # promotion order, first to last\n")
	for _, st := range p.Stages {
		fmt.Fprintf(&b, "  - name: %s\n", scalar(st.Name))
		fmt.Fprintf(&b, "    mode: %-14s # %s\n", scalar(string(st.Mode)), modeComment[st.Mode])
	}
	if len(p.Apps) == 0 {
		b.WriteString("apps: []\n")
		return b.Bytes()
	}
	b.WriteString("apps:\n")
	for _, a := range p.Apps {
		fmt.Fprintf(&b, "  - name: %s\n", scalar(a.Name))
		fmt.Fprintf(&b, "    image: %s\n", scalar(a.Image))
		b.WriteString("    tags:\n")
		if a.Pattern != "" {
			fmt.Fprintf(&b, "      pattern: %s # %s\n", scalar(a.Pattern), oneLine(a.Why))
		} else {
			fmt.Fprintf(&b, "      semver: %s # %s\n", scalar(a.Semver), oneLine(a.Why))
		}
		b.WriteString("    stages:\n")
		for _, st := range p.Stages {
			fmt.Fprintf(&b, "      %s: %s\n", scalar(st.Name), scalar(a.Paths[st.Name]))
		}
	}
	return b.Bytes()
}

// scalar writes s as YAML would, quoted only when it must be.
func scalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// oneLine makes s fit a YAML comment: one line of printable characters,
// the rest escaped (a folder name may hold anything).
func oneLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError || !unicode.IsPrint(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
