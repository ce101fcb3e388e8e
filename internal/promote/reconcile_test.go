package promote_test

import (
	"context"
	"strings"
	"testing"
	"time"

	ggcrname "github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// pushBuilt pushes a new image as ghcr.io/acme/web:tag, built at created,
// with no notification: what reconcile is for.
func pushBuilt(t *testing.T, wd *demo.World, tag string, created time.Time) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.CreatedAt(img, v1.Time{Time: created}); err != nil {
		t.Fatal(err)
	}
	ref, err := ggcrname.ParseReference(strings.TrimPrefix(wd.Registry.URL, "http://")+"/acme/web:"+tag, ggcrname.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// Reconcile heals pushes of a pattern app whose notifications never came:
// it proposes the image built last (not the tag last in any order), does
// nothing when that runs already, and never moves the stage back to an
// image built earlier, even one pushed later.
func TestReconcileProposesAPatternAppsLatestBuild(t *testing.T) {
	ctx := context.Background()
	wd := world(t)
	cfg, err := wd.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pattern := strings.Replace(string(cfg), `semver: ">=1.0.0"`, `pattern: '^main-[0-9a-f]{7}$'`, 1)
	if _, err := wd.GitHub.Commit("main", "web: builds of main", map[string][]byte{".stagehand.yaml": []byte(pattern)}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	pushBuilt(t, wd, "main-ccccccc", t0)
	latest := pushBuilt(t, wd, "main-aaaaaaa", t0.Add(2*time.Hour))
	pushBuilt(t, wd, "main-bbbbbbb", t0.Add(time.Hour))
	pushBuilt(t, wd, "1.0.0", t0.Add(3*time.Hour)) // not the app's pattern

	staging := func() manifest.Pinned {
		t.Helper()
		data, err := wd.GitHub.FileAt("main", "apps/web/overlays/staging/kustomization.yaml")
		if err != nil {
			t.Fatal(err)
		}
		p, err := manifest.Current("kustomization.yaml", data, demo.Image)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	if _, err := wd.Engine.Reconcile(ctx, wd.Resolver); err != nil {
		t.Fatal(err)
	}
	if got := staging(); got.Tag != "main-aaaaaaa" || got.Digest != latest {
		t.Fatalf("after reconcile staging pins %s@%s, want main-aaaaaaa@%s (built last)", got.Tag, got.Digest, latest)
	}

	before := snap(t, wd)
	if _, err := wd.Engine.Reconcile(ctx, wd.Resolver); err != nil {
		t.Fatal(err)
	}
	if after := snap(t, wd); after != before {
		t.Errorf("a second reconcile with nothing new changed GitHub: %+v → %+v", before, after)
	}

	pushBuilt(t, wd, "main-0000000", t0.Add(-time.Hour)) // pushed last, built first
	if _, err := wd.Engine.Reconcile(ctx, wd.Resolver); err != nil {
		t.Fatal(err)
	}
	if got := staging(); got.Tag != "main-aaaaaaa" {
		t.Errorf("reconcile moved staging back to %s, an image built earlier", got.Tag)
	}
}

// A config that starts using an image announces it, so that pushes of it
// ignored at the door meanwhile are looked for; the first config read and a
// config that adds nothing announce nothing.
func TestANewConfigAnnouncesTheImagesItStartsUsing(t *testing.T) {
	ctx := context.Background()
	var announced [][]string
	wd, err := demo.Start(ctx, demo.Options{Seed: seed, Engine: func(o *promote.Options) {
		o.NewImages = func(images []string) { announced = append(announced, images) }
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer wd.Close()
	if uses, known := wd.Engine.Concerns("ghcr.io/acme/api"); uses || !known {
		t.Fatalf("Concerns(api) = %v, %v before api is configured; want false, true", uses, known)
	}
	if uses, _ := wd.Engine.Concerns(demo.Image); !uses {
		t.Fatal("Concerns(web) = false")
	}
	cfg, err := wd.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	api := string(cfg) + strings.NewReplacer("name: web", "name: api", "acme/web", "acme/api", "apps/web", "apps/api").Replace(string(cfg)[strings.Index(string(cfg), "  - name: web"):])
	if _, err := wd.GitHub.Commit("main", "api too", map[string][]byte{".stagehand.yaml": []byte(api)}); err != nil {
		t.Fatal(err)
	}
	if _, err := wd.Engine.Config(ctx); err != nil {
		t.Fatal(err)
	}
	if len(announced) != 1 || len(announced[0]) != 1 || announced[0][0] != "ghcr.io/acme/api" {
		t.Fatalf("announced %v; want once, ghcr.io/acme/api", announced)
	}
	if uses, _ := wd.Engine.Concerns("ghcr.io/acme/api"); !uses {
		t.Error("Concerns(api) = false after the config names it")
	}
	if _, err := wd.GitHub.Commit("main", "unrelated", map[string][]byte{"README.md": []byte("hello\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := wd.Engine.Config(ctx); err != nil {
		t.Fatal(err)
	}
	if len(announced) != 1 {
		t.Errorf("a config that adds nothing announced %v", announced[1:])
	}
}
