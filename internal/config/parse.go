package config

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Parse reads a .stagehand.yaml. file names it in problems. It returns a
// valid Config and a nil error, or a nil Config and an *Error holding every
// problem found.
func Parse(file string, data []byte) (*Config, error) {
	p := &parser{file: file}
	var cfg *Config
	if root := p.document(data); root != nil {
		cfg = p.config(root)
	}
	if len(p.problems) > 0 {
		sortProblems(p.problems)
		return nil, &Error{Problems: p.problems}
	}
	return cfg, nil
}

// document parses the YAML and returns its top node, or nil when there is
// nothing to check further.
func (p *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.addf(&yaml.Node{Line: 1}, "the file is empty; it needs stages: and apps:")
		} else {
			p.syntax(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.addf(&extra, "a second YAML document; keep the whole config in one (remove the ---)")
	case !errors.Is(err, io.EOF):
		p.syntax(err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.addf(&yaml.Node{Line: max(doc.Line, 1)}, "the file is empty; it needs stages: and apps:")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.addf(root, "the file must be a mapping with stages: and apps:, found %s", describe(root))
		return nil
	}
	return root
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntax records a YAML parser error at the line the parser names.
func (p *parser) syntax(err error) {
	msg := err.Error()
	line := 0
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Msg: oneLine("YAML syntax: " + msg)})
}

func (p *parser) config(root *yaml.Node) *Config {
	f := p.fields(root, "the file", "stages!", "apps!", "groups", "notify", "dashboard")
	cfg := &Config{}
	var complete bool
	if n, ok := f.get("stages"); ok {
		cfg.Stages, complete = p.stages(n)
	}
	known := make([]string, 0, len(cfg.Stages))
	for _, st := range cfg.Stages {
		if checkName(st.Name) == "" {
			known = append(known, st.Name)
		} else {
			complete = false
		}
	}
	appsOK := false
	if n, ok := f.get("apps"); ok {
		cfg.Apps = p.apps(n, known, complete)
		// Every entry read, each with a valid name: a group naming
		// something else is the group's mistake.
		appsOK = n.Kind == yaml.SequenceNode && len(cfg.Apps) == len(n.Content) &&
			!slices.ContainsFunc(cfg.Apps, func(a App) bool { return !ValidName(a.Name) })
	}
	if n, ok := f.get("groups"); ok {
		cfg.Groups = p.groups(n, cfg.Apps, appsOK)
	}
	if n, ok := f.get("notify"); ok {
		cfg.Notify = p.receivers(n)
	}
	if n, ok := f.get("dashboard"); ok {
		cfg.Dashboard = p.dashboard(n)
	}
	return cfg
}
