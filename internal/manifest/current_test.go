package manifest

import (
	"errors"
	"testing"
)

func TestCurrent(t *testing.T) {
	for _, tc := range []struct {
		name, data, image string
		want              Pinned
	}{
		{
			name:  "tag and digest",
			data:  "kind: Kustomization\nimages:\n  - name: ghcr.io/acme/web\n    newTag: \"1.0.0\"\n    digest: " + otherDigest + "\n",
			image: "ghcr.io/acme/web",
			want:  Pinned{Found: true, Name: "ghcr.io/acme/web", Tag: "1.0.0", Digest: otherDigest},
		},
		{
			name:  "short name matches the full one",
			data:  "images:\n- name: nginx\n  newTag: 1.27.0\n",
			image: "docker.io/library/nginx",
			want:  Pinned{Found: true, Name: "nginx", Tag: "1.27.0"},
		},
		{
			name:  "full name matches the short one",
			data:  "images:\n- name: index.docker.io/library/nginx\n  newTag: 1.27.0\n",
			image: "nginx",
			want:  Pinned{Found: true, Name: "index.docker.io/library/nginx", Tag: "1.27.0"},
		},
		{
			name:  "newName is reported, not matched",
			data:  "images:\n- name: web\n  newName: ghcr.io/acme/web\n  newTag: \"2\"\n- name: ghcr.io/acme/web\n  digest: " + testDigest + "\n",
			image: "ghcr.io/acme/web",
			want:  Pinned{Found: true, Name: "ghcr.io/acme/web", Digest: testDigest},
		},
		{
			name:  "newName read back",
			data:  "images:\n- name: web\n  newName: ghcr.io/acme/web\n  newTag: \"2\"\n",
			image: "web",
			want:  Pinned{Found: true, Name: "web", NewName: "ghcr.io/acme/web", Tag: "2"},
		},
		{
			name:  "first of several matches",
			data:  "images:\n- name: ghcr.io/acme/web\n  newTag: a\n- name: ghcr.io/acme/web\n  newTag: b\n",
			image: "ghcr.io/acme/web",
			want:  Pinned{Found: true, Name: "ghcr.io/acme/web", Tag: "a"},
		},
		{
			name:  "unquoted number read as written",
			data:  "images:\n- name: ghcr.io/acme/web\n  newTag: 1.10\n",
			image: "ghcr.io/acme/web",
			want:  Pinned{Found: true, Name: "ghcr.io/acme/web", Tag: "1.10"},
		},
		{
			name:  "other image only",
			data:  "images:\n- name: ghcr.io/acme/api\n  newTag: 1.0.0\n",
			image: "ghcr.io/acme/web",
		},
		{
			name:  "no images",
			data:  "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\n",
			image: "ghcr.io/acme/web",
		},
		{
			name:  "images without a value",
			data:  "images:\n",
			image: "ghcr.io/acme/web",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Current("kustomization.yaml", []byte(tc.data), tc.image)
			if err != nil {
				t.Fatalf("Current: %v", err)
			}
			if got != tc.want {
				t.Errorf("Current = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCurrentErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       error
	}{
		{"broken YAML", "images:\n  - name: x\n  bad\n", nil},
		{"several documents", "kind: Kustomization\n---\nkind: Kustomization\n", ErrNotKustomization},
		{"a list", "- name: x\n", ErrNotKustomization},
		{"a Deployment", "apiVersion: apps/v1\nkind: Deployment\n", ErrNotKustomization},
		{"images is a mapping", "images:\n  name: x\n", ErrNotKustomization},
		{"entry is a string", "images:\n- ghcr.io/acme/web:1.0.0\n", ErrNotKustomization},
		{"newTag is a list", "images:\n- name: x\n  newTag: [1]\n", ErrNotKustomization},
		{"empty file", "", ErrNotKustomization},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Current("k.yaml", []byte(tc.data), "x")
			var syn *SyntaxError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tc.want == nil && !errors.As(err, &syn):
				t.Errorf("error %v is not a *SyntaxError", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("error %v is not %v", err, tc.want)
			}
		})
	}
}
