package manifest

import (
	"os"
	"testing"
)

func BenchmarkSetImage(b *testing.B) {
	data, err := os.ReadFile("../../testdata/configrepo/apps/web/overlays/staging/kustomization.yaml")
	if err != nil {
		b.Fatal(err)
	}
	img := Image{Name: "ghcr.io/acme/web", Tag: "1.1.0", Digest: testDigest}
	b.ReportAllocs()
	for b.Loop() {
		if _, changed, err := SetImage("kustomization.yaml", data, img); err != nil || !changed {
			b.Fatalf("changed=%v err=%v", changed, err)
		}
	}
}
