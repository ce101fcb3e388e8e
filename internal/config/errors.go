package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one mistake in a config file, at the node that holds it.
// Line and Column are 1-based; Line is 0 when the YAML parser could not say.
type Problem struct {
	File         string
	Line, Column int
	Msg          string
}

func (p Problem) String() string {
	switch {
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	case p.Column == 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg)
}

// Error is every problem Parse found, in file order, so that a user fixes
// the file in one pass rather than one mistake per push.
type Error struct {
	Problems []Problem
}

// Error prints one "file:line:col: msg" per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems puts problems in file order; problems at the same place keep
// the order they were found in.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
}
