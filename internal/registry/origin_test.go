package registry_test

import (
	"context"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

const (
	src = "https://github.com/acme/web"
	rev = "0123456789abcdef0123456789abcdef01234567"
)

func labelled(t *testing.T, labels map[string]string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Labels = labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestOrigin reads source and revision wherever builders put them: the
// manifest's annotations, the config's labels, an index's annotations or
// its first image's; and nothing from an image that does not say, or says
// something not worth showing.
func TestOrigin(t *testing.T) {
	f := newFixture(t, nil)
	r := f.resolver(t, nil)
	both := map[string]string{registry.AnnotationSource: src, registry.AnnotationRevision: rev}

	annotated := mutate.Annotations(labelled(t, nil), both).(v1.Image)
	byLabel := labelled(t, both)
	split := mutate.Annotations(labelled(t, map[string]string{registry.AnnotationRevision: rev}), map[string]string{registry.AnnotationSource: src}).(v1.Image)
	plain, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	odd := labelled(t, map[string]string{registry.AnnotationSource: "javascript:alert(1)", registry.AnnotationRevision: "abc`) [x](y"})
	longest := strings.Repeat("r", 100)
	long := labelled(t, map[string]string{registry.AnnotationRevision: longest})
	tooLong := labelled(t, map[string]string{registry.AnnotationRevision: longest + "r"})
	index := mutate.Annotations(mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: plain}), both).(v1.ImageIndex)
	indexOfLabelled := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: byLabel})

	tests := []struct {
		name string
		push func(repo string) (v1.Hash, error)
		want registry.Origin
	}{
		{"manifest annotations", pushImg(f, t, annotated), registry.Origin{Source: src, Revision: rev}},
		{"config labels", pushImg(f, t, byLabel), registry.Origin{Source: src, Revision: rev}},
		{"one of each", pushImg(f, t, split), registry.Origin{Source: src, Revision: rev}},
		{"index annotations", pushIdx(f, t, index), registry.Origin{Source: src, Revision: rev}},
		{"an index's first image's labels", pushIdx(f, t, indexOfLabelled), registry.Origin{Source: src, Revision: rev}},
		{"nothing said", pushImg(f, t, plain), registry.Origin{}},
		{"nothing worth showing", pushImg(f, t, odd), registry.Origin{}},
		{"a revision of 100 characters", pushImg(f, t, long), registry.Origin{Revision: longest}},
		{"a revision longer than 100", pushImg(f, t, tooLong), registry.Origin{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.push("acme/web")
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Origin(context.Background(), f.host+"/acme/web", d.String())
			if err != nil || got != tc.want {
				t.Fatalf("Origin = %+v, %v; want %+v", got, err, tc.want)
			}
			before := len(f.requests())
			if again, err := r.Origin(context.Background(), f.host+"/acme/web", d.String()); err != nil || again != tc.want || len(f.requests()) != before {
				t.Fatalf("asked again: %+v, %v, %d requests more; want the cached answer", again, err, len(f.requests())-before)
			}
		})
	}
	if _, err := r.Origin(context.Background(), f.host+"/acme/web", "sha256:nope"); err == nil {
		t.Error("a bad digest is no error")
	}
}

func pushImg(f *fixture, t *testing.T, img v1.Image) func(string) (v1.Hash, error) {
	return func(repo string) (v1.Hash, error) {
		if err := remote.Write(f.pushRef(t, repo, "x"), img); err != nil {
			return v1.Hash{}, err
		}
		return img.Digest()
	}
}

func pushIdx(f *fixture, t *testing.T, idx v1.ImageIndex) func(string) (v1.Hash, error) {
	return func(repo string) (v1.Hash, error) {
		if err := remote.WriteIndex(f.pushRef(t, repo, "x"), idx); err != nil {
			return v1.Hash{}, err
		}
		return idx.Digest()
	}
}

func TestGitHubRepo(t *testing.T) {
	for _, tc := range []struct {
		in          string
		owner, repo string
	}{
		{"https://github.com/acme/web", "acme", "web"},
		{"https://github.com/acme/web.git", "acme", "web"},
		{"https://github.com/acme/web/", "acme", "web"},
		{"http://GitHub.com/Acme/web-app.v2", "Acme", "web-app.v2"},
		{"https://github.com/acme", "", ""},
		{"https://github.com/acme/web/tree/main", "", ""},
		{"https://gitlab.com/acme/web", "", ""},
		{"https://github.com.evil.example/acme/web", "", ""},
		{"https://github.com:8443/acme/web", "", ""},
		{"git@github.com:acme/web.git", "", ""},
		{"https://github.com/acme/..", "", ""},
		{"https://github.com/" + strings.Repeat("a", 100) + "/" + strings.Repeat("w", 100), strings.Repeat("a", 100), strings.Repeat("w", 100)},
		{"https://github.com/" + strings.Repeat("a", 101) + "/web", "", ""},
		{"https://github.com/acme/" + strings.Repeat("w", 101), "", ""},
	} {
		owner, repo, ok := registry.GitHubRepo(tc.in)
		if owner != tc.owner || repo != tc.repo || ok != (tc.owner != "") {
			t.Errorf("GitHubRepo(%q) = %q, %q, %v", tc.in, owner, repo, ok)
		}
	}
}
