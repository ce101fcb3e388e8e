package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	fea88 = "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf"
	h954b = "sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4"
	h80f0 = "sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d"
	h35c4 = "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce"
	h6ec1 = "sha256:6ec128e26cd5b1c9bc0b5ef2c3ac3a6f2e2f1f0a2bd2d01d7b2c1b1f2e2f6ec1"
	h7f5b = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678"
	h3da1 = "sha256:3da1996a8115d7616457760d9920b815241d0a03b34cf5f04e9a0e9d8de37498"
	hB475 = "sha256:b4758aaed11c155a476b9857e1178f157759c99cb04c907a04993f5481eff848"
)

// TestParseRegistryExamples: each vendor's documentation example (and the
// modified copies that make it a usable push) gives the pushes a user
// would expect, pushed when the payload says, or is ignored with a reason
// that names the event. Quay, Artifactory and the generic example carry no
// time.
func TestParseRegistryExamples(t *testing.T) {
	tests := []struct {
		vendor, file string
		contentType  string // "" = the vendor's usual one
		cfg          func(*Config)
		want         []Push
		ignored      string // substring of Result.Ignored when want is empty
		err          error
	}{
		{vendor: "dockerhub", file: "registry/dockerhub/push.docs.json",
			want: []Push{{Image: "docker.io/svendowideit/testhook", Tag: "latest", PushedAt: time.Unix(1417566161, 0).UTC()}}},
		{vendor: "quay", file: "registry/quay/repo_push.docs.json",
			want: []Push{{Image: "quay.io/dgangaia/test", Tag: "latest"}}},

		// The docs push is a manifest without a tag plus two layer blobs
		// (whose 65-hex digests must not matter): nothing to do.
		{vendor: "distribution", file: "registry/distribution/envelope.push.docs.json",
			ignored: "manifest pushed without a tag; layer/config blobs are not images"},
		{vendor: "distribution", file: "registry/distribution/MODIFIED.envelope.push.docs.tagged.json",
			want: []Push{{Image: "registrycluster.local/library/test", Tag: "1.0", Digest: fea88, PushedAt: at("2006-01-02T15:04:05Z")}}},
		{vendor: "distribution", file: "registry/distribution/MODIFIED.envelope.push.docs.tagged.json", contentType: "application/json",
			want: []Push{{Image: "registrycluster.local/library/test", Tag: "1.0", Digest: fea88, PushedAt: at("2006-01-02T15:04:05Z")}}},
		// What Distribution 2.x sends, with and without a charset, and what
		// 3.x sends.
		{vendor: "distribution", file: "registry/distribution/MODIFIED.envelope.push.docs.tagged.json", contentType: distributionEventsV1,
			want: []Push{{Image: "registrycluster.local/library/test", Tag: "1.0", Digest: fea88, PushedAt: at("2006-01-02T15:04:05Z")}}},
		{vendor: "distribution", file: "registry/distribution/MODIFIED.envelope.push.docs.tagged.json", contentType: distributionEventsV1 + "; charset=utf-8",
			want: []Push{{Image: "registrycluster.local/library/test", Tag: "1.0", Digest: fea88, PushedAt: at("2006-01-02T15:04:05Z")}}},
		{vendor: "distribution", file: "registry/distribution/MODIFIED.envelope.push.docs.tagged.json", contentType: "application/vnd.docker.distribution.events.v2+json",
			want: []Push{{Image: "registrycluster.local/library/test", Tag: "1.0", Digest: fea88, PushedAt: at("2006-01-02T15:04:05Z")}}},
		{vendor: "distribution", file: "registry/distribution/envelope.pull.docs.json", ignored: `"pull" events are not pushes`},

		// Harbor's docs example was pushed by digest: its "tag" is the digest.
		{vendor: "harbor", file: "registry/harbor/push_artifact.default.docs-main.json", ignored: "pushed by digest"},
		{vendor: "harbor", file: "registry/harbor/MODIFIED.push_artifact.default.docs-main.tagged.json",
			want: []Push{{Image: "localhost/harbor/alpine", Tag: "3.17", Digest: h954b, PushedAt: time.Unix(1680501893, 0).UTC()}}},
		{vendor: "harbor", file: "registry/harbor/SYNTHETIC.delete_artifact.default.json", ignored: `harbor: "DELETE_ARTIFACT" events are not pushes`},
		// Harbor 1.x: pushImage is a push like PUSH_ARTIFACT; pulls and deletes are not.
		{vendor: "harbor", file: "registry/harbor/pushImage.v1.keel-test.json",
			want: []Push{{Image: "quay.io/mynamespace/repository", Tag: "1.2.3", Digest: hB475, PushedAt: time.Unix(1582640688, 0).UTC()}}},
		{vendor: "harbor", file: "registry/harbor/SYNTHETIC.pullImage.v1.json", ignored: `harbor: "pullImage" events are not pushes`},
		{vendor: "harbor", file: "registry/harbor/SYNTHETIC.deleteImage.v1.json", ignored: `harbor: "deleteImage" events are not pushes`},
		{vendor: "harbor", file: "registry/harbor/push_artifact.cloudevents.docs-main.comments-stripped.json", contentType: "application/cloudevents+json",
			ignored: "pushed by digest"},
		{vendor: "harbor", file: "registry/harbor/MODIFIED.push_artifact.cloudevents.docs-main.tagged.json", contentType: "application/cloudevents+json",
			want: []Push{{Image: "localhost/harbor/alpine", Tag: "3.17", Digest: h954b, PushedAt: at("2023-04-03T06:04:46Z")}}},
		{vendor: "harbor", file: "registry/harbor/SYNTHETIC.delete_artifact.cloudevents.json", contentType: "application/cloudevents+json",
			ignored: `"harbor.artifact.deleted" events are not pushes`},
		// The body, not the Content-Type, tells the two formats apart.
		{vendor: "harbor", file: "registry/harbor/MODIFIED.push_artifact.cloudevents.docs-main.tagged.json",
			want: []Push{{Image: "localhost/harbor/alpine", Tag: "3.17", Digest: h954b, PushedAt: at("2023-04-03T06:04:46Z")}}},
		{vendor: "harbor", file: "registry/harbor/MODIFIED.push_artifact.default.docs-main.tagged.json", contentType: "application/cloudevents+json",
			want: []Push{{Image: "localhost/harbor/alpine", Tag: "3.17", Digest: h954b, PushedAt: time.Unix(1680501893, 0).UTC()}}},

		// GAR's docs digest is truncated ("sha256:6ec128e26cd5..."): dropped.
		{vendor: "gar", file: "registry/google-artifact-registry/DERIVED.pubsub-push-envelope.ar-insert-with-tag.json",
			want: []Push{{Image: "us-west1-docker.pkg.dev/my-project/my-repo/hello-world", Tag: "1.1", PushedAt: at("2021-02-26T19:13:55.749Z")}}},
		{vendor: "gar", file: "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-insert-full-digest.json",
			want: []Push{{Image: "us-west1-docker.pkg.dev/my-project/my-repo/hello-world", Tag: "1.1", Digest: h6ec1, PushedAt: at("2021-02-26T19:13:55.749Z")}}},
		{vendor: "gar", file: "registry/google-artifact-registry/ar-message.insert-with-tag.docs.json", // unwrapped push: no time
			want: []Push{{Image: "us-west1-docker.pkg.dev/my-project/my-repo/hello-world", Tag: "1.1"}}},
		{vendor: "gar", file: "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-delete-tag.json", ignored: `"DELETE" actions are not pushes`},
		{vendor: "gar", file: "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-insert-digest-only.json", ignored: "without a tag"},
		// Google's envelope example carries "Hello Cloud Pub/Sub!", not an AR message.
		{vendor: "gar", file: "registry/google-artifact-registry/pubsub-push-envelope.docs.trailing-comma-removed.json", err: ErrMalformed},

		// ECR's docs digest has 60 hex digits: dropped.
		{vendor: "ecr", file: "registry/aws-ecr/image_action.push.docs.json",
			want: []Push{{Image: "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repo", Tag: "latest", PushedAt: at("2019-11-16T01:54:34Z")}}},
		{vendor: "ecr", file: "registry/aws-ecr/MODIFIED.image_action.push.docs.full-digest.json",
			want: []Push{{Image: "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repo", Tag: "latest", Digest: h7f5b, PushedAt: at("2019-11-16T01:54:34Z")}}},
		{vendor: "ecr", file: "registry/aws-ecr/SYNTHETIC.image_action.delete.json", ignored: `"DELETE" actions are not pushes`},

		{vendor: "acr", file: "registry/azure-acr/push.docs-2017.json",
			want: []Push{{Image: "myregistry.azurecr.io/hello-world", Tag: "v1", Digest: h80f0, PushedAt: at("2017-11-17T16:52:01.343145347Z")}}},
		// The current ACR example redacts its digest with xxxx: dropped.
		{vendor: "acr", file: "registry/azure-acr/push.docs-current-redacted.json",
			want: []Push{{Image: "myregistry.azurecr.io/hello-world", Tag: "v1", PushedAt: at("2023-11-17T16:52:01.343145347Z")}}},
		{vendor: "acr", file: "registry/azure-acr/SYNTHETIC.chart_push.json", ignored: `"chart_push" events are not image pushes`},
		{vendor: "acr", file: "registry/azure-acr/SYNTHETIC.delete.json", ignored: `"delete" events are not image pushes`},

		// JFrog's docs origin is "https://<your_origin>": no usable host.
		{vendor: "artifactory", file: "registry/jfrog-artifactory/DERIVED.docker.pushed.envelope.json", ignored: `"<your_origin>/docker-remote-cache/library/ubuntu" is not a valid image repository with registry host`},
		{vendor: "artifactory", file: "registry/jfrog-artifactory/DERIVED.docker.pushed.envelope.json",
			cfg:  func(c *Config) { c.ArtifactoryHost = "artifactory.acme.internal" },
			want: []Push{{Image: "artifactory.acme.internal/docker-remote-cache/library/ubuntu", Tag: "latest", Digest: h35c4}}},
		{vendor: "artifactory", file: "registry/jfrog-artifactory/MODIFIED.DERIVED.docker.pushed.envelope.origin.json",
			want: []Push{{Image: "acme.jfrog.io/docker-remote-cache/library/ubuntu", Tag: "latest", Digest: h35c4}}},
		{vendor: "artifactory", file: "registry/jfrog-artifactory/artifact.deployed.envelope.docs.json", ignored: `"artifact" "deployed" events are not docker pushes`},
		{vendor: "artifactory", file: "registry/jfrog-artifactory/artifact.deployed.request-body-from-troubleshooting-example.docs.json", ignored: "not docker pushes"},

		{vendor: "nexus", file: "registry/sonatype-nexus/repository.asset.created.docs.json", ignored: "only component events"},
		{vendor: "nexus", file: "registry/sonatype-nexus/SYNTHETIC.repository.component.created.docker.json",
			want: []Push{{Image: "nexus.example.com:8443/app1/alpine", Tag: "3.18", PushedAt: at("2016-11-10T23:57:49.664Z")}}},

		{vendor: "generic", file: "registry/generic/SYNTHETIC.push.json",
			want: []Push{{Image: "ghcr.io/acme/web", Tag: "1.2.3", Digest: h3da1}}},
	}
	for _, tt := range tests {
		name := tt.vendor + "/" + tt.file[strings.LastIndexByte(tt.file, '/')+1:]
		t.Run(name, func(t *testing.T) {
			body := readTestdata(t, tt.file)
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			h, token := credentials(t, tt.vendor, body)
			if tt.contentType != "" {
				h.Set("Content-Type", tt.contentType)
			}
			got, err := ParseRegistry(context.Background(), cfg, tt.vendor, h, token, body)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if !reflect.DeepEqual(got, Result{}) {
					t.Errorf("result on error = %+v, want none", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].Vendor = tt.vendor
			}
			if !reflect.DeepEqual(got.Pushes, tt.want) {
				t.Errorf("pushes = %+v\nwant     %+v", got.Pushes, tt.want)
			}
			if tt.want == nil && !strings.Contains(got.Ignored, tt.ignored) {
				t.Errorf("ignored = %q, want it to contain %q", got.Ignored, tt.ignored)
			}
			if tt.want != nil && got.Ignored != "" {
				t.Errorf("ignored = %q on a push", got.Ignored)
			}
		})
	}
}

