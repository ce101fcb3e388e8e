package manifest

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"image.tag", "spec.template.spec.containers[name=web].image", "a[0][1].b", "[0]", "a.[0]", "a[k=v]]", "é.ü[ñ=ß]", "a[00]", "a[9999999999999999999999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		if p.String() != s || len(p.steps) == 0 {
			t.Fatalf("ParsePath(%q) = %q with %d steps", s, p, len(p.steps))
		}
		var b strings.Builder
		for i, st := range p.steps {
			if i > 0 && st.key != "" {
				b.WriteByte('.')
			}
			b.WriteString(st.String())
		}
		if b.String() != s {
			t.Fatalf("steps of %q read back as %q", s, b.String())
		}
	})
}

// FuzzTargetRewrite: whatever the file and path, a rewrite either refuses
// and writes nothing, or changes only lines that hold the new pin, reads
// back as that pin and is a fixed point.
func FuzzTargetRewrite(f *testing.F) {
	for _, c := range loadTargets(f) {
		f.Add(c.before, c.target.Tag, c.target.Digest, c.target.Image)
	}
	f.Add([]byte("a: &x 1\nb: *x\n"), "a", "", "")
	f.Add([]byte("a: {b: [1, 'x', \"y\"]}\n"), "a.b[1]", "a.b[2]", "")
	f.Add([]byte("\ufeffimage:\r\n  tag: x\r\n"), "image.tag", "", "")
	f.Fuzz(func(t *testing.T, data []byte, tag, digest, image string) {
		tg := Target{File: "f.yaml", Tag: tag, Digest: digest, Image: image}
		if tg.IsKustomization() || (tg.Image != "" && (tg.Tag != "" || tg.Digest != "")) {
			return
		}
		img := Image{Name: "ghcr.io/acme/web", Tag: "1.2.3", Digest: testDigest}
		in := bytes.Clone(data)
		r, err := tg.Rewrite(data, img)
		if !bytes.Equal(in, data) {
			t.Fatal("Rewrite modified its input")
		}
		if err != nil {
			if r.Out != nil || r.Changed {
				t.Fatalf("error %v with output", err)
			}
			return
		}
		if !r.Changed {
			if !bytes.Equal(r.Out, data) {
				t.Fatal("unchanged but the output differs")
			}
			return
		}
		b, a := strings.Split(string(data), "\n"), strings.Split(string(r.Out), "\n")
		if len(a) != len(b) {
			t.Fatalf("%d lines became %d:\n%q\n%q", len(b), len(a), data, r.Out)
		}
		for i := range a {
			if a[i] != b[i] && !strings.Contains(a[i], img.Digest) && !strings.Contains(a[i], img.Tag) {
				t.Fatalf("line %d changed without the pin: %q → %q", i+1, b[i], a[i])
			}
		}
		p, err := tg.Current(r.Out, img.Name)
		if err != nil || !p.Found || p.Tag != img.Tag || p.Digest != img.Digest {
			t.Fatalf("read back %+v, %v\n%q", p, err, r.Out)
		}
		again, err := tg.Rewrite(r.Out, img)
		if err != nil || again.Changed {
			t.Fatalf("second run: changed=%v err=%v", again.Changed, err)
		}
	})
}
