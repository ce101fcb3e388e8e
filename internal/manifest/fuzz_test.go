package manifest

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzSetImage(f *testing.F) {
	for _, c := range loadGolden(f) {
		f.Add(c.before, c.img.Tag)
		f.Add(c.after, "1.10")
	}
	for _, s := range []string{
		"", "---\n", "images:\n", "images: [", "- a\n", "a: 1\n---\nb: 2\n", "images: &a [*a]\n",
		"images:\n- name: ghcr.io/acme/web\n  newTag: 1\n  # c\n\n# d\n",
		"\ufeffimages:\r\n- name: ghcr.io/acme/web\r\n  newTag: x\n",
		"images:\n  - name: ghcr.io/acme/web\n    newTag: |\n      1.0\n",
	} {
		f.Add([]byte(s), "true")
	}
	f.Fuzz(func(t *testing.T, data []byte, tag string) {
		img := Image{Name: "ghcr.io/acme/web", Tag: tag, Digest: testDigest}
		in := bytes.Clone(data)
		out, changed, err := SetImage("f.yaml", data, img)
		if !bytes.Equal(in, data) {
			t.Fatal("SetImage modified its input")
		}
		if err != nil {
			if out != nil || changed {
				t.Fatalf("error %v with out=%q changed=%v", err, out, changed)
			}
			if !validTag(tag) && !errors.Is(err, ErrBadTag) {
				t.Fatalf("tag %q: error %v is not ErrBadTag", tag, err)
			}
			return
		}
		if !changed {
			if !bytes.Equal(out, data) {
				t.Fatalf("unchanged but out differs:\n%q\n%q", data, out)
			}
			return
		}
		p, err := Current("f.yaml", out, img.Name)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, out)
		}
		if !p.Found || p.Tag != img.Tag || p.Digest != img.Digest {
			t.Fatalf("read back %+v\n%q", p, out)
		}
		again, changed, err := SetImage("f.yaml", out, img)
		if err != nil || changed || !bytes.Equal(again, out) {
			t.Fatalf("second run: changed=%v err=%v\n%q\n%q", changed, err, out, again)
		}
	})
}
