package promote

import (
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
	if o.After != nil && string(o.Before) != string(o.After) {
		diff := udiff.Unified("a/"+o.Path, "b/"+o.Path, string(o.Before), string(o.After))
		for _, line := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}
