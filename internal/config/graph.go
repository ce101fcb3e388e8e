package config

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// AllStages is the word `/promote <app> to all` uses for every stage that
// follows; no stage may be called that.
const AllStages = "all"

// link is where a stage's place in the graph is written: its name, and
// its after: list (nil when it has none).
type link struct {
	name, after *yaml.Node
}

// graph fills in each stage's After and checks that the stages form one
// graph without cycles that every stage is reached on from the first.
// A stage without after: follows the stage above it in the file, so a
// file without any after: is the straight line it always was; the first
// stage follows none.
func (p *parser) graph(stages []Stage, links []link) {
	names := make([]string, len(stages))
	for i, st := range stages {
		names[i] = st.Name
	}
	ok := true
	for i := range stages {
		n := links[i].after
		switch {
		case n == nil && i > 0:
			stages[i].After = []string{stages[i-1].Name}
		case n == nil:
		case i == 0:
			p.addf(n, "after: %s is the first stage, where images enter, so it follows no stage; list the stage it should follow above it", stages[i].Name)
			ok = false
		default:
			after, good := p.after(n, stages[i].Name, names)
			stages[i].After, ok = after, ok && good
		}
	}
	if !ok || len(stages) == 0 {
		return // cycles and reach are judged on names that all resolve
	}
	inCycle := p.cycles(stages, links)
	reached := map[string]bool{stages[0].Name: true}
	for changed := true; changed; {
		changed = false
		for _, st := range stages {
			if !reached[st.Name] && slices.ContainsFunc(st.After, func(a string) bool { return reached[a] }) {
				reached[st.Name], changed = true, true
			}
		}
	}
	for i, st := range stages {
		if !reached[st.Name] && !inCycle[st.Name] {
			at := links[i].after
			if at == nil {
				at = links[i].name
			}
			p.addf(at, "stage %s cannot be reached from %s, where images enter: every stage it follows comes after a cycle", st.Name, stages[0].Name)
		}
	}
}

// after reads one stage's after: list of stage names.
func (p *parser) after(n *yaml.Node, stage string, names []string) ([]string, bool) {
	items, ok := p.list(n, "after")
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		p.addf(n, "after: is empty; name the stage(s) %s follows, or leave after: out to follow the stage above it", stage)
		return nil, false
	}
	var out []string
	seen := map[string]int{}
	for _, item := range items {
		s, good := p.str(item, "after")
		switch {
		case !good:
			ok = false
		case s == stage:
			p.addf(item, "after: %s cannot follow itself", stage)
			ok = false
		case !slices.Contains(names, s):
			hint := ""
			if c := closest(s, names); c != "" {
				hint = fmt.Sprintf("did you mean %s? ", c)
			}
			p.addf(item, "after: there is no stage %q; %sstages are %s", s, hint, strings.Join(names, ", "))
			ok = false
		case seen[s] != 0:
			p.addf(item, "after: %s is already listed (line %d)", s, seen[s])
			ok = false
		default:
			seen[s] = item.Line
			out = append(out, s)
		}
	}
	return out, ok
}

// cycles reports each cycle of the graph once, at the after: that closes
// it, named in the order images would go round it; it returns the stages
// on one.
func (p *parser) cycles(stages []Stage, links []link) map[string]bool {
	index := make(map[string]int, len(stages))
	for i, st := range stages {
		index[st.Name] = i
	}
	const (
		unseen = iota
		open
		done
	)
	state := make([]int, len(stages))
	on := map[string]bool{}
	var path []int
	var visit func(i int)
	// visit walks from a stage to the stages it follows; meeting a stage
	// still open on the path closes a cycle.
	visit = func(i int) {
		state[i] = open
		path = append(path, i)
		for _, a := range stages[i].After {
			j := index[a]
			switch state[j] {
			case unseen:
				visit(j)
			case open:
				k := slices.Index(path, j)
				loop := slices.Clone(path[k:])
				slices.Reverse(loop) // flow order: from a stage to those after it
				// Told from the stage highest in the file, at its after:.
				first := slices.Index(loop, slices.Min(loop))
				loop = append(loop[first:], loop[:first]...)
				names := make([]string, 0, len(loop)+1)
				for _, s := range loop {
					names = append(names, stages[s].Name)
					on[stages[s].Name] = true
				}
				names = append(names, names[0])
				at := links[loop[0]].after
				if at == nil {
					at = links[loop[0]].name
				}
				p.addf(at, "after: the stages form a cycle, %s; images could never enter it from %s", strings.Join(names, " → "), stages[0].Name)
			}
		}
		path = path[:len(path)-1]
		state[i] = done
	}
	for i := range stages {
		if state[i] == unseen {
			visit(i)
		}
	}
	return on
}

// Outline says in words how images move through the stages, for
// `stagehand validate`: one line for a straight line, else one per stage
// that others follow, and one per stage that waits for several.
func (c *Config) Outline() []string {
	straight := true
	for _, st := range c.Stages {
		if len(st.After) > 1 || len(c.Next(st.Name)) > 1 {
			straight = false
		}
	}
	if straight {
		var names []string
		for s, ok := c.First(), len(c.Stages) > 0; ok; {
			names = append(names, s.Name)
			next := c.Next(s.Name)
			if ok = len(next) == 1; ok {
				s = next[0]
			}
		}
		return []string{"stages: " + strings.Join(names, " → ")}
	}
	var out []string
	for _, st := range c.Stages {
		var names []string
		for _, n := range c.Next(st.Name) {
			names = append(names, n.Name)
		}
		if len(names) > 0 {
			out = append(out, fmt.Sprintf("stages: %s → %s", st.Name, strings.Join(names, ", ")))
		}
	}
	for _, st := range c.Stages {
		if len(st.After) > 1 {
			out = append(out, fmt.Sprintf("stages: %s takes an image only once %s all run it", st.Name, strings.Join(st.After, ", ")))
		}
	}
	return out
}