// TestParseRegistryAuth: wrong or missing credentials are refused before
// the body is looked at, without pushes and without echoing any secret.
func TestParseRegistryAuth(t *testing.T) {
	body := []byte(`{"anything":"at all"}`)
	tests := []struct {
		vendor, name string
		cfg          func(*Config)
		edit         func(h http.Header, token *string)
	}{
		{"dockerhub", "no token", nil, func(_ http.Header, tok *string) { *tok = "" }},
		{"dockerhub", "wrong token", nil, func(_ http.Header, tok *string) { *tok = "hub-token-SECRET-" }},
		{"dockerhub", "quay's token", nil, func(_ http.Header, tok *string) { *tok = quayToken }},
		{"quay", "no token", nil, func(_ http.Header, tok *string) { *tok = "" }},
		{"quay", "wrong token", nil, func(_ http.Header, tok *string) { *tok = hubToken }},
		{"distribution", "no Authorization", nil, del("Authorization")},
		{"distribution", "wrong Authorization", nil, set("Authorization", "Bearer dist-SECRET-X")},
		{"distribution", "token without scheme", nil, set("Authorization", "dist-SECRET-3")},
		{"harbor", "no Authorization", nil, del("Authorization")},
		{"harbor", "wrong Authorization", nil, set("Authorization", harborAuth+" ")},
		{"ecr", "no key header", nil, del(DefaultECRHeader)},
		{"ecr", "wrong key", nil, set(DefaultECRHeader, "ecr-key")},
		{"ecr", "key in another header", nil, func(h http.Header, _ *string) {
			h.Del(DefaultECRHeader)
			h.Set("Authorization", ecrKey)
		}},
		{"ecr", "configured header name", func(c *Config) { c.ECRHeader = "X-Api-Key" }, nil},
		{"acr", "no header", nil, del("Authorization")},
		{"acr", "wrong value", nil, set("Authorization", "Bearer acr")},
		{"acr", "configured header name", func(c *Config) { c.ACRHeader = "X-Acr-Secret" }, nil},
		{"artifactory", "no header", nil, del(jfrogAuthHeader)},
		{"artifactory", "wrong token", nil, set(jfrogAuthHeader, "jfrog")},
		// With signing on, the plain secret no longer authenticates.
		{"artifactory", "token while signing is on", func(c *Config) { c.ArtifactorySigningKey = jfrogSignKey }, nil},
		{"artifactory", "HMAC under the token", func(c *Config) { c.ArtifactorySigningKey = jfrogSignKey },
			set(jfrogAuthHeader, hexHMAC(sha256New, jfrogToken, body))},
		{"nexus", "no signature", nil, del(nexusSignatureHeader)},
		{"nexus", "signature of another body", nil, set(nexusSignatureHeader, hexHMAC(sha1New, nexusSecret, []byte(`{}`)))},
		{"nexus", "SHA-256 instead of SHA-1", nil, set(nexusSignatureHeader, hexHMAC(sha256New, nexusSecret, body))},
		{"nexus", "not hex", nil, set(nexusSignatureHeader, "zz")},
		{"generic", "no signature", nil, del(GenericSignatureHeader)},
		{"generic", "no sha256= prefix", nil, set(GenericSignatureHeader, hexHMAC(sha256New, genericSecret, body))},
		{"generic", "signature of another body", nil, set(GenericSignatureHeader, "sha256="+hexHMAC(sha256New, genericSecret, []byte("{}")))},
		{"generic", "wrong secret", nil, set(GenericSignatureHeader, "sha256="+hexHMAC(sha256New, nexusSecret, body))},
	}
	for _, tt := range tests {
		t.Run(tt.vendor+"/"+tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			h, token := credentials(t, tt.vendor, body)
			h.Set("Content-Type", "text/plain") // auth is checked first
			if tt.edit != nil {
				tt.edit(h, &token)
			}
			got, err := ParseRegistry(context.Background(), cfg, tt.vendor, h, token, body)
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
			if len(got.Pushes) != 0 {
				t.Errorf("pushes on refusal: %+v", got.Pushes)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func set(k, v string) func(http.Header, *string) {
	return func(h http.Header, _ *string) { h.Set(k, v) }
}

func del(k string) func(http.Header, *string) {
	return func(h http.Header, _ *string) { h.Del(k) }
}

// TestArtifactorySigning: with signing on, the hex HMAC-SHA256 of the body
// authenticates (either hex case, with or without "sha256=").
func TestArtifactorySigning(t *testing.T) {
	body := readTestdata(t, "registry/jfrog-artifactory/MODIFIED.DERIVED.docker.pushed.envelope.origin.json")
	cfg := testConfig()
	cfg.ArtifactoryToken = ""
	cfg.ArtifactorySigningKey = jfrogSignKey
	mac := hexHMAC(sha256New, jfrogSignKey, body)
	for _, sig := range []string{mac, strings.ToUpper(mac), "sha256=" + mac} {
		h, _ := credentials(t, "artifactory", body)
		h.Set(jfrogAuthHeader, sig)
		res, err := ParseRegistry(context.Background(), cfg, "artifactory", h, "", body)
		if err != nil || len(res.Pushes) != 1 {
			t.Errorf("signature %q: %+v, %v", sig, res, err)
		}
	}
}

// TestParseRegistryRoutes: unknown routes and unconfigured vendors are 404s.
func TestParseRegistryRoutes(t *testing.T) {
	body := []byte(`{}`)
	for _, v := range Vendors() {
		h, token := credentials(t, v, body)
		if _, err := ParseRegistry(context.Background(), Config{}, v, h, token, body); !errors.Is(err, ErrUnknownVendor) {
			t.Errorf("%s with an empty Config: err = %v, want ErrUnknownVendor", v, err)
		}
	}
	for _, v := range []string{"", "ghcr", "DockerHub", "dockerhub/"} {
		if _, err := ParseRegistry(context.Background(), testConfig(), v, nil, "", body); !errors.Is(err, ErrUnknownVendor) {
			t.Errorf("%q: err = %v, want ErrUnknownVendor", v, err)
		}
	}
	cfg := testConfig()
	cfg.NexusHost = ""
	h, _ := credentials(t, "nexus", body)
	if _, err := ParseRegistry(context.Background(), cfg, "nexus", h, "", body); !errors.Is(err, ErrUnknownVendor) {
		t.Errorf("nexus without NexusHost: err = %v, want ErrUnknownVendor", err)
	}
	want := []string{"acr", "artifactory", "distribution", "dockerhub", "ecr", "gar", "generic", "harbor", "nexus", "quay"}
	if got := Vendors(); !slices.Equal(got, want) {
		t.Errorf("Vendors() = %v, want %v", got, want)
	}
}

// TestParseRegistryContentType: once the sender has authenticated, the
// Content-Type refuses nothing: a body in the vendor's format is read
// whatever the header says, and one that is not gets a 400 that names the
// Content-Type as a likely cause.
func TestParseRegistryContentType(t *testing.T) {
	for _, v := range Vendors() {
		file := registrySeeds[v][0]
		body := readTestdata(t, file)
		h, token := credentials(t, v, body)
		want, err := ParseRegistry(context.Background(), testConfig(), v, h, token, body)
		if err != nil {
			t.Fatalf("%s %s: %v", v, file, err)
		}
		for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded", "application/cloudevents+json", "not a media type", "Application/JSON; charset=UTF-8"} {
			h, token := credentials(t, v, body)
			h.Set("Content-Type", ct)
			if ct == "" {
				h.Del("Content-Type")
			}
			got, err := ParseRegistry(context.Background(), testConfig(), v, h, token, body)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s, Content-Type %q: %+v, %v; want %+v as with the vendor's type", v, ct, got, err, want)
			}
		}

		form := []byte("payload=" + url.QueryEscape(string(body)))
		h, token = credentials(t, v, form)
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		_, err = ParseRegistry(context.Background(), testConfig(), v, h, token, form)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `Content-Type "application/x-www-form-urlencoded" is not`) {
			t.Errorf("%s, form-encoded body: err = %v, want ErrMalformed naming the Content-Type", v, err)
		}
		h, token = credentials(t, v, form)
		if _, err := ParseRegistry(context.Background(), testConfig(), v, h, token, form); err == nil || strings.Contains(err.Error(), "Content-Type") {
			t.Errorf("%s, not JSON with the vendor's Content-Type: err = %v, want ErrMalformed without a Content-Type hint", v, err)
		}
	}
	// Distribution 3.x sends events.v2+json: the vendor's type too.
	bad := []byte("{oops")
	h, token := credentials(t, "distribution", bad)
	h.Set("Content-Type", "application/vnd.docker.distribution.events.v2+json")
	if _, err := ParseRegistry(context.Background(), testConfig(), "distribution", h, token, bad); !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "Content-Type") {
		t.Errorf("distribution, not JSON as Distribution 3.x sends it: err = %v, want ErrMalformed without a Content-Type hint", err)
	}
}

