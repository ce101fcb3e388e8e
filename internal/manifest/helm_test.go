package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"text/template"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestHelmRendersTheNewImage: after a promotion writes a stage's values
// file, the chart renders the new image. Helm itself is not a dependency;
// its rendering is reproduced for this chart: values.yaml overlaid by the
// stage's file (maps merge, the stage's scalars win), then the template,
// which uses plain Go template syntax only. The rendered Deployment is
// read back with kyaml through an image target.
func TestHelmRendersTheNewImage(t *testing.T) {
	chart := filepath.Join("..", "..", "testdata", "helm", "web")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(chart, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	img := Image{Name: "ghcr.io/acme/web", Tag: "1.2.3", Digest: testDigest}
	rendered := Target{File: "rendered.yaml", Image: "spec.template.spec.containers[name=web].image"}
	for _, tc := range []struct {
		name   string
		target Target
	}{
		{"tag holds the digest", Target{Tag: "image.tag"}},
		{"digest apart", Target{Tag: "image.tag", Digest: "image.digest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.target.File = "values-staging.yaml"
			r, err := tc.target.Rewrite(read("values-staging.yaml"), img)
			if err != nil {
				t.Fatal(err)
			}
			values := coalesce(t, read("values.yaml"), r.Out)
			var chartMeta map[string]any
			if err := yaml.Unmarshal(read("Chart.yaml"), &chartMeta); err != nil {
				t.Fatal(err)
			}
			tmpl, err := template.New("deployment").Option("missingkey=error").Parse(string(read("templates/deployment.yaml")))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := tmpl.Execute(&out, map[string]any{"Values": values, "Chart": chartMeta}); err != nil {
				t.Fatal(err)
			}
			got, err := rendered.Current(out.Bytes(), img.Name)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.Bytes())
			}
			if got.Tag != img.Tag || got.Digest != img.Digest {
				t.Errorf("the chart renders %s:%s@%s, want %s:%s@%s\n%s", got.Name, got.Tag, got.Digest, img.Name, img.Tag, img.Digest, out.Bytes())
			}
		})
	}
}

// coalesce overlays YAML documents the way Helm merges values files.
func coalesce(t *testing.T, docs ...[]byte) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, d := range docs {
		var m map[string]any
		if err := yaml.Unmarshal(d, &m); err != nil {
			t.Fatal(err)
		}
		overlay(out, m)
	}
	return out
}

func overlay(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				overlay(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}
