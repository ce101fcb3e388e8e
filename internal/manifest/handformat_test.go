package manifest

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

// TestRewriteKeepsHandFormatting scatters what kyaml would drop (blank
// lines, trailing blanks, comments, extra spaces after a colon) over each
// golden case: the pin must still land without reformatting the file, and
// the only lines removed are ones that carried the old pin.
func TestRewriteKeepsHandFormatting(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range loadGolden(t) {
		if c.reformatted || bytes.Contains(c.before, []byte("\r")) {
			continue
		}
		for range 50 {
			in := scatterFormatting(rng, string(c.before))
			if _, _, err := parse("k.yaml", []byte(in)); err != nil {
				continue // e.g. a comment landed inside a flow list
			}
			r, err := Rewrite("k.yaml", []byte(in), c.img)
			if err != nil {
				t.Fatalf("%s: %v\n%s", c.dir, err, in)
			}
			if r.Reformatted {
				t.Fatalf("%s: reformatted\n%s", c.dir, in)
			}
			kept := make(map[string]int)
			for _, l := range strings.Split(string(r.Out), "\n") {
				kept[l]++
			}
			for _, l := range strings.Split(in, "\n") {
				if kept[l] > 0 {
					kept[l]--
				} else if !strings.Contains(l, "newTag") && !strings.Contains(l, "digest") && !strings.Contains(l, "images") {
					t.Fatalf("%s: line %q lost\nin:\n%s\nout:\n%s", c.dir, l, in, r.Out)
				}
			}
		}
	}
}

func scatterFormatting(rng *rand.Rand, s string) string {
	var out strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		body, nl := strings.CutSuffix(l, "\n")
		switch rng.Intn(8) {
		case 0:
			out.WriteString("\n")
		case 1:
			body += "   "
		case 2:
			if nl && !strings.Contains(body, "#") && strings.TrimSpace(body) != "" {
				body += "  # note"
			}
		case 3:
			body = strings.Replace(body, ": ", ":    ", 1)
		case 4:
			out.WriteString(strings.Repeat(" ", rng.Intn(6)) + "# a comment line\n")
		}
		out.WriteString(body)
		if nl {
			out.WriteString("\n")
		}
	}
	return out.String()
}
