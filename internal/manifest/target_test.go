package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
)

// targetCase is testdata/targets/<case>: before.yaml, target.txt (tag=,
// digest=, image= paths; name=, newtag=, newdigest= for the image set,
// defaulting to ghcr.io/acme/web 1.2.3 testDigest) and after.yaml, or
// error= with a phrase the refusal must hold.
type targetCase struct {
	dir           string
	target        Target
	img           Image
	before, after []byte
	err           string
}

func loadTargets(t testing.TB) []targetCase {
	t.Helper()
	dirs, err := filepath.Glob("../../testdata/targets/*")
	if err != nil {
		t.Fatal(err)
	}
	var cases []targetCase
	for _, dir := range dirs {
		c := targetCase{dir: dir, img: Image{Name: "ghcr.io/acme/web", Tag: "1.2.3", Digest: testDigest}}
		read := func(name string) []byte {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return b
		}
		c.target.File = filepath.Join(dir, "before.yaml")
		c.before, c.after = read("before.yaml"), read("after.yaml")
		for _, line := range strings.Split(string(read("target.txt")), "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
			switch k {
			case "tag":
				c.target.Tag = v
			case "digest":
				c.target.Digest = v
			case "image":
				c.target.Image = v
			case "name":
				c.img.Name = v
			case "newtag":
				c.img.Tag = v
			case "newdigest":
				c.img.Digest = v
			case "error":
				c.err = v
			case "":
			default:
				t.Fatalf("%s/target.txt: unknown key %q", dir, k)
			}
		}
		if (c.err == "") == (c.after == nil) {
			t.Fatalf("%s: give after.yaml or error=, one of them", dir)
		}
		cases = append(cases, c)
	}
	if len(cases) < 18 {
		t.Fatalf("found %d target cases, want at least 18", len(cases))
	}
	return cases
}

// TestTargetGolden: a values or image target changes only the lines of the
// values it sets, as after.yaml shows; a hazard it cannot write through is
// refused with a message that names it, and nothing is written.
func TestTargetGolden(t *testing.T) {
	for _, c := range loadTargets(t) {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			r, err := c.target.Rewrite(c.before, c.img)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || r.Out != nil {
					t.Fatalf("Rewrite = %q, %v; want an error saying %q", r.Out, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if !bytes.Equal(r.Out, c.after) {
				t.Errorf("output differs from after.yaml:\n%s\ngot (quoted):\n%q",
					udiff.Unified("after.yaml", "got", string(c.after), string(r.Out)), r.Out)
			}
			if want := !bytes.Equal(c.before, c.after); r.Changed != want || r.Reformatted {
				t.Errorf("Changed, Reformatted = %v, %v; want %v, false", r.Changed, r.Reformatted, want)
			}
			// Only lines holding the new pin differ.
			b, a := strings.Split(string(c.before), "\n"), strings.Split(string(r.Out), "\n")
			if len(a) != len(b) {
				t.Fatalf("%d lines became %d", len(b), len(a))
			}
			for i := range a {
				if a[i] != b[i] && !strings.Contains(a[i], c.img.Digest) && !strings.Contains(a[i], c.img.Tag) {
					t.Errorf("line %d changed without the new pin: %q → %q", i+1, b[i], a[i])
				}
			}

			again, err := c.target.Rewrite(r.Out, c.img)
			if err != nil || again.Changed || !bytes.Equal(again.Out, r.Out) {
				t.Errorf("second Rewrite: changed=%v err=%v", again.Changed, err)
			}
			p, err := c.target.Current(r.Out, c.img.Name)
			if err != nil {
				t.Fatalf("Current: %v", err)
			}
			if !p.Found || p.Tag != c.img.Tag || p.Digest != c.img.Digest {
				t.Errorf("Current on the result = %+v, want tag %q digest %q", p, c.img.Tag, c.img.Digest)
			}
		})
	}
}

func TestTargetCurrent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target Target
		data   string
		want   Pinned
		err    error
	}{
		{"tag with digest", Target{Tag: "image.tag"}, "image:\n  tag: 1.0.0@" + testDigest + "\n", Pinned{Found: true, Tag: "1.0.0", Digest: testDigest}, nil},
		{"tag alone", Target{Tag: "image.tag"}, "image:\n  tag: \"1.0\"\n", Pinned{Found: true, Tag: "1.0"}, nil},
		{"empty tag is no pin", Target{Tag: "image.tag"}, "image:\n  tag:\n", Pinned{}, nil},
		{"split", Target{Tag: "image.tag", Digest: "image.digest"}, "image: {tag: v2, digest: " + testDigest + "}\n", Pinned{Found: true, Tag: "v2", Digest: testDigest}, nil},
		{"read through an alias", Target{Tag: "b.tag"}, "a: &x\n  tag: v1\nb: *x\n", Pinned{Found: true, Tag: "v1"}, nil},
		{"full reference", Target{Image: "containers[1].image"}, "containers:\n- image: x\n- image: localhost:5000/web:1@" + testDigest + "\n", Pinned{Found: true, Name: "localhost:5000/web", Tag: "1", Digest: testDigest}, nil},
		{"reference without tag", Target{Image: "image"}, "image: localhost:5000/web@" + testDigest + "\n", Pinned{Found: true, Name: "localhost:5000/web", Digest: testDigest}, nil},
		{"a mapping is not a pin", Target{Tag: "image"}, "image:\n  tag: v1\n", Pinned{}, nil},
		{"absent", Target{Tag: "image.tag"}, "image: {}\n", Pinned{}, ErrNoPath},
		{"not YAML", Target{Tag: "image.tag"}, "image: [\n", Pinned{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.target.File = "values.yaml"
			got, err := tc.target.Current([]byte(tc.data), "localhost:5000/web")
			switch {
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Fatalf("error %v, want %v", err, tc.err)
			case tc.err == nil && tc.want == (Pinned{}) && err == nil && got.Found:
				t.Fatalf("got %+v, want nothing found or an error", got)
			case tc.want != (Pinned{}) && (err != nil || got != tc.want):
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParsePath(t *testing.T) {
	for _, s := range []string{"image.tag", "a", "spec.template.spec.containers[name=web].image", "list[0]", "a[0][1].b", "[0].a", "a.b-c_d/e:f", "x[k=v=w]"} {
		p, err := ParsePath(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePath(%q) = %v, %v", s, p, err)
		}
	}
	for s, why := range map[string]string{
		"":              "empty",
		"a..b":          "empty key",
		".a":            "empty key",
		"a.":            "ends with a dot",
		"a.[0]":         "without a dot",
		"a[":            "without ]",
		"a]":            "] without [",
		"a[-1]":         "neither an index",
		"a[01]":         "neither an index",
		"a[x]":          "neither an index",
		"a[=v]":         "selector",
		"a[k=]":         "selector",
		"a[0]b":         "a dot or [",
		"image. tag":    "whitespace",
		"a[[0]]":        "inside",
		"a[k.x=v]":      "selector",
		"spec.c[name=w": "without ]",
	} {
		if _, err := ParsePath(s); err == nil || !errors.Is(err, ErrBadPath) || !strings.Contains(err.Error(), why) {
			t.Errorf("ParsePath(%q) = %v, want an error saying %q", s, err, why)
		}
	}
}