// TestParseRegistryMalformed: bodies that are not the vendor's format at
// all (not JSON, not its envelope) are 400s that say what is missing.
func TestParseRegistryMalformed(t *testing.T) {
	tests := []struct {
		vendor, body string
		mention      string // substring of the error
	}{
		{"dockerhub", `{not json`, "not a Docker Hub webhook"},
		{"dockerhub", `[]`, "not a Docker Hub webhook"},
		{"dockerhub", `{"push_data":{"tag":"1"}}`, "repository is missing"},
		{"dockerhub", `{"push_data":{"tag":7},"repository":{"repo_name":"acme/web"}}`, "not a Docker Hub webhook"},
		{"quay", `{"docker_url":"quay.io/a/b","updated_tags":"latest"}`, "updated_tags"},
		{"quay", `"repo_push"`, "not a Quay notification"},
		{"distribution", `{"event":[]}`, "events is missing"},
		{"distribution", `{"events":{}}`, "not a notification envelope"},
		{"harbor", `{"event_data":{}}`, "type is missing"},
		{"harbor", `{"type":"PUSH_ARTIFACT","event_data":[]}`, "not a Harbor webhook"},
		{"gar", `{"message":{"data":"%%%"}}`, "message.data is not base64"},
		{"gar", `{"message":{"data":"e30="}}`, "action is missing"}, // {}
		{"gar", `{"message":{"data":"bm90IGpzb24="}}`, "not an Artifact Registry notification"},
		{"ecr", `{"source":"aws.ecr","detail":[]}`, "not an EventBridge event"},
		{"acr", `{"target":{}}`, "action is missing"},
		{"artifactory", `{"data":{}}`, "domain or event_type is missing"},
		{"nexus", `[1]`, "not a Nexus webhook"},
		{"generic", `{"image":"ghcr.io/acme/web","tag":"1","extra":true}`, "unknown field"},
		{"generic", `{"image":"ghcr.io/acme/web","tag":"1"} {}`, "trailing data"},
		{"generic", `{"image":"ghcr.io/acme/web"}`, "image and tag are required"},
		{"generic", `null`, "image and tag are required"},
	}
	for _, tt := range tests {
		t.Run(tt.vendor, func(t *testing.T) {
			body := []byte(tt.body)
			h, token := credentials(t, tt.vendor, body)
			got, err := ParseRegistry(context.Background(), testConfig(), tt.vendor, h, token, body)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: err = %v, want ErrMalformed", tt.body, err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("err = %q, want it to mention %q", err, tt.mention)
			}
			if !reflect.DeepEqual(got, Result{}) {
				t.Errorf("result with an error: %+v", got)
			}
		})
	}
}

