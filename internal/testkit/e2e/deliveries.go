package e2e

// Deliveries: the push notification each sender makes, built from the
// sender's documented example in testdata/webhook and authenticated the
// way that sender authenticates, and sending one to serve.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // Nexus signs with HMAC-SHA1.
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Delivery is one webhook request.
type Delivery struct {
	Path   string // the route, such as /webhooks/registry/generic
	Header http.Header
	Body   []byte
}

// Clone returns a copy whose header and body can be changed.
func (d Delivery) Clone() Delivery {
	d.Header = d.Header.Clone()
	d.Body = bytes.Clone(d.Body)
	return d
}

// Send posts d to serve and returns the status and the answer's text.
func (w *World) Send(t *testing.T, d Delivery) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.Base+d.Path, bytes.NewReader(d.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = d.Header.Clone()
	resp, err := w.Client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", d.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// Deliveries builds, for every app, the push notification its sender
// would send for Tag: the vendor's documented example with host,
// repository, tag and digest set to the app's, authenticated the way that
// sender authenticates. What the payloads claim about the digest varies on
// purpose: the right one, none, a vendor's own placeholder, or a wrong one.
func (w *World) Deliveries(t *testing.T) map[string]Delivery {
	t.Helper()
	img := func(name string) (App, string) { a := w.App(name); return a, w.Digests[name] }
	out := map[string]Delivery{}

	a, _ := img("dockerhub")
	out[a.Name] = Delivery{Path: "/webhooks/registry/dockerhub/" + HubToken, Header: JSONHeader(),
		Body: Edit(t, "registry/dockerhub/push.docs.json", map[string]any{
			"push_data.tag": Tag, "repository.repo_name": a.RepoPath(), "repository.namespace": "acme",
			"repository.owner": "acme", "repository.name": "dockerhub-app",
		})}

	a, _ = img("quay")
	out[a.Name] = Delivery{Path: "/webhooks/registry/quay/" + QuayToken, Header: JSONHeader(),
		Body: Edit(t, "registry/quay/repo_push.docs.json", map[string]any{
			"docker_url": a.Image, "repository": a.RepoPath(), "namespace": "acme", "updated_tags": []any{Tag},
		})}

	a, d := img("distribution")
	h := http.Header{"Content-Type": {"application/vnd.docker.distribution.events.v1+json"}, "Authorization": {DistAuth}}
	edits := map[string]any{"events.0.target.tag": Tag, "events.0.target.digest": d,
		"events.0.target.url": "http://" + w.Registry + "/v2/" + a.RepoPath() + "/manifests/" + d}
	for i := range 3 {
		edits[fmt.Sprintf("events.%d.target.repository", i)] = a.RepoPath()
		edits[fmt.Sprintf("events.%d.request.host", i)] = w.Registry
	}
	out[a.Name] = Delivery{Path: "/webhooks/registry/distribution", Header: h,
		Body: Edit(t, "registry/distribution/MODIFIED.envelope.push.docs.tagged.json", edits)}

	h = JSONHeader()
	h.Set("Authorization", HarborAuth)
	a, d = img("harbor")
	out[a.Name] = Delivery{Path: "/webhooks/registry/harbor", Header: h,
		Body: Edit(t, "registry/harbor/MODIFIED.push_artifact.default.docs-main.tagged.json", map[string]any{
			"event_data.resources.0.digest": d, "event_data.resources.0.tag": Tag,
			"event_data.resources.0.resource_url": a.Image + ":" + Tag,
			"event_data.repository.name":          "harbor-app", "event_data.repository.namespace": "acme",
			"event_data.repository.repo_full_name": a.RepoPath(),
		})}
	a, _ = img("harbor-ce")
	h = h.Clone()
	h.Set("Content-Type", "application/cloudevents+json")
	out[a.Name] = Delivery{Path: "/webhooks/registry/harbor", Header: h,
		Body: Edit(t, "registry/harbor/MODIFIED.push_artifact.cloudevents.docs-main.tagged.json", map[string]any{
			"data.resources.0.digest": WrongDigest, "data.resources.0.tag": Tag,
			"data.resources.0.resource_url": a.Image + ":" + Tag,
			"data.repository.name":          "harbor-ce-app", "data.repository.namespace": "acme",
			"data.repository.repo_full_name": a.RepoPath(),
		})}

	a, d = img("gar")
	message := fmt.Sprintf(`{"action":"INSERT","digest":"%s@%s","tag":"%s:%s"}`, a.Image, d, a.Image, Tag)
	h = JSONHeader()
	h.Set("Authorization", "Bearer "+w.GoogleToken(t, GARAudience, time.Now()))
	out[a.Name] = Delivery{Path: "/webhooks/registry/gar", Header: h,
		Body: Edit(t, "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-insert-full-digest.json", map[string]any{
			"message.data": base64.StdEncoding.EncodeToString([]byte(message)),
		})}

	// ECR and ACR keep the placeholder digests of their documentation (60
	// hex digits; "xxxx"): the push is resolved by tag.
	a, _ = img("ecr")
	h = JSONHeader()
	h.Set("X-Stagehand-Key", ECRKey)
	out[a.Name] = Delivery{Path: "/webhooks/registry/ecr", Header: h,
		Body: Edit(t, "registry/aws-ecr/image_action.push.docs.json", map[string]any{
			"detail.repository-name": a.RepoPath(), "detail.image-tag": Tag,
		})}
	a, _ = img("acr")
	h = JSONHeader()
	h.Set(ACRHeader, ACRValue)
	out[a.Name] = Delivery{Path: "/webhooks/registry/acr", Header: h,
		Body: Edit(t, "registry/azure-acr/push.docs-current-redacted.json", map[string]any{
			"target.repository": a.RepoPath(), "target.tag": Tag, "request.host": ACRHost,
		})}

	a, d = img("artifactory")
	h = JSONHeader()
	h.Set("X-JFrog-Event-Auth", JFrogToken)
	out[a.Name] = Delivery{Path: "/webhooks/registry/artifactory", Header: h,
		Body: Edit(t, "registry/jfrog-artifactory/MODIFIED.DERIVED.docker.pushed.envelope.origin.json", map[string]any{
			"data.repo_key": "docker-local", "data.image_name": "acme/artifactory-app", "data.tag": Tag,
			"data.sha256": strings.TrimPrefix(d, "sha256:"), "data.name": "manifest.json",
			"data.path":  "acme/artifactory-app/" + Tag + "/manifest.json",
			"jpd_origin": "https://" + JFrogHost,
		})}

	a, _ = img("nexus")
	body := Edit(t, "registry/sonatype-nexus/SYNTHETIC.repository.component.created.docker.json", map[string]any{
		"component.name": a.RepoPath(), "component.version": Tag,
	})
	h = JSONHeader()
	h.Set("X-Nexus-Webhook-Id", "rm:repository:component")
	h.Set("X-Nexus-Webhook-Delivery", GUID())
	h.Set("X-Nexus-Webhook-Signature", HMAC(sha1.New, NexusSecret, body))
	out[a.Name] = Delivery{Path: "/webhooks/registry/nexus", Header: h, Body: body}

	a, _ = img("generic")
	out[a.Name] = Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, a.Image, Tag, WrongDigest))

	a, d = img("ghcr")
	const pv = "registry_package.package_version."
	out[a.Name] = GitHub("registry_package", GUID(), Edit(t, "github/registry_package/MODIFIED.published.docker.tagged.json", map[string]any{
		"registry_package.name":      "ghcr-app",
		"registry_package.namespace": "Acme/ghcr-app",
		// GitHub logins have capitals; GHCR image names do not.
		"registry_package.owner.login":       "Acme",
		pv + "version":                       d,
		pv + "name":                          d,
		pv + "container_metadata.tag.name":   Tag,
		pv + "container_metadata.tag.digest": d,
		pv + "package_url":                   a.Image + ":" + Tag,
	}))
	return out
}

