package webhook

import (
	"context"
	"testing"
)

func BenchmarkParseRegistry(b *testing.B) {
	cases := []struct{ vendor, file string }{
		{"dockerhub", "registry/dockerhub/push.docs.json"},
		{"distribution", "registry/distribution/MODIFIED.envelope.push.docs.tagged.json"},
		{"harbor", "registry/harbor/MODIFIED.push_artifact.default.docs-main.tagged.json"},
		{"generic", "registry/generic/SYNTHETIC.push.json"},
		{"gar", "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-insert-full-digest.json"}, // includes RS256 verification
	}
	cfg := testConfig()
	for _, c := range cases {
		body := readTestdata(b, c.file)
		h, token := credentials(b, c.vendor, body)
		b.Run(c.vendor, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				res, err := ParseRegistry(context.Background(), cfg, c.vendor, h, token, body)
				if err != nil || len(res.Pushes) == 0 {
					b.Fatal(res, err)
				}
			}
		})
	}
}

func BenchmarkParseGitHub(b *testing.B) {
	body := readTestdata(b, "github/pull_request/closed.merged.reallyfastci.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseGitHub("pull_request", body); err != nil {
			b.Fatal(err)
		}
	}
}