// TestParseRegistryUnusable: a body in the vendor's format whose entries
// cannot be used (placeholder or malformed digest, missing host, bad name
// or tag) is acknowledged and ignored with a reason that names the field:
// refusing it would make the registry retry it for ever.
func TestParseRegistryUnusable(t *testing.T) {
	tests := []struct {
		vendor, body string
		mention      string // substring of Result.Ignored
	}{
		{"dockerhub", `{"push_data":{"tag":"1"},"repository":{"repo_name":"Acme/Web"}}`, `repository.repo_name "docker.io/Acme/Web"`},
		{"dockerhub", `{"push_data":{"tag":"-1"},"repository":{"repo_name":"acme/web"}}`, `push_data.tag "-1" is not a valid tag`},
		{"dockerhub", `{"push_data":{"tag":"1"},"repository":{}}`, "repository.repo_name is missing"},
		{"quay", `{"updated_tags":["latest"]}`, "docker_url is missing"},
		{"quay", `{"docker_url":"quay.io/a/b","updated_tags":["bad tag"]}`, "updated_tags[0]"},
		{"distribution", `{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","tag":"1","repository":"a/b","digest":"sha256:abc"},"request":{"host":"r.example.com"}}]}`, `events[0].target.digest "sha256:abc" is not sha256:<64 lowercase hex>`},
		{"distribution", `{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.index.v1+json","tag":"1","repository":"a/b"}}]}`, "events[0].request.host is missing"},
		{"distribution", `{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.index.v1+json","tag":"1.0+x","repository":"a/b"},"request":{"host":"r.example.com"}}]}`, "events[0].target.tag"},
		{"distribution", `{"events":[{"action":"delete","target":{"repository":"a/b","digest":"` + h6ec1 + `"}}]}`, `"delete" events are not pushes`},
		{"harbor", `{"type":"PUSH_ARTIFACT"}`, "event_data.repository.repo_full_name is missing"},
		{"harbor", `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":"1","digest":"sha256:00","resource_url":"h.example.com/a/b:1"}],"repository":{"repo_full_name":"a/b"}}}`, "event_data.resources[0].digest"},
		{"harbor", `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":"1","resource_url":"nohost"}],"repository":{"repo_full_name":"a/b"}}}`, "resource_url"},
		{"harbor", `{"type":"PUSH_ARTIFACT","event_data":{"resources":[],"repository":{"repo_full_name":"a/b"}}}`, "no tagged image push"},
		{"gar", `{"action":"INSERT","tag":"no-tag-here/x"}`, "is not IMAGE:TAG"},
		{"gar", `{"action":"INSERT","tag":"eu.gcr.io/p/a:1","digest":"eu.gcr.io/p/b@` + h6ec1 + `"}`, "does not name the image"},
		{"gar", `{"action":"INSERT","tag":"eu.gcr.io/P/a:1"}`, "tag (image part)"},
		{"ecr", `{"source":"aws.ecr","detail-type":"ECR Image Action","account":"12","region":"us-east-1","detail":{"action-type":"PUSH","result":"SUCCESS","image-tag":"1","repository-name":"web"}}`, "12-digit"},
		{"ecr", `{"source":"aws.ecr","detail-type":"ECR Image Action","account":"123456789012","region":"US EAST","detail":{"action-type":"PUSH","result":"SUCCESS","image-tag":"1","repository-name":"web"}}`, "region"},
		{"acr", `{"action":"push","target":{"tag":"v1","repository":"a"}}`, "request.host is missing"},
		{"acr", `{"action":"push","target":{"tag":"v1","repository":"A"},"request":{"host":"r.azurecr.io"}}`, "request.host+target.repository"},
		{"artifactory", `{"domain":"docker","event_type":"pushed","jpd_origin":"https://a.example.com","data":{"tag":"1","image_name":"x","repo_key":"r","sha256":"abc"}}`, "data.sha256"},
		{"artifactory", `{"domain":"docker","event_type":"pushed","data":{"tag":"1","image_name":"x","repo_key":"r"}}`, "set ArtifactoryHost"},
		{"artifactory", `{"domain":"docker","event_type":"pushed","data":{"tag":"1"}}`, "data.repo_key or data.image_name is missing"},
		{"nexus", `{"action":"CREATED","component":{"format":"docker","name":"UPPER","version":"1"}}`, "component.name"},
		{"generic", `{"image":"acme/web","tag":"1"}`, "image"}, // no registry host
		{"generic", `{"image":"docker.io/nginx","tag":"1"}`, "image"},
		{"generic", `{"image":"ghcr.io/acme//web","tag":"1"}`, "image"},
		{"generic", `{"image":"ghcr.io/acme/web:1","tag":"1"}`, "image"},
		{"generic", `{"image":"ghcr.io/acme/web","tag":"1.2.3+build"}`, "tag"},
		{"generic", `{"image":"ghcr.io/acme/web","tag":"1","digest":"sha256:xxxx"}`, "digest"},
		{"generic", `{"image":"ghcr.io/acme/web","tag":"1","digest":"sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"}`, "digest"},
		{"generic", `{"image":"ghcr.io/acme/web","tag":"1","digest":"SHA256:7F5B2640FE6FB4F46592DFD3410C4A79DAC4F89E4782432E0378ABCD12345678"}`, "digest"},
	}
	for _, tt := range tests {
		t.Run(tt.vendor, func(t *testing.T) {
			body := []byte(tt.body)
			h, token := credentials(t, tt.vendor, body)
			got, err := ParseRegistry(context.Background(), testConfig(), tt.vendor, h, token, body)
			if err != nil {
				t.Fatalf("%s: err = %v, want it acknowledged and ignored", tt.body, err)
			}
			if len(got.Pushes) != 0 || !strings.HasPrefix(got.Ignored, tt.vendor+": ") || !strings.Contains(got.Ignored, tt.mention) {
				t.Errorf("%s: got %+v, want no pushes and a reason that mentions %q", tt.body, got, tt.mention)
			}
		})
	}
}