// JSONHeader is the header of a JSON delivery, to add a sender's own to.
func JSONHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// Generic is a delivery of body to the generic route, signed as a CI job
// signs it.
func Generic(body []byte) Delivery {
	h := JSONHeader()
	h.Set("X-Stagehand-Signature-256", "sha256="+HMAC(sha256.New, GenericSecret, body))
	return Delivery{Path: "/webhooks/registry/generic", Header: h, Body: body}
}

// GitHub is a GitHub App delivery of event with delivery id id, signed with
// the webhook secret.
func GitHub(event, id string, body []byte) Delivery {
	h := JSONHeader()
	h.Set("User-Agent", "GitHub-Hookshot/e2e")
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", id)
	h.Set("X-Hub-Signature-256", "sha256="+HMAC(sha256.New, GitHubSecret, body))
	return Delivery{Path: "/webhooks/github", Header: h, Body: body}
}

// HMAC is the hex HMAC of body under key, as senders sign.
func HMAC(newHash func() hash.Hash, key string, body []byte) string {
	m := hmac.New(newHash, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// GUID is a delivery id in GitHub's shape (a UUID).
func GUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// GoogleToken is the OIDC JWT a Pub/Sub push subscription sends for
// audience, issued at iat, signed with the key serve is told Google uses.
func (w *World) GoogleToken(t *testing.T, audience string, iat time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: w.google},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", garKid))
	if err != nil {
		t.Fatal(err)
	}
	claims := struct {
		jwt.Claims
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		AZP           string `json:"azp"`
	}{
		Claims: jwt.Claims{
			Issuer:   "https://accounts.google.com",
			Subject:  "113774264463038321964",
			Audience: jwt.Audience{audience},
			IssuedAt: jwt.NewNumericDate(iat),
			Expiry:   jwt.NewNumericDate(iat.Add(time.Hour)),
		},
		Email: GARAccount, EmailVerified: true, AZP: "113774264463038321964",
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwksHandler serves key as Google serves its signing keys.
func jwksHandler(t *testing.T, key *rsa.PublicKey) http.Handler {
	t.Helper()
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: garKid, Algorithm: string(jose.RS256), Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(set)
	})
}

// testdata is the repository's testdata/webhook, found from this file so
// that a test of any package reads the same payloads.
var testdata = func() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "webhook")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "webhook")
}()

// Edit reads a payload from testdata/webhook (file is relative to it, such
// as "github/status/payload.json") and sets fields in it; a path is
// dot-separated, with numbers indexing arrays ("events.0.target.tag").
func Edit(t *testing.T, file string, edits map[string]any) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // ids stay exactly as they were
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for p, v := range edits {
		keys := strings.Split(p, ".")
		node := doc
		for i, k := range keys {
			last := i == len(keys)-1
			switch n := node.(type) {
			case map[string]any:
				if last {
					n[k] = v
				} else {
					node = n[k]
				}
			case []any:
				j, err := strconv.Atoi(k)
				if err != nil || j >= len(n) {
					t.Fatalf("%s: %s: no element %s", file, p, k)
				}
				if last {
					n[j] = v
				} else {
					node = n[j]
				}
			default:
				t.Fatalf("%s: %s: %s is not an object or array", file, p, strings.Join(keys[:i], "."))
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
