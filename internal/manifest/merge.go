package manifest

import (
	"cmp"
	"slices"
	"strings"

	"github.com/aymanbagabas/go-udiff/lcs"
)

// merge3 applies the changes from base to theirs onto orig, a copy of base
// as a person formatted it. All three are "\n"-terminated text. Changes are
// placed line by line; where a change and the person's formatting touch the
// same lines, those lines are merged again token by token (a value and the
// spaces before its comment are different tokens). ok is false when even
// the tokens conflict.
func merge3(base, theirs, orig string) (string, bool) {
	out, ok := merge(splitLines(base), splitLines(theirs), splitLines(orig), changes, formatting, mergeTokens)
	return strings.Join(out, ""), ok
}

// mergeTokens is the resolver for a group of lines: it merges the text of
// base lines [lo, hi) with each side's hunks applied, by tokens. It only
// does so where the person's formatting keeps kyaml's lines one for one.
func mergeTokens(b []string, lo, hi int, g []hunk) ([]string, bool) {
	for _, h := range g {
		if !h.theirs && h.end-h.start != len(h.lines) {
			// The person's lines are not kyaml's lines here (a blank line
			// or comment sits inside the change): a token merge could put
			// it on either side of the new text, so do not guess.
			return nil, false
		}
	}
	tokens := func(lines []string) []string { return tokenize(strings.Join(lines, "")) }
	return merge(tokens(b[lo:hi]), tokens(apply(b, lo, hi, g, true)), tokens(apply(b, lo, hi, g, false)), diff, diff, spacingYields)
}

// spacingYields resolves tokens both sides touch: where the person only
// spaced things differently, the change wins (`images:   []` becoming a
// block list loses those spaces); anything else is a conflict.
func spacingYields(b []string, lo, hi int, g []hunk) ([]string, bool) {
	for _, h := range g {
		if !h.theirs && !(blank(b[h.start:h.end]) && blank(h.lines)) {
			return nil, false
		}
	}
	return apply(b, lo, hi, g, true), true
}

func blank(toks []string) bool {
	return !slices.ContainsFunc(toks, func(t string) bool { return tokenClass(t[0]) != 'b' })
}

// apply is base items [lo, hi) with one side's hunks of g applied.
func apply(b []string, lo, hi int, g []hunk, theirs bool) []string {
	var s []string
	at := lo
	for _, h := range g { // one side's hunks are ordered and disjoint
		if h.theirs == theirs {
			s = append(append(s, b[at:h.start]...), h.lines...)
			at = h.end
		}
	}
	return append(s, b[at:hi]...)
}

// hunk replaces base items [start, end) with lines; start == end inserts
// before base item start. theirs marks the change being made, as opposed to
// the person's formatting.
type hunk struct {
	start, end int
	lines      []string
	theirs     bool
}

// merge is a three-way merge of sequences (lines or tokens) over base b.
// Hunks of the two sides that overlap are grouped and handed to resolve.
func merge(b, t, o []string, change, format differ, resolve func(b []string, lo, hi int, g []hunk) ([]string, bool)) ([]string, bool) {
	mine, form := change(b, t, true), format(b, o, false)
	var ops []hunk
	j := 0
	for i := 0; i < len(mine); {
		g := []hunk{mine[i]}
		lo, hi := mine[i].start, mine[i].end
		i++
		for grown := true; grown; {
			grown = false
			// Entirely before the group, so before any later change too.
			for j < len(form) && form[j].end <= lo && !overlaps(lo, hi, form[j]) {
				ops = append(ops, form[j])
				j++
			}
			for j < len(form) && overlaps(lo, hi, form[j]) {
				g = append(g, form[j])
				lo, hi = min(lo, form[j].start), max(hi, form[j].end)
				j++
				grown = true
			}
			for i < len(mine) && overlaps(lo, hi, mine[i]) {
				g = append(g, mine[i])
				lo, hi = min(lo, mine[i].start), max(hi, mine[i].end)
				i++
				grown = true
			}
		}
		if len(g) == 1 {
			ops = append(ops, g[0])
			continue
		}
		slices.SortStableFunc(g, func(x, y hunk) int { return x.start - y.start })
		lines, ok := resolve(b, lo, hi, g)
		if !ok {
			return nil, false
		}
		ops = append(ops, hunk{start: lo, end: hi, lines: lines})
	}
	ops = append(ops, form[j:]...)

	// By position; at one position our insertion comes first, then the
	// person's (so a new line follows the line it was added after, ahead of
	// blank lines kyaml dropped), then a range starting there.
	rank := func(h hunk) int {
		switch {
		case h.start != h.end:
			return 2
		case h.theirs:
			return 0
		}
		return 1
	}
	slices.SortStableFunc(ops, func(x, y hunk) int {
		return cmp.Or(cmp.Compare(x.start, y.start), cmp.Compare(rank(x), rank(y)))
	})

	var out []string
	at := 0
	for _, h := range ops {
		if h.start < at {
			return nil, false // overlapping hunks: a bug, but not worth a crash
		}
		out = append(append(out, b[at:h.start]...), h.lines...)
		at = h.end
	}
	return append(out, b[at:]...), true
}