// TestParseRegistryBatch: of a Distribution batch, the usable pushes are
// kept and the unusable entries ignored; however many bad entries there
// are, the reason stays short enough for a log line.
func TestParseRegistryBatch(t *testing.T) {
	event := func(repo, tag, digest, host string) string {
		return fmt.Sprintf(`{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":%q,"tag":%q,"digest":%q},"request":{"host":%q}}`, repo, tag, digest, host)
	}
	events := []string{
		event("acme/web", "1.0", "sha256:placeholder", "r.example.com"),
		event("acme/web", "1.1", h6ec1, ""),
		event("acme/api", "2.0", h6ec1, "r.example.com"),
		event("Acme/Bad", "2.0", "", "r.example.com"),
	}
	long := strings.Repeat("x", 10_000)
	for i := range 1000 {
		events = append(events, event("acme/"+long, fmt.Sprint(i), "sha256:"+long+fmt.Sprint(i), "r.example.com"))
	}
	body := []byte(`{"events":[` + strings.Join(events, ",") + `]}`)
	h, _ := credentials(t, "distribution", body)
	got, err := ParseRegistry(context.Background(), testConfig(), "distribution", h, "", body)
	if err != nil {
		t.Fatal(err)
	}
	want := []Push{{Image: "r.example.com/acme/api", Tag: "2.0", Digest: h6ec1, Vendor: "distribution"}}
	if !reflect.DeepEqual(got.Pushes, want) {
		t.Errorf("pushes = %+v, want %+v", got.Pushes, want)
	}

	body = []byte(`{"events":[` + strings.Join(append(events[:2:2], events[3:]...), ",") + `]}`)
	h, _ = credentials(t, "distribution", body)
	got, err = ParseRegistry(context.Background(), testConfig(), "distribution", h, "", body)
	if err != nil || len(got.Pushes) != 0 {
		t.Fatalf("only unusable entries: %+v, %v", got.Pushes, err)
	}
	for _, s := range []string{`events[0].target.digest "sha256:placeholder"`, "events[1].request.host is missing", "events[2].request.host+target.repository", "more"} {
		if !strings.Contains(got.Ignored, s) {
			t.Errorf("ignored = %q, want it to mention %q", got.Ignored, s)
		}
	}
	if len(got.Ignored) > 1000 {
		t.Errorf("reason is %d bytes long, want it bounded", len(got.Ignored))
	}
}

