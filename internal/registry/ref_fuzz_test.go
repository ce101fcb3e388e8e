package registry

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// FuzzParseTag checks that input validation never panics, fails only with
// ErrInvalidReference, and that what it accepts names exactly image:tag.
func FuzzParseTag(f *testing.F) {
	seeds := [][2]string{
		{"ghcr.io/acme/web", "1.2.0"},
		{"nginx", "latest"},
		{"localhost:5000/app", "v1"},
		{"127.0.0.1:5000/acme/web", "main-3f2a1c9"},
		{"[::1]:5000/app", "1"},
		{"ghcr.io/acme/web:1.0", "1.0"},
		{"https://ghcr.io/acme/web", "1"},
		{"ghcr.io/acme/web", "-x"},
		{"", ""},
		{"GHCR.io/acme/web", "A_b.c-d"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	o := defaultOptions()
	f.Fuzz(func(t *testing.T, image, tag string) {
		tg, ref, err := o.parseTag(image, tag)
		if err != nil {
			if !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("parseTag(%q, %q): %v is not ErrInvalidReference", image, tag, err)
			}
			return
		}
		if ref.TagStr() != tag || tg.ref != image+":"+tag || tg.mirror != "" {
			t.Fatalf("parseTag(%q, %q) = %+v, %q", image, tag, tg, ref)
		}
		back, err := name.NewTag(ref.String())
		if err != nil || back.String() != ref.String() {
			t.Fatalf("%q does not parse back: %v, %v", ref, back, err)
		}
		if got, want := Normalize(image), strings.Replace(ref.Context().Name(), name.DefaultRegistry, "docker.io", 1); got != want {
			t.Fatalf("Normalize(%q) = %q, resolver asks %q", image, got, want)
		}
	})
}
