package webhook

import (
	"context"
	"errors"
	"net/http"
	"strings"
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

// registryShapes are seeds for shapes the vendor examples do not show:
// batches that mix usable and unusable entries, times in every spelling.
var registryShapes = map[string][]string{
	"distribution": {
		`{"events":[{"action":"push","timestamp":"2026-03-01T12:00:01.5+01:00","target":{"mediaType":"application/vnd.oci.image.index.v1+json","repository":"acme/web","tag":"1.0","digest":"` + h6ec1 + `"},"request":{"host":"r.example.com:5000"}},` +
			`{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"acme/web","tag":"1.1","digest":"sha256:xxxx"},"request":{"host":"r.example.com"}},` +
			`{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"acme/web","tag":"1.2"},"request":{}},` +
			`{"action":"delete","target":{"repository":"acme/web"}}]}`,
	},
	"acr":       {`{"action":"push","timestamp":1700000000,"target":{"repository":"a","tag":"v1"},"request":{"host":"r.azurecr.io"}}`},
	"dockerhub": {`{"push_data":{"tag":"1","pushed_at":1.5e9},"repository":{"repo_name":"nginx"}}`},
	"harbor":    {`{"type":"pushImage","occur_at":"2020-02-25T14:24:48Z","event_data":{"resources":[{"tag":"1","digest":"` + h954b + `","resource_url":"h.example.com/a/b:1"},{"tag":"2","resource_url":"nohost"}],"repository":{"repo_full_name":"a/b"}}}`},
	"ecr":       {`{"source":"aws.ecr","detail-type":"ECR Image Action","account":"123456789012","region":"cn-north-1","time":"2019-11-16T01:54:34Z","detail":{"action-type":"PUSH","result":"SUCCESS","image-tag":"1","repository-name":"team/web"}}`},
	"nexus":     {`{"timestamp":"2016-11-10T23:57:49.664+0000","action":"UPDATED","component":{"format":"docker","name":"web","version":"latest"}}`},
	"generic": {
		`{"image":"ghcr.io/acme/web","tag":"1","pushed_at":"2026-03-01T12:00:00Z"}`,
		`{"image":"ghcr.io/acme/web","tag":"1","digest":"sha256:xxxx","pushed_at":"never"}`,
	},
	"quay": {`{"docker_url":"quay.io/acme/web","updated_tags":{"latest":"abc","bad tag":"def"}}`},
}

func FuzzParseRegistry(f *testing.F) {
	vendorNames := Vendors()
	for i, v := range vendorNames {
		for _, file := range registrySeeds[v] {
			f.Add(uint8(i), readTestdata(f, file), "application/json")
		}
		for _, body := range registryShapes[v] {
			f.Add(uint8(i), []byte(body), "text/plain")
		}
	}
	f.Add(uint8(0), []byte(`{"action":"push","target":{"tag":"1","repository":"a"},"request":{"host":"h.io"}}`), "")
	f.Add(uint8(2), []byte("payload=%7B%7D"), "application/x-www-form-urlencoded")
	cfg := testConfig()
	// One JWT for the whole run: signing is slow and the body is what varies.
	garAuth := "Bearer " + mintJWT(f, googleKey(), jose.RS256, testKid, validClaims())

	f.Fuzz(func(t *testing.T, vi uint8, body []byte, contentType string) {
		v := vendorNames[int(vi)%len(vendorNames)]
		var h http.Header
		var token string
		if v == "gar" {
			h = http.Header{"Authorization": {garAuth}}
		} else {
			h, token = credentials(t, v, body)
		}
		h.Set("Content-Type", contentType) // never decides the outcome
		res, err := ParseRegistry(context.Background(), cfg, v, h, token, body)
		checkRegistryResult(t, v, res, err)
	})
}

// maxReason bounds what a hostile body can put in a log line or an answer:
// four reasons, each with at most two quoted values of at most 80 bytes
// (up to four characters each once escaped), plus the field names.
const maxReason = 4096

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
		if len(err.Error()) > maxReason {
			t.Fatalf("error of %d bytes: %.200q…", len(err.Error()), err)
		}
		return
	}
	if (len(res.Pushes) == 0) == (res.Ignored == "") {
		t.Fatalf("want pushes or a reason, got %+v", res)
	}
	if len(res.Ignored) > maxReason {
		t.Fatalf("reason of %d bytes: %.200q…", len(res.Ignored), res.Ignored)
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
		"package":             {"github/package/MODIFIED.published.docker.tagged.json", "github/package/published.docker.payload.json"},
		"registry_package":    {"github/registry_package/published.docker.payload.json", "github/registry_package/MODIFIED.published.docker.tagged.json"},
		"ping":                {"github/ping/payload.json"},
	}
	for event, files := range seeds {
		for _, file := range files {
			f.Add(event, readTestdata(f, file))
		}
	}
	f.Add("registry_package", []byte(`{"action":"published","repository":{"full_name":"acme/web"},"registry_package":{"package_type":"maven","ecosystem":"docker","name":"x"}}`))
	f.Add("package", []byte(`{"action":"published","package":{"package_type":"CONTAINER","name":"web","owner":{"login":"Acme"},"package_version":{"version":"`+h3da1+`","updated_at":"2026-03-01T12:00:00Z","container_metadata":{"tag":{"name":"bad tag"}}}}}`))
	f.Add("pull_request", []byte("payload=%7B%7D"))
	f.Add("issues", []byte(`{"action":"edited","changes":{"body":{"from":"- [ ] a"}},"issue":{"number":7,"body":"- [x] a"},"sender":{"login":"alice","type":"User"}}`))
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		ev, err := ParseGitHub(event, body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			return
		}
		set := 0
		for _, b := range []bool{ev.Push != nil, ev.PRClosed != nil, ev.Checks != nil, ev.Comment != nil, ev.IssueEdit != nil, ev.Ignored != ""} {
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
		if len(ev.Ignored) > maxReason {
			t.Fatalf("reason of %d bytes", len(ev.Ignored))
		}
	})
}

// FuzzGoogleOIDC: whatever the Authorization header, the gar route's token
// check accepts it (a token our key signed, possibly re-spelled) or refuses
// it as ErrUnauthorized with a bounded message, and never panics.
func FuzzGoogleOIDC(f *testing.F) {
	valid := mintJWT(f, googleKey(), jose.RS256, testKid, validClaims())
	f.Add("Bearer " + valid)
	f.Add("Bearer " + mintJWT(f, otherKey(), jose.RS256, "other", validClaims()))
	f.Add("Bearer " + strings.Join(strings.Split(valid, ".")[:2], ".") + ".")
	f.Add("Bearer eyJhbGciOiJub25lIn0.e30.")
	f.Add("bearer a.b.c")
	f.Add("Basic dXNlcjpwYXNz")
	f.Add("")
	g := testConfig().GAR
	f.Fuzz(func(t *testing.T, authorization string) {
		err := g.verify(context.Background(), authorization)
		if err == nil {
			return
		}
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("err = %v, want ErrUnauthorized", err)
		}
		if len(err.Error()) > maxReason {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
	})
}
