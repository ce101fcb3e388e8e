package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProductCarriesNoTestSupport: the binary people deploy links none of
// the stand-ins the tests and the demo use (the GitHub stand-in, the
// in-process registries, the test kit, kin-openapi, krusty) and not the
// testing package. Checked twice: the packages the command imports, and the
// modules a built binary records.
func TestProductCarriesNoTestSupport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	banned := []string{
		"github.com/stagehand-dev/stagehand/internal/githubfake",
		"github.com/stagehand-dev/stagehand/internal/testkit",
		"github.com/stagehand-dev/stagehand/internal/demo",
		"github.com/stagehand-dev/stagehand/internal/pgtest",
		"github.com/google/go-containerregistry/pkg/registry",
		"sigs.k8s.io/kustomize/api/krusty",
		"github.com/getkin/kin-openapi",
		"github.com/distribution/distribution",
		"github.com/santhosh-tekuri/jsonschema",
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "testing" {
			t.Errorf("the product imports the testing package")
		}
		for _, b := range banned {
			if strings.HasPrefix(pkg, b) {
				t.Errorf("the product imports %s", pkg)
			}
		}
	}
	bin := filepath.Join(t.TempDir(), "stagehand")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mods, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, mods)
	}
	for _, b := range []string{"github.com/getkin/kin-openapi", "github.com/distribution/distribution", "github.com/santhosh-tekuri/jsonschema", "sigs.k8s.io/kustomize/api"} {
		if strings.Contains(string(mods), b) {
			t.Errorf("the binary records module %s", b)
		}
	}
}
