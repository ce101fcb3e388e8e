package manifest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestSetImageRendersWithKustomize pins the sample config repo's overlays
// and builds them with kustomize: the Deployment must run name:tag@digest
// and everything else the overlays set must still apply.
func TestSetImageRendersWithKustomize(t *testing.T) {
	mem := copyToMemory(t, "../../testdata/configrepo", "/repo")
	img := Image{Name: "ghcr.io/acme/web", Tag: "1.1.0", Digest: testDigest}
	for _, tc := range []struct {
		stage    string
		replicas int
	}{{"staging", 1}, {"preprod", 1}, {"prod", 3}} {
		t.Run(tc.stage, func(t *testing.T) {
			dir := "/repo/apps/web/overlays/" + tc.stage
			file := dir + "/kustomization.yaml"
			data, err := mem.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, changed, err := SetImage(file, data, img)
			if err != nil || !changed {
				t.Fatalf("SetImage: changed=%v err=%v", changed, err)
			}
			if err := mem.WriteFile(file, out); err != nil {
				t.Fatal(err)
			}

			rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, dir)
			if err != nil {
				t.Fatalf("kustomize build: %v", err)
			}
			var deploy *yaml.RNode
			for _, r := range rm.Resources() {
				if r.GetKind() == "Deployment" {
					deploy = &r.RNode
				}
				if want := "web-" + tc.stage; r.GetNamespace() != want {
					t.Errorf("%s namespace = %q, want %q", r.GetKind(), r.GetNamespace(), want)
				}
			}
			if deploy == nil {
				t.Fatal("no Deployment in the build")
			}
			image, err := deploy.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=web]", "image"))
			if err != nil || image == nil {
				t.Fatalf("container image: %v", err)
			}
			if got, want := yaml.GetValue(image), "ghcr.io/acme/web:1.1.0@"+testDigest; got != want {
				t.Errorf("image = %q, want %q", got, want)
			}
			replicas, err := deploy.Pipe(yaml.Lookup("spec", "replicas"))
			if err != nil || replicas == nil {
				t.Fatalf("replicas: %v", err)
			}
			if got := yaml.GetValue(replicas); got != strconv.Itoa(tc.replicas) {
				t.Errorf("replicas = %s, want %d", got, tc.replicas)
			}
		})
	}
}

// TestTagsYAMLWouldMisreadRenderAsWritten builds the staging overlay with
// tags a YAML 1.1 reader (kustomize's) takes for numbers or booleans unless
// they are quoted.
func TestTagsYAMLWouldMisreadRenderAsWritten(t *testing.T) {
	for _, tag := range []string{"1.10", "1e3", "010", "true", "on", "yes", "0x1F", "1_000", "null"} {
		t.Run(tag, func(t *testing.T) {
			mem := copyToMemory(t, "../../testdata/configrepo", "/repo")
			dir := "/repo/apps/web/overlays/staging"
			// A plain newTag, so no quotes are kept from before.
			data := []byte("resources:\n- ../../base\nimages:\n- name: ghcr.io/acme/web\n  newTag: 0.9.0\n")
			out, _, err := SetImage("kustomization.yaml", data, Image{Name: "ghcr.io/acme/web", Tag: tag, Digest: testDigest})
			if err != nil {
				t.Fatal(err)
			}
			if err := mem.WriteFile(dir+"/kustomization.yaml", out); err != nil {
				t.Fatal(err)
			}
			rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, dir)
			if err != nil {
				t.Fatalf("kustomize build: %v\n%s", err, out)
			}
			for _, r := range rm.Resources() {
				if r.GetKind() != "Deployment" {
					continue
				}
				image, err := r.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=web]", "image"))
				if err != nil || image == nil {
					t.Fatalf("container image: %v", err)
				}
				if got, want := yaml.GetValue(image), "ghcr.io/acme/web:"+tag+"@"+testDigest; got != want {
					t.Errorf("image = %q, want %q\n%s", got, want, out)
				}
			}
		})
	}
}

// copyToMemory copies the directory tree src on disk to dst in memory.
func copyToMemory(t *testing.T, src, dst string) filesys.FileSystem {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(path.Join(dst, filepath.ToSlash(rel)), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	return mem
}