// overlaps reports whether h touches base items [lo, hi) in a way that has
// no obvious order: shared items, or an insertion strictly inside a range.
func overlaps(lo, hi int, h hunk) bool {
	switch {
	case lo == hi && h.start == h.end:
		return false
	case lo == hi:
		return h.start < lo && lo < h.end
	case h.start == h.end:
		return lo < h.start && h.start < hi
	}
	return lo < h.end && h.start < hi
}

// differ computes one side's hunks over base a; theirs is set on each.
type differ func(a, b []string, theirs bool) []hunk

// diff is the plain diff from a to b.
func diff(a, b []string, theirs bool) []hunk { return diffBy(a, b, theirs, nil) }

// diffBy is the diff from a to b comparing items by key; items that match
// by key but differ in text become one-for-one hunks.
func diffBy(a, b []string, theirs bool, key func(string) string) []hunk {
	ka, kb := a, b
	if key != nil {
		ka, kb = keys(a, key), keys(b, key)
	}
	var hs []hunk
	ai, bi := 0, 0
	same := func(aEnd int) {
		for ; ai < aEnd; ai, bi = ai+1, bi+1 {
			if a[ai] != b[bi] {
				hs = append(hs, hunk{start: ai, end: ai + 1, lines: b[bi : bi+1], theirs: theirs})
			}
		}
	}
	for _, d := range lcs.DiffLines(ka, kb) {
		same(d.Start)
		hs = append(hs, hunk{start: d.Start, end: d.End, lines: b[d.ReplStart:d.ReplEnd], theirs: theirs})
		ai, bi = d.End, d.ReplEnd
	}
	same(len(a))
	return hs
}

// changes is the diff from kyaml's rendering before the change to after,
// with each hunk split by changeKey so that "this line changed and a line
// was added" are two hunks, not one.
func changes(a, b []string, theirs bool) []hunk {
	var hs []hunk
	for _, h := range diff(a, b, theirs) {
		if h.start == h.end || len(h.lines) == 0 {
			hs = append(hs, h)
			continue
		}
		for _, sub := range diffBy(a[h.start:h.end], h.lines, theirs, changeKey) {
			sub.start, sub.end = sub.start+h.start, sub.end+h.start
			hs = append(hs, sub)
		}
	}
	return hs
}

// formatting is the diff from kyaml's rendering to the person's file,
// aligning lines by formatKey so that re-spaced lines pair up one for one.
func formatting(a, b []string, theirs bool) []hunk { return diffBy(a, b, theirs, formatKey) }

func keys(items []string, key func(string) string) []string {
	ks := make([]string, len(items))
	for i, it := range items {
		ks[i] = key(it)
	}
	return ks
}

// changeKey identifies a line kyaml rendered before and after the change:
// its indentation and mapping key ("    newTag:").
func changeKey(line string) string {
	if i := strings.IndexByte(line, ':'); i >= 0 {
		return line[:i+1]
	}
	return line
}

// formatKey identifies a line kyaml rendered and the line as the person
// wrote it: the same words, whatever the spacing.
func formatKey(line string) string { return strings.Join(strings.Fields(line), " ") }

// splitLines splits s after each "\n".
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// tokenize splits s into runs of blanks, runs of other characters, and
// single line breaks and flow indicators ("[]{},"), so that a value, the
// spaces around it and the brackets of a flow list are separate tokens.
func tokenize(s string) []string {
	var toks []string
	for len(s) > 0 {
		n := 1
		switch class := tokenClass(s[0]); class {
		case 'b', 'w':
			for n < len(s) && tokenClass(s[n]) == class {
				n++
			}
		}
		toks = append(toks, s[:n])
		s = s[n:]
	}
	return toks
}

// tokenClass is 'b' for a blank, 'w' for a word character, 'p' for a
// character that is a token by itself.
func tokenClass(c byte) byte {
	switch c {
	case ' ', '\t':
		return 'b'
	case '\n', '\r', '[', ']', '{', '}', ',':
		return 'p'
	}
	return 'w'
}