// TestParseRegistryShapes covers mappings the vendor examples do not show.
func TestParseRegistryShapes(t *testing.T) {
	tests := []struct {
		name, vendor, body string
		want               []Push
		ignored            string
	}{
		{"official image", "dockerhub", `{"push_data":{"tag":"1.25"},"repository":{"repo_name":"nginx"}}`,
			[]Push{{Image: "docker.io/library/nginx", Tag: "1.25"}}, ""},
		{"no tag", "dockerhub", `{"push_data":{"tag":""},"repository":{"repo_name":"acme/web"}}`, nil, "no tag"},
		{"several tags", "quay", `{"docker_url":"quay.example.com/acme/web","updated_tags":["1.0","latest"]}`,
			[]Push{{Image: "quay.example.com/acme/web", Tag: "1.0"}, {Image: "quay.example.com/acme/web", Tag: "latest"}}, ""},
		{"old map of tags", "quay", `{"docker_url":"quay.io/acme/web","updated_tags":{"latest":"abc","1.0":"def"}}`,
			[]Push{{Image: "quay.io/acme/web", Tag: "1.0"}, {Image: "quay.io/acme/web", Tag: "latest"}}, ""},
		{"build event", "quay", `{"docker_url":"quay.io/acme/web","build_id":"x"}`, nil, "not a repo_push"},
		{"batch of two tagged manifests", "distribution", `{"events":[
			{"action":"push","target":{"mediaType":"application/vnd.oci.image.index.v1+json","repository":"acme/web","tag":"1.0","digest":"` + h6ec1 + `"},"request":{"host":"registry.gitlab.example.com"}},
			{"action":"push","target":{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","repository":"acme/web","digest":"sha256:bad"},"request":{"host":"registry.gitlab.example.com"}},
			{"action":"push","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","repository":"acme/api","tag":"2.0"},"request":{"host":"localhost:5000"}}]}`,
			[]Push{{Image: "registry.gitlab.example.com/acme/web", Tag: "1.0", Digest: h6ec1}, {Image: "localhost:5000/acme/api", Tag: "2.0"}}, ""},
		{"empty batch", "distribution", `{"events":[]}`, nil, "no events"},
		{"two harbor resources, one by digest", "harbor", `{"type":"PUSH_ARTIFACT","event_data":{"resources":[
			{"tag":"` + h954b + `","digest":"` + h954b + `","resource_url":"harbor.example.com/lib/web@` + h954b + `"},
			{"tag":"v2","digest":"` + h954b + `","resource_url":"harbor.example.com/lib/web:v2"}],"repository":{"repo_full_name":"lib/web"}}}`,
			[]Push{{Image: "harbor.example.com/lib/web", Tag: "v2", Digest: h954b}}, ""},
		{"gcr.io with port-free host", "gar", `{"action":"INSERT","tag":"gcr.io/my-project/web:v1"}`,
			[]Push{{Image: "gcr.io/my-project/web", Tag: "v1"}}, ""},
		{"ecr china", "ecr", `{"source":"aws.ecr","detail-type":"ECR Image Action","account":"123456789012","region":"cn-north-1","detail":{"action-type":"PUSH","result":"SUCCESS","image-tag":"1","repository-name":"team/web"}}`,
			[]Push{{Image: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/web", Tag: "1"}}, ""},
		{"ecr failed push", "ecr", `{"source":"aws.ecr","detail-type":"ECR Image Action","account":"123456789012","region":"us-east-1","detail":{"action-type":"PUSH","result":"FAILURE","image-tag":"1","repository-name":"web"}}`,
			nil, `push result is "FAILURE"`},
		{"ecr untagged", "ecr", `{"source":"aws.ecr","detail-type":"ECR Image Action","account":"123456789012","region":"us-east-1","detail":{"action-type":"PUSH","result":"SUCCESS","image-tag":"","repository-name":"web"}}`,
			nil, "no tag"},
		{"ecr scan event", "ecr", `{"source":"aws.ecr","detail-type":"ECR Image Scan","detail":{}}`, nil, "not image actions"},
		{"acr layer", "acr", `{"action":"push","target":{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","repository":"a","tag":"1"},"request":{"host":"r.azurecr.io"}}`,
			nil, "not an image manifest"},
		{"acr untagged", "acr", `{"action":"push","target":{"repository":"a"},"request":{"host":"r.azurecr.io"}}`, nil, "without a tag"},
		{"acr ping", "acr", `{"action":"ping"}`, nil, `"ping" events`},
		{"artifactory docker delete", "artifactory", `{"domain":"docker","event_type":"deleted","data":{}}`, nil, `"docker" "deleted"`},
		{"artifactory untagged", "artifactory", `{"domain":"docker","event_type":"pushed","data":{"tag":""}}`, nil, "no tag"},
		{"artifactory prefixed sha256", "artifactory", `{"domain":"docker","event_type":"pushed","jpd_origin":"https://acme.jfrog.io/","data":{"repo_key":"docker-local","image_name":"web","tag":"1","sha256":"` + h35c4 + `"}}`,
			[]Push{{Image: "acme.jfrog.io/docker-local/web", Tag: "1", Digest: h35c4}}, ""},
		{"nexus updated tag", "nexus", `{"action":"UPDATED","component":{"format":"docker","name":"web","version":"latest"}}`,
			[]Push{{Image: "nexus.example.com:8443/web", Tag: "latest"}}, ""},
		{"nexus delete", "nexus", `{"action":"DELETED","component":{"format":"docker","name":"web","version":"latest"}}`, nil, `"DELETED"`},
		{"nexus maven", "nexus", `{"action":"CREATED","component":{"format":"maven2","name":"web","version":"1"}}`, nil, `"maven2" components`},
		{"generic without digest", "generic", `{"image":"docker.io/acme/web","tag":"v1"}`,
			[]Push{{Image: "docker.io/acme/web", Tag: "v1"}}, ""},
		{"generic host in capitals", "generic", `{"image":"GHCR.io/acme/web","tag":"v1"}`,
			[]Push{{Image: "ghcr.io/acme/web", Tag: "v1"}}, ""},
		{"generic index.docker.io", "generic", `{"image":"index.docker.io/library/nginx","tag":"1"}`,
			[]Push{{Image: "docker.io/library/nginx", Tag: "1"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.vendor+"/"+tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			h, token := credentials(t, tt.vendor, body)
			got, err := ParseRegistry(context.Background(), testConfig(), tt.vendor, h, token, body)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].Vendor = tt.vendor
			}
			if !reflect.DeepEqual(got.Pushes, tt.want) {
				t.Errorf("pushes = %+v\nwant     %+v", got.Pushes, tt.want)
			}
			if tt.want == nil && (got.Ignored == "" || !strings.Contains(got.Ignored, tt.ignored)) {
				t.Errorf("ignored = %q, want it to contain %q", got.Ignored, tt.ignored)
			}
		})
	}
}
