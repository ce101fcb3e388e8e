package scaffold

import (
	"errors"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// FuzzPropose: whatever the kustomizations and folder names, Propose does
// not panic, and what it proposes is a configuration stagehand accepts.
func FuzzPropose(f *testing.F) {
	f.Add("staging", "prod", []byte("images:\n  - name: ghcr.io/acme/web\n    newTag: \"1.0.0\"\n"), []byte("images:\n  - name: ghcr.io/acme/web\n    newTag: main-1a2b3c4\n"))
	f.Add("Dev Env", "overlays", []byte("resources: [../../base]\n"), []byte("images: [{name: 'nginx:1.2', newTag: 1.10}]\n"))
	f.Add("qa", "x", []byte("images:\n  - name: \"a b\"\n"), []byte("kind: Deployment\nspec: {containers: [{image: ':'}]}\n"))
	f.Fuzz(func(t *testing.T, dirA, dirB string, a, b []byte) {
		if !validDirName(dirA) || !validDirName(dirB) {
			return
		}
		repo := fstest.MapFS{
			path.Join("apps/web/overlays", dirA, "kustomization.yaml"): {Data: a},
			path.Join("apps/web/overlays", dirB, "kustomization.yaml"): {Data: b},
			"apps/web/base/kustomization.yaml":                         {Data: []byte("resources: [deployment.yaml]\n")},
			"apps/web/base/deployment.yaml":                            {Data: b},
		}
		p, err := Propose(repo)
		if err != nil {
			var nothing *NothingFoundError
			if !errors.As(err, &nothing) {
				t.Fatalf("Propose: %v", err)
			}
			return
		}
		if _, err := config.Parse(config.FileName, p.YAML()); err != nil {
			t.Fatalf("the proposal does not parse:\n%v\n%s", err, p.YAML())
		}
	})
}

// validDirName keeps the fuzzer to folder names an fs.FS can hold.
func validDirName(name string) bool {
	return name != "" && utf8.ValidString(name) && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}
