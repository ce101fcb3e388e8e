package manifest

import (
	"errors"
	"strings"
	"testing"
)

const stagingFile = "apps/web/overlays/staging/kustomization.yaml"

func TestSyntaxErrorNamesFileAndLine(t *testing.T) {
	data := "# web in staging\n" +
		"apiVersion: kustomize.config.k8s.io/v1beta1\n" +
		"kind: Kustomization\n" +
		"images:\n" +
		"  - name: ghcr.io/acme/web\n" +
		"    newTag: \"1.0.0\"\n" +
		"  this line is not YAML\n" // line 7
	for name, call := range map[string]func() ([]byte, error){
		"SetImage": func() ([]byte, error) {
			out, _, err := SetImage(stagingFile, []byte(data), Image{Name: "ghcr.io/acme/web", Tag: "1.1.0", Digest: testDigest})
			return out, err
		},
		"Current": func() ([]byte, error) {
			_, err := Current(stagingFile, []byte(data), "ghcr.io/acme/web")
			return nil, err
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := call()
			var syn *SyntaxError
			if !errors.As(err, &syn) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if syn.File != stagingFile || syn.Line != 7 {
				t.Errorf("SyntaxError = %+v, want file %s line 7", syn, stagingFile)
			}
			if want := stagingFile + ":7: could not find expected ':'"; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			if out != nil {
				t.Errorf("out = %q, want nil", out)
			}
		})
	}
}

func TestSetImageErrors(t *testing.T) {
	const good = "kind: Kustomization\nimages:\n- name: ghcr.io/acme/web\n  newTag: 1.0.0\n"
	web := func(tag, digest string) Image { return Image{Name: "ghcr.io/acme/web", Tag: tag, Digest: digest} }
	for _, tc := range []struct {
		name     string
		data     string
		img      Image
		want     error
		contains string // in the message
	}{
		{"digest in capitals", good, web("1.1.0", strings.ToUpper(testDigest)), ErrBadDigest, "SHA256"},
		{"upper-case hex", good, web("1.1.0", "sha256:"+strings.ToUpper(testDigest[7:])), ErrBadDigest, "sha256:7974"},
		{"short digest", good, web("1.1.0", testDigest[:70]), ErrBadDigest, testDigest[:70]},
		{"sha512 digest", good, web("1.1.0", "sha512:"+testDigest[7:]+testDigest[7:]), ErrBadDigest, "sha512"},
		{"digest without algorithm", good, web("1.1.0", testDigest[7:]), ErrBadDigest, testDigest[7:]},
		{"no digest", good, web("1.1.0", ""), ErrBadDigest, `""`},
		{"no tag", good, web("", testDigest), ErrBadTag, `""`},
		{"tag with a space", good, web("1.1 .0", testDigest), ErrBadTag, "1.1 .0"},
		{"tag starting with a dot", good, web(".1", testDigest), ErrBadTag, ".1"},
		{"no name", good, Image{Tag: "1.1.0", Digest: testDigest}, ErrBadName, ""},
		{"name with a tag", good, Image{Name: "ghcr.io/acme/web:1", Tag: "1.1.0", Digest: testDigest}, ErrBadName, "web:1"},
		{"several documents", good + "---\nkind: Kustomization\n", web("1.1.0", testDigest), ErrNotKustomization, "k.yaml"},
		{"a list", "- name: ghcr.io/acme/web\n", web("1.1.0", testDigest), ErrNotKustomization, "k.yaml"},
		{"a Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n", web("1.1.0", testDigest), ErrNotKustomization, `"Deployment"`},
		{"images is a string", "images: ghcr.io/acme/web\n", web("1.1.0", testDigest), ErrNotKustomization, "images"},
		{"duplicate key", good + "images: []\n", web("1.1.0", testDigest), ErrNotKustomization, `"images"`},
		{"duplicate key in entry", good + "  newTag: 1.0.1\n", web("1.1.0", testDigest), ErrNotKustomization, `"newTag"`},
		{"only a comment", "# nothing here\n", web("1.1.0", testDigest), ErrNotKustomization, "k.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := SetImage("k.yaml", []byte(tc.data), tc.img)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
			if out != nil || changed {
				t.Errorf("out=%q changed=%v, want nothing on error", out, changed)
			}
		})
	}
}
