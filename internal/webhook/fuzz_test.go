package webhook

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// registrySeeds are each vendor's examples; the fuzzer mutates the bodies
// while the credentials stay valid, so that the parsers are what is fuzzed.
var registrySeeds = map[string][]string{
	"dockerhub":    {"registry/dockerhub/push.docs.json"},
	"quay":         {"registry/quay/repo_push.docs.json"},
	"distribution": {"registry/distribution/envelope.push.docs.json", "registry/distribution/MODIFIED.envelope.push.docs.tagged.json", "registry/distribution/envelope.pull.docs.json"},
	"harbor":       {"registry/harbor/MODIFIED.push_artifact.default.docs-main.tagged.json", "registry/harbor/MODIFIED.push_artifact.cloudevents.docs-main.tagged.json", "registry/harbor/push_artifact.default.docs-main.json", "registry/harbor/pushImage.v1.keel-test.json", "registry/harbor/SYNTHETIC.deleteImage.v1.json"},
	"gar":          {"registry/google-artifact-registry/DERIVED.pubsub-push-envelope.ar-insert-with-tag.json", "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-insert-full-digest.json", "registry/google-artifact-registry/ar-message.insert-with-tag.docs.json"},
	"ecr":          {"registry/aws-ecr/image_action.push.docs.json", "registry/aws-ecr/MODIFIED.image_action.push.docs.full-digest.json"},
	"acr":          {"registry/azure-acr/push.docs-2017.json", "registry/azure-acr/push.docs-current-redacted.json", "registry/azure-acr/SYNTHETIC.chart_push.json"},
	"artifactory":  {"registry/jfrog-artifactory/MODIFIED.DERIVED.docker.pushed.envelope.origin.json", "registry/jfrog-artifactory/artifact.deployed.envelope.docs.json"},
	"nexus":        {"registry/sonatype-nexus/SYNTHETIC.repository.component.created.docker.json", "registry/sonatype-nexus/repository.asset.created.docs.json"},
	"generic":      {"registry/generic/SYNTHETIC.push.json"},
}

func FuzzParseRegistry(f *testing.F) {
	vendorNames := Vendors()
	for i, v := range vendorNames {
		for _, file := range registrySeeds[v] {
			f.Add(uint8(i), readTestdata(f, file))
		}
	}
	f.Add(uint8(0), []byte(`{"action":"push","target":{"tag":"1","repository":"a"},"request":{"host":"h.io"}}`))
	cfg := testConfig()
	// One JWT for the whole run: signing is slow and the body is what varies.
	garAuth := "Bearer " + mintJWT(f, googleKey(), jose.RS256, testKid, validClaims())

	f.Fuzz(func(t *testing.T, vi uint8, body []byte) {
		v := vendorNames[int(vi)%len(vendorNames)]
		var h http.Header
		var token string
		if v == "gar" {
			h = http.Header{"Content-Type": {"application/json"}, "Authorization": {garAuth}}
		} else {
			h, token = credentials(t, v, body)
		}
		res, err := ParseRegistry(context.Background(), cfg, v, h, token, body)
		checkRegistryResult(t, v, res, err)
	})
}

// checkRegistryResult asserts what every caller relies on.
func checkRegistryResult(t *testing.T, vendor string, res Result, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("authenticated delivery failed with %v, want ErrMalformed", err)
		}
		if res.Pushes != nil || res.Ignored != "" {
			t.Fatalf("result %+v with error %v", res, err)
		}
		return
	}
	if (len(res.Pushes) == 0) == (res.Ignored == "") {
		t.Fatalf("want pushes or a reason, got %+v", res)
	}
	for _, p := range res.Pushes {
		checkPush(t, vendor, p)
	}
}

func checkPush(t *testing.T, vendor string, p Push) {
	t.Helper()
	if img, ok := canonicalImage(p.Image); !ok || img != p.Image {
		t.Fatalf("push image %q is not canonical (%q, %v)", p.Image, img, ok)
	}
	if !validTag(p.Tag) {
		t.Fatalf("push tag %q is invalid", p.Tag)
	}
	if p.Digest != "" && !validDigest(p.Digest) {
		t.Fatalf("push digest %q is invalid", p.Digest)
	}
	if p.Vendor != vendor {
		t.Fatalf("push vendor %q, want %q", p.Vendor, vendor)
	}
	if !p.PushedAt.IsZero() && p.PushedAt.Location() != time.UTC {
		t.Fatalf("push time %v is not in UTC", p.PushedAt)
	}
}

func FuzzParseGitHub(f *testing.F) {
	seeds := map[string][]string{
		"pull_request":        {"github/pull_request/closed.merged.reallyfastci.json", "github/pull_request/closed.payload.json"},
		"check_suite":         {"github/check_suite/completed.payload.json"},
		"check_run":           {"github/check_run/completed.payload.json"},
		"status":              {"github/status/with-installation.payload.json"},
		"pull_request_review": {"github/pull_request_review/submitted.payload.json"},
		"issue_comment":       {"github/issue_comment/created.on-pull-request.atlantis-fixture.json"},
		"package":             {"github/package/MODIFIED.published.docker.tagged.json"},
		"registry_package":    {"github/registry_package/published.docker.payload.json", "github/registry_package/MODIFIED.published.docker.tagged.json"},
		"ping":                {"github/ping/payload.json"},
	}
	for event, files := range seeds {
		for _, file := range files {
			f.Add(event, readTestdata(f, file))
		}
	}
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		ev, err := ParseGitHub(event, body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			return
		}
		set := 0
		for _, b := range []bool{ev.Push != nil, ev.PRClosed != nil, ev.Checks != nil, ev.Comment != nil, ev.Ignored != ""} {
			if b {
				set++
			}
		}
		if set != 1 {
			t.Fatalf("want exactly one outcome, got %s", show(ev))
		}
		if ev.Push != nil {
			checkPush(t, "ghcr", *ev.Push)
		}
		if ev.Checks != nil && ev.Checks.SHA == "" {
			t.Fatal("checks without a SHA")
		}
	})
}
