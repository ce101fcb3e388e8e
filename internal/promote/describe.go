package promote

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// Describe writes a short account of an outcome for people: what happened,
// why, the PR, and the change to the kustomization as a unified diff.
func Describe(w io.Writer, o Outcome) {
	where := o.App
	if o.Stage != "" {
		where += " → " + o.Stage
	}
	if where == "" {
		where = "push"
	}
	fmt.Fprintf(w, "%s: %s", where, o.Result)
	if o.To.Digest != "" {
		fmt.Fprintf(w, " %s@%s", o.To.Tag, short(o.To.Digest))
	}
	if o.PR != 0 {
		fmt.Fprintf(w, " (PR #%d %s)", o.PR, o.PRURL)
	}
	fmt.Fprintln(w)
	if o.Reason != "" {
		fmt.Fprintf(w, "  %s\n", o.Reason)
	}
	describeChange(w, o)
	// A group's apps, each with what it moves and its change.
	for _, m := range o.Members {
		fmt.Fprintf(w, "  %s: %s", m.App, cmp.Or(m.Result, o.Result))
		if m.To.Digest != "" {
			fmt.Fprintf(w, " %s@%s", m.To.Tag, short(m.To.Digest))
		}
		fmt.Fprintln(w)
		if m.Reason != "" && m.Reason != o.Reason {
			fmt.Fprintf(w, "    %s\n", m.Reason)
		}
		describeChange(w, m)
	}
}

// describeChange writes the change to an outcome's file as a diff.
func describeChange(w io.Writer, o Outcome) {
	if o.After != nil && string(o.Before) != string(o.After) {
		diff := udiff.Unified("a/"+o.Path, "b/"+o.Path, string(o.Before), string(o.After))
		for _, line := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}
