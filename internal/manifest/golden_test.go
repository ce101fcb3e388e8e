package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
)

// goldenCase is testdata/manifest/<case>: before.yaml, after.yaml and
// image.txt with name=, tag=, digest= and optionally reformatted=true.
type goldenCase struct {
	dir           string
	before, after []byte
	img           Image
	reformatted   bool
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	dirs, err := filepath.Glob("../../testdata/manifest/*")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, dir := range dirs {
		c := goldenCase{dir: dir}
		read := func(name string) []byte {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		c.before, c.after = read("before.yaml"), read("after.yaml")
		for _, line := range strings.Split(string(read("image.txt")), "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
			switch k {
			case "name":
				c.img.Name = v
			case "tag":
				c.img.Tag = v
			case "digest":
				c.img.Digest = v
			case "reformatted":
				c.reformatted, err = strconv.ParseBool(v)
				if err != nil {
					t.Fatalf("%s/image.txt: %v", dir, err)
				}
			case "":
			default:
				t.Fatalf("%s/image.txt: unknown key %q", dir, k)
			}
		}
		cases = append(cases, c)
	}
	if len(cases) < 14 {
		t.Fatalf("found %d golden cases, want at least 14", len(cases))
	}
	return cases
}

func TestRewriteGolden(t *testing.T) {
	for _, c := range loadGolden(t) {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			file := filepath.Join(c.dir, "before.yaml")
			r, err := Rewrite(file, c.before, c.img)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if !bytes.Equal(r.Out, c.after) {
				t.Errorf("output differs from after.yaml:\n%s\ngot (quoted):\n%q",
					udiff.Unified("after.yaml", "got", string(c.after), string(r.Out)), r.Out)
			}
			if want := !bytes.Equal(c.before, c.after); r.Changed != want {
				t.Errorf("Changed = %v, want %v", r.Changed, want)
			}
			if r.Reformatted != c.reformatted {
				t.Errorf("Reformatted = %v, want %v", r.Reformatted, c.reformatted)
			}

			// Running again on the result changes nothing.
			again, changed, err := SetImage(file, c.after, c.img)
			if err != nil {
				t.Fatalf("second SetImage: %v", err)
			}
			if changed || !bytes.Equal(again, c.after) {
				t.Errorf("second SetImage changed=%v, output differs: %s", changed,
					udiff.Unified("after.yaml", "again", string(c.after), string(again)))
			}

			p, err := Current(file, c.after, c.img.Name)
			if err != nil {
				t.Fatalf("Current: %v", err)
			}
			if !p.Found || p.Tag != c.img.Tag || p.Digest != c.img.Digest {
				t.Errorf("Current on after.yaml = %+v, want tag %q digest %q", p, c.img.Tag, c.img.Digest)
			}
		})
	}
}
