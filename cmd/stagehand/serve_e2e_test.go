package main

// End-to-end tests of `stagehand serve`: the real server, run in process
// through run() as the binary would, with a real OCI registry, the GitHub
// stand-in (every request and response checked against GitHub's REST
// description) and signed deliveries built from each sender's documented
// payloads. Everything unexported here starts with e2e: other test files of
// this package are written by others.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // Nexus signs with HMAC-SHA1.
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	ggcrname "github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/pgtest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Credentials of the test server. Each is distinctive so that the tests can
// check that no answer and no log line ever repeats one.
const (
	e2eGitHubSecret  = "github-hook-SECRET-e2e"
	e2eHubToken      = "hub-token-SECRET-e2e"
	e2eQuayToken     = "quay-token-SECRET-e2e"
	e2eDistAuth      = "Bearer dist-SECRET-e2e"
	e2eHarborAuth    = "Basic harbor-SECRET-e2e"
	e2eECRKey        = "ecr-key-SECRET-e2e"
	e2eACRHeader     = "X-Acme-Webhook-Key"
	e2eACRValue      = "acr-value-SECRET-e2e"
	e2eJFrogToken    = "jfrog-token-SECRET-e2e"
	e2eNexusSecret   = "nexus-SECRET-e2e"
	e2eGenericSecret = "generic-SECRET-e2e"

	e2eGARAudience = "https://stagehand.acme.test/webhooks/registry/gar"
	e2eGARAccount  = "pubsub-push@acme-prod.iam.gserviceaccount.com"
	e2eGARKid      = "e2e-google-key-1"
)

var e2eSecrets = []string{e2eGitHubSecret, e2eHubToken, e2eQuayToken, "dist-SECRET-e2e", "harbor-SECRET-e2e",
	e2eECRKey, e2eACRValue, e2eJFrogToken, e2eNexusSecret, e2eGenericSecret}

// Registry hosts the apps' images are named with. The test's one registry
// stands in for all of them through --registry-mirrors, except for the
// distribution app, which names the test registry itself.
const (
	e2eHarborHost = "harbor.acme.test"
	e2eGARHost    = "us-docker.pkg.dev"
	e2eECRHost    = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
	e2eACRHost    = "acme.azurecr.io"
	e2eJFrogHost  = "artifactory.acme.test"
	e2eNexusHost  = "nexus.acme.test:8443"
	e2eCIHost     = "ci.acme.test"
)

// e2ePace lifts the pacing of GitHub writes: the stand-in here enforces no
// secondary limits, and a test makes more promotions a minute than GitHub
// would take. Pacing has tests of its own, against a stand-in that does.
const e2ePace = "1000000/1m"

const (
	e2eTag      = "1.0.0"
	e2eDeadline = 90 * time.Second // generous: a bound for failing, not a speed claim
	e2eTestdata = "../../testdata/webhook/"
)

// e2eWrongDigest is a well-formed digest of no pushed image: what a payload
// that lies about the digest claims.
var e2eWrongDigest = func() string {
	sum := sha256.Sum256([]byte("not the pushed image"))
	return "sha256:" + hex.EncodeToString(sum[:])
}()

// RSA keys are slow to make: one App key and one Google key per test binary.
var (
	e2eAppKey    = sync.OnceValues(githubfake.GenerateAppKey)
	e2eGoogleKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
)

// e2eApp is one app of the config repository; each sender gets its own.
// source is the sender as stagehand_deliveries_total labels it.
type e2eApp struct{ name, source, image string }

func e2eApps(registryHost string) []e2eApp {
	return []e2eApp{
		{"dockerhub", "dockerhub", "docker.io/acme/dockerhub-app"},
		{"quay", "quay", "quay.io/acme/quay-app"},
		{"distribution", "distribution", registryHost + "/acme/distribution-app"},
		{"harbor", "harbor", e2eHarborHost + "/acme/harbor-app"},
		{"harbor-ce", "harbor", e2eHarborHost + "/acme/harbor-ce-app"}, // CloudEvents format
		{"gar", "gar", e2eGARHost + "/acme-prod/images/gar-app"},
		{"ecr", "ecr", e2eECRHost + "/acme/ecr-app"},
		{"acr", "acr", e2eACRHost + "/acme/acr-app"},
		{"artifactory", "artifactory", e2eJFrogHost + "/docker-local/acme/artifactory-app"},
		{"nexus", "nexus", e2eNexusHost + "/acme/nexus-app"},
		{"generic", "generic", e2eCIHost + "/acme/generic-app"},
		{"ghcr", "github", "ghcr.io/acme/ghcr-app"},
	}
}

// repoPath is the image's repository without its host: where the test
// registry keeps it.
func (a e2eApp) repoPath() string {
	_, p, _ := strings.Cut(a.image, "/")
	return p
}

// e2eSeed is the config repository: three stages, and for every app a base
// Deployment and one overlay per stage pinning 0.9.0 by tag alone.
func e2eSeed(apps []e2eApp) map[string][]byte { return e2eSeedWith(apps, nil) }

// e2eSeedWith is e2eSeed where tags gives some apps a tags policy of their
// own: the YAML under tags: (`pattern: "^main-"`); the others take
// semver ">=1.0.0".
func e2eSeedWith(apps []e2eApp, tags map[string]string) map[string][]byte {
	files := map[string][]byte{}
	var cfg strings.Builder
	cfg.WriteString("stages:\n  - name: staging\n    mode: auto-merge\n  - name: preprod\n    mode: pull-request\n  - name: prod\n    mode: manual\n\napps:\n")
	for _, a := range apps {
		policy, ok := tags[a.name]
		if !ok {
			policy = `semver: ">=1.0.0"`
		}
		fmt.Fprintf(&cfg, "  - name: %s\n    image: %s\n    tags:\n      %s\n    stages:\n", a.name, a.image, policy)
		dir := "apps/" + a.name
		files[dir+"/base/kustomization.yaml"] = []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n")
		files[dir+"/base/deployment.yaml"] = fmt.Appendf(nil, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      containers:
        - name: %[1]s
          image: %[2]s:0.9.0
`, a.name, a.image)
		for _, stage := range []string{"staging", "preprod", "prod"} {
			fmt.Fprintf(&cfg, "      %s: %s/overlays/%s\n", stage, dir, stage)
			files[dir+"/overlays/"+stage+"/kustomization.yaml"] = fmt.Appendf(nil,
				"# %s in %s\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s-%s\nresources:\n  - ../../base\nimages:\n  - name: %s\n    newTag: \"0.9.0\"   # pinned by stagehand\n",
				a.name, stage, a.name, stage, a.image)
		}
	}
	files[".stagehand.yaml"] = []byte(cfg.String())
	return files
}

// e2eWorld is a running stagehand with everything it talks to.
type e2eWorld struct {
	gh        *githubfake.Server
	githubURL string // where stagehand reaches gh
	registry  string // host:port of the OCI registry
	base      string // stagehand's URL
	database  string
	keyFile   string
	apps      []e2eApp
	insecure  []string          // registry hosts besides registry reached over plain HTTP
	digests   map[string]string // app → digest of its pushed e2eTag image
	google    *rsa.PrivateKey
	client    *http.Client
	stderr    *e2eBuffer
	stopOnce  sync.Once
	stopped   chan int // run's exit code
	cancel    context.CancelFunc
}

type e2eOptions struct {
	database       string   // "" means SQLite in a temporary directory
	requiredChecks []string // required on main
	// githubVia, when set, wraps the GitHub stand-in: stagehand reaches it
	// through the returned handler.
	githubVia func(github http.Handler) http.Handler
	serveArgs []string // more flags for stagehand serve
	// moreApps are apps of the config repository besides one per sender,
	// each with its tags policy (e2eSeedWith); nothing is pushed for them.
	moreApps []e2eMoreApp
	// insecure are registry hosts besides the test's own that serve may
	// reach over plain HTTP: a registry a test starts for a moreApps app.
	insecure []string
}

// e2eMoreApp is an app of e2eOptions.moreApps: tags is the YAML under
// tags:, "" for semver ">=1.0.0".
type e2eMoreApp struct {
	e2eApp
	tags string
}

// e2eStart starts the registry (with every app's image pushed), the JWKS
// endpoint, the GitHub stand-in and `stagehand serve`; all stop when the
// test ends.
func e2eStart(t *testing.T, opts e2eOptions) *e2eWorld {
	t.Helper()
	appKey, err := e2eAppKey()
	if err != nil {
		t.Fatal(err)
	}
	googleKey, err := e2eGoogleKey()
	if err != nil {
		t.Fatal(err)
	}
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	jwks := httptest.NewServer(e2eJWKSHandler(t, &googleKey.PublicKey))
	t.Cleanup(jwks.Close)

	w := &e2eWorld{
		registry: strings.TrimPrefix(reg.URL, "http://"),
		database: opts.database,
		digests:  map[string]string{},
		google:   googleKey,
		client:   &http.Client{Timeout: 30 * time.Second},
		stderr:   &e2eBuffer{},
		stopped:  make(chan int, 1),
	}
	w.apps = e2eApps(w.registry)
	w.insecure = opts.insecure
	seeded, tags := slices.Clone(w.apps), map[string]string{}
	for _, m := range opts.moreApps {
		seeded = append(seeded, m.e2eApp)
		if m.tags != "" {
			tags[m.name] = m.tags
		}
	}
	w.gh = githubfake.NewTest(t, githubfake.Options{SeedFiles: e2eSeedWith(seeded, tags), AppKey: &appKey.PublicKey})
	w.githubURL = w.gh.URL()
	if opts.githubVia != nil {
		via := httptest.NewServer(opts.githubVia(w.gh))
		t.Cleanup(via.Close)
		w.githubURL = via.URL + "/"
	}
	if len(opts.requiredChecks) > 0 {
		w.gh.SetRequiredChecks("main", opts.requiredChecks...)
	}
	for _, a := range w.apps {
		w.digests[a.name] = w.push(t, a, e2eTag)
	}
	dir := t.TempDir()
	if w.database == "" {
		w.database = filepath.Join(dir, "stagehand.db")
	}
	w.keyFile = filepath.Join(dir, "app.pem")
	if err := os.WriteFile(w.keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}), 0o600); err != nil {
		t.Fatal(err)
	}

	mirrors := []string{}
	for _, host := range []string{"docker.io", "quay.io", "ghcr.io", e2eHarborHost, e2eGARHost, e2eECRHost, e2eACRHost, e2eJFrogHost, e2eNexusHost, e2eCIHost} {
		mirrors = append(mirrors, host+"="+w.registry)
	}
	args := append([]string{"serve",
		"--addr", "127.0.0.1:0",
		"--github-webhook-secret", e2eGitHubSecret,
		"--database-url", w.database,
		"--registry-mirrors", strings.Join(mirrors, ","),
		"--reconcile-interval", "0",
		"--log-level", "info",
		"--dockerhub-token", e2eHubToken,
		"--quay-token", e2eQuayToken,
		"--distribution-auth", e2eDistAuth,
		"--harbor-auth", e2eHarborAuth,
		"--gar-audience", e2eGARAudience,
		"--gar-service-account", e2eGARAccount,
		"--gar-jwks-url", jwks.URL,
		"--ecr-key", e2eECRKey,
		"--acr-header", e2eACRHeader,
		"--acr-value", e2eACRValue,
		"--artifactory-token", e2eJFrogToken,
		"--artifactory-host", e2eJFrogHost,
		"--nexus-secret", e2eNexusSecret,
		"--nexus-host", e2eNexusHost,
		"--generic-secret", e2eGenericSecret,
	}, w.githubFlags()...)
	args = append(args, opts.serveArgs...)

	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	stdout := &e2eBuffer{}
	go func() { w.stopped <- run(ctx, args, stdout, w.stderr) }()
	t.Cleanup(func() { w.stop(t) })

	deadline := time.Now().Add(e2eDeadline)
	for {
		if addr, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "stagehand listening on "); ok {
			w.base = "http://" + addr
			w.checkReady(t)
			// GitHub tells the App what happens in the repository: merges,
			// comments, statuses, pushes, the App's own acts included.
			w.gh.SetWebhook(githubfake.Webhook{URL: w.base + "/webhooks/github", Secret: e2eGitHubSecret, Active: true})
			return w
		}
		select {
		case code := <-w.stopped:
			w.stopped <- code
			t.Fatalf("stagehand serve exited with %d before listening:\n%s", code, w.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("stagehand serve did not start listening:\n%s", w.stderr)
		}
	}
}

// checkReady asks what a load balancer and Kubernetes ask.
func (w *e2eWorld) checkReady(t *testing.T) {
	t.Helper()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		resp, err := w.client.Get(w.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != want {
			t.Fatalf("GET %s: %d %q, want 200 %q", path, resp.StatusCode, body, want)
		}
	}
}

// githubFlags are the flags every subcommand talking to GitHub needs.
func (w *e2eWorld) githubFlags() []string {
	return []string{
		"--github-api-url", w.githubURL,
		"--github-app-id", "1",
		"--github-private-key-file", w.keyFile,
		"--config-repo", w.gh.Owner() + "/" + w.gh.Repo(),
		"--base-branch", "main",
		"--insecure-registries", strings.Join(append([]string{w.registry}, w.insecure...), ","),
		"--github-write-pace", e2ePace,
	}
}

// stop stops the server as SIGTERM would and checks that it stopped cleanly
// and never logged a secret.
func (w *e2eWorld) stop(t *testing.T) {
	t.Helper()
	w.stopOnce.Do(func() {
		w.cancel()
		select {
		case code := <-w.stopped:
			if code != 0 {
				t.Errorf("stagehand serve exited with %d:\n%s", code, w.stderr)
			}
		case <-time.After(e2eDeadline):
			t.Errorf("stagehand serve did not stop")
		}
		logs := w.stderr.String()
		for _, s := range e2eSecrets {
			if strings.Contains(logs, s) {
				t.Errorf("the logs contain the secret %q", s)
			}
		}
	})
}

// push uploads a new random image as app's image:tag and returns its digest.
func (w *e2eWorld) push(t *testing.T, a e2eApp, tag string) string {
	t.Helper()
	ref, err := ggcrname.ParseReference(w.registry+"/"+a.repoPath()+":"+tag, ggcrname.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func (w *e2eWorld) app(name string) e2eApp {
	for _, a := range w.apps {
		if a.name == name {
			return a
		}
	}
	panic("no app " + name)
}

// e2eDelivery is one webhook request.
type e2eDelivery struct {
	path   string
	header http.Header
	body   []byte
}

// clone returns a copy whose header can be changed.
func (d e2eDelivery) clone() e2eDelivery {
	d.header = d.header.Clone()
	d.body = bytes.Clone(d.body)
	return d
}

// send posts d and returns the status and the answer's text.
func (w *e2eWorld) send(t *testing.T, d e2eDelivery) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.base+d.path, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = d.header.Clone()
	resp, err := w.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", d.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// deliveries builds, for every app, the push notification its sender
// would send for e2eTag: the vendor's documented example with host,
// repository, tag and digest set to the app's, authenticated the way that
// sender authenticates. What the payloads claim about the digest varies on
// purpose: the right one, none, a vendor's own placeholder, or a wrong one.
func (w *e2eWorld) deliveries(t *testing.T) map[string]e2eDelivery {
	t.Helper()
	img := func(name string) (e2eApp, string) { a := w.app(name); return a, w.digests[name] }
	out := map[string]e2eDelivery{}

	a, _ := img("dockerhub")
	out[a.name] = e2eDelivery{path: "/webhooks/registry/dockerhub/" + e2eHubToken, header: e2eJSONHeader(),
		body: e2eEdit(t, "registry/dockerhub/push.docs.json", map[string]any{
			"push_data.tag": e2eTag, "repository.repo_name": a.repoPath(), "repository.namespace": "acme",
			"repository.owner": "acme", "repository.name": "dockerhub-app",
		})}

	a, _ = img("quay")
	out[a.name] = e2eDelivery{path: "/webhooks/registry/quay/" + e2eQuayToken, header: e2eJSONHeader(),
		body: e2eEdit(t, "registry/quay/repo_push.docs.json", map[string]any{
			"docker_url": a.image, "repository": a.repoPath(), "namespace": "acme", "updated_tags": []any{e2eTag},
		})}

	a, d := img("distribution")
	h := http.Header{"Content-Type": {"application/vnd.docker.distribution.events.v1+json"}, "Authorization": {e2eDistAuth}}
	edits := map[string]any{"events.0.target.tag": e2eTag, "events.0.target.digest": d,
		"events.0.target.url": "http://" + w.registry + "/v2/" + a.repoPath() + "/manifests/" + d}
	for i := range 3 {
		edits[fmt.Sprintf("events.%d.target.repository", i)] = a.repoPath()
		edits[fmt.Sprintf("events.%d.request.host", i)] = w.registry
	}
	out[a.name] = e2eDelivery{path: "/webhooks/registry/distribution", header: h,
		body: e2eEdit(t, "registry/distribution/MODIFIED.envelope.push.docs.tagged.json", edits)}

	h = e2eJSONHeader()
	h.Set("Authorization", e2eHarborAuth)
	a, d = img("harbor")
	out[a.name] = e2eDelivery{path: "/webhooks/registry/harbor", header: h,
		body: e2eEdit(t, "registry/harbor/MODIFIED.push_artifact.default.docs-main.tagged.json", map[string]any{
			"event_data.resources.0.digest": d, "event_data.resources.0.tag": e2eTag,
			"event_data.resources.0.resource_url": a.image + ":" + e2eTag,
			"event_data.repository.name":          "harbor-app", "event_data.repository.namespace": "acme",
			"event_data.repository.repo_full_name": a.repoPath(),
		})}
	a, _ = img("harbor-ce")
	h = h.Clone()
	h.Set("Content-Type", "application/cloudevents+json")
	out[a.name] = e2eDelivery{path: "/webhooks/registry/harbor", header: h,
		body: e2eEdit(t, "registry/harbor/MODIFIED.push_artifact.cloudevents.docs-main.tagged.json", map[string]any{
			"data.resources.0.digest": e2eWrongDigest, "data.resources.0.tag": e2eTag,
			"data.resources.0.resource_url": a.image + ":" + e2eTag,
			"data.repository.name":          "harbor-ce-app", "data.repository.namespace": "acme",
			"data.repository.repo_full_name": a.repoPath(),
		})}

	a, d = img("gar")
	message := fmt.Sprintf(`{"action":"INSERT","digest":"%s@%s","tag":"%s:%s"}`, a.image, d, a.image, e2eTag)
	h = e2eJSONHeader()
	h.Set("Authorization", "Bearer "+w.googleToken(t, e2eGARAudience, time.Now()))
	out[a.name] = e2eDelivery{path: "/webhooks/registry/gar", header: h,
		body: e2eEdit(t, "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-insert-full-digest.json", map[string]any{
			"message.data": base64.StdEncoding.EncodeToString([]byte(message)),
		})}

	// ECR and ACR keep the placeholder digests of their documentation (60
	// hex digits; "xxxx"): the push is resolved by tag.
	a, _ = img("ecr")
	h = e2eJSONHeader()
	h.Set("X-Stagehand-Key", e2eECRKey)
	out[a.name] = e2eDelivery{path: "/webhooks/registry/ecr", header: h,
		body: e2eEdit(t, "registry/aws-ecr/image_action.push.docs.json", map[string]any{
			"detail.repository-name": a.repoPath(), "detail.image-tag": e2eTag,
		})}
	a, _ = img("acr")
	h = e2eJSONHeader()
	h.Set(e2eACRHeader, e2eACRValue)
	out[a.name] = e2eDelivery{path: "/webhooks/registry/acr", header: h,
		body: e2eEdit(t, "registry/azure-acr/push.docs-current-redacted.json", map[string]any{
			"target.repository": a.repoPath(), "target.tag": e2eTag, "request.host": e2eACRHost,
		})}

	a, d = img("artifactory")
	h = e2eJSONHeader()
	h.Set("X-JFrog-Event-Auth", e2eJFrogToken)
	out[a.name] = e2eDelivery{path: "/webhooks/registry/artifactory", header: h,
		body: e2eEdit(t, "registry/jfrog-artifactory/MODIFIED.DERIVED.docker.pushed.envelope.origin.json", map[string]any{
			"data.repo_key": "docker-local", "data.image_name": "acme/artifactory-app", "data.tag": e2eTag,
			"data.sha256": strings.TrimPrefix(d, "sha256:"), "data.name": "manifest.json",
			"data.path":  "acme/artifactory-app/" + e2eTag + "/manifest.json",
			"jpd_origin": "https://" + e2eJFrogHost,
		})}

	a, _ = img("nexus")
	body := e2eEdit(t, "registry/sonatype-nexus/SYNTHETIC.repository.component.created.docker.json", map[string]any{
		"component.name": a.repoPath(), "component.version": e2eTag,
	})
	h = e2eJSONHeader()
	h.Set("X-Nexus-Webhook-Id", "rm:repository:component")
	h.Set("X-Nexus-Webhook-Delivery", e2eID())
	h.Set("X-Nexus-Webhook-Signature", e2eHMAC(sha1.New, e2eNexusSecret, body))
	out[a.name] = e2eDelivery{path: "/webhooks/registry/nexus", header: h, body: body}

	a, _ = img("generic")
	out[a.name] = e2eGeneric(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, a.image, e2eTag, e2eWrongDigest))

	a, d = img("ghcr")
	const pv = "registry_package.package_version."
	out[a.name] = e2eGitHub("registry_package", e2eID(), e2eEdit(t, "github/registry_package/MODIFIED.published.docker.tagged.json", map[string]any{
		"registry_package.name":      "ghcr-app",
		"registry_package.namespace": "Acme/ghcr-app",
		// GitHub logins have capitals; GHCR image names do not.
		"registry_package.owner.login":       "Acme",
		pv + "version":                       d,
		pv + "name":                          d,
		pv + "container_metadata.tag.name":   e2eTag,
		pv + "container_metadata.tag.digest": d,
		pv + "package_url":                   a.image + ":" + e2eTag,
	}))
	return out
}

func e2eJSONHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// e2eGeneric signs body for the generic route.
func e2eGeneric(body []byte) e2eDelivery {
	h := e2eJSONHeader()
	h.Set("X-Stagehand-Signature-256", "sha256="+e2eHMAC(sha256.New, e2eGenericSecret, body))
	return e2eDelivery{path: "/webhooks/registry/generic", header: h, body: body}
}

// e2eGitHub is a GitHub App delivery of event, signed with the webhook secret.
func e2eGitHub(event, id string, body []byte) e2eDelivery {
	h := e2eJSONHeader()
	h.Set("User-Agent", "GitHub-Hookshot/e2e")
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", id)
	h.Set("X-Hub-Signature-256", "sha256="+e2eHMAC(sha256.New, e2eGitHubSecret, body))
	return e2eDelivery{path: "/webhooks/github", header: h, body: body}
}

// googleToken is the OIDC JWT a Pub/Sub push subscription sends, issued at iat.
func (w *e2eWorld) googleToken(t *testing.T, audience string, iat time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: w.google},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", e2eGARKid))
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
		Email: e2eGARAccount, EmailVerified: true, AZP: "113774264463038321964",
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// e2eJWKSHandler serves key as Google serves its signing keys.
func e2eJWKSHandler(t *testing.T, key *rsa.PublicKey) http.Handler {
	t.Helper()
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: e2eGARKid, Algorithm: string(jose.RS256), Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(set)
	})
}

// e2eEdit reads a payload from testdata/webhook and sets fields in it; a
// path is dot-separated, with numbers indexing arrays ("events.0.target.tag").
func e2eEdit(t *testing.T, file string, edits map[string]any) []byte {
	t.Helper()
	data, err := os.ReadFile(e2eTestdata + file)
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

func e2eHMAC(newHash func() hash.Hash, key string, body []byte) string {
	m := hmac.New(newHash, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// e2eID is a delivery id in GitHub's shape (a UUID).
func e2eID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// e2eBuffer is an io.Writer that the server writes and the test reads at once.
type e2eBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *e2eBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *e2eBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// eventually polls cond until it holds or e2eDeadline passes; cond returns
// what it saw, for the failure message.
func (w *e2eWorld) eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(e2eDeadline)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after %s; last saw: %s\nserver log:\n%s", what, e2eDeadline, saw, w.stderr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// metrics reads /metrics as a map from series ("name{l1="v1",l2="v2"}",
// labels sorted) to value.
func (w *e2eWorld) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := w.client.Get(w.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// e2eSeries names a series the way /metrics prints it.
func e2eSeries(name string, labels ...string) string {
	var kv []string
	for i := 0; i+1 < len(labels); i += 2 {
		kv = append(kv, labels[i]+"="+strconv.Quote(labels[i+1]))
	}
	slices.Sort(kv)
	return name + "{" + strings.Join(kv, ",") + "}"
}

// e2eDeliveryCounts returns stagehand_deliveries_total as "source outcome" → count.
func e2eDeliveryCounts(m map[string]float64) map[string]int {
	out := map[string]int{}
	for series, v := range m {
		rest, ok := strings.CutPrefix(series, "stagehand_deliveries_total{")
		if !ok {
			continue
		}
		labels := map[string]string{}
		for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
			k, val, _ := strings.Cut(kv, "=")
			labels[k], _ = strconv.Unquote(val)
		}
		out[labels["source"]+" "+labels["outcome"]] = int(v)
	}
	return out
}

// logged reports whether a JSON log line of the server has every field of want.
func (w *e2eWorld) logged(want map[string]string) bool {
	for _, line := range strings.Split(w.stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		match := true
		for k, v := range want {
			if got, _ := rec[k].(string); got != v {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// prOf returns the newest pull request of branch, if any.
func (w *e2eWorld) prOf(branch string) (pr githubfake.PullRequest, ok bool) {
	for _, p := range w.gh.PullRequests() {
		if p.Head == branch && p.Number > pr.Number {
			pr, ok = p, true
		}
	}
	return pr, ok
}

// checkPinned checks what a user checks once a push has gone through: the
// merged staging PR (labels, marker) and the overlay on main pinning the tag
// and the digest the registry has.
func (w *e2eWorld) checkPinned(t *testing.T, a e2eApp, stage string) githubfake.PullRequest {
	t.Helper()
	want := w.digests[a.name]
	branch := promote.Branch(a.name, stage)
	pr, ok := w.prOf(branch)
	if !ok {
		t.Errorf("%s: no pull request from %s", a.name, branch)
		return pr
	}
	if !pr.Merged || pr.State != "closed" || pr.Base != "main" {
		t.Errorf("%s: PR #%d is %s, merged=%v, into %s; want merged into main", a.name, pr.Number, pr.State, pr.Merged, pr.Base)
	}
	for _, l := range promote.Labels(a.name, stage) {
		if !slices.Contains(pr.Labels, l) {
			t.Errorf("%s: PR #%d labels %v lack %q", a.name, pr.Number, pr.Labels, l)
		}
	}
	m, ok, err := promote.ParseMarker(pr.Body)
	if err != nil || !ok {
		t.Errorf("%s: PR #%d has no stagehand marker (%v):\n%s", a.name, pr.Number, err, pr.Body)
	} else if m.App != a.name || m.Stage != stage || m.Image != a.image || m.Tag != e2eTag || m.Digest != want {
		t.Errorf("%s: PR #%d marker %+v; want %s %s %s:%s@%s", a.name, pr.Number, m, a.name, stage, a.image, e2eTag, want)
	}
	file := path.Join("apps", a.name, "overlays", stage, "kustomization.yaml")
	data, err := w.gh.FileAt("main", file)
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := manifest.Current(file, data, a.image)
	if err != nil {
		t.Fatal(err)
	}
	if pinned.Tag != e2eTag || pinned.Digest != want {
		t.Errorf("%s: main pins %s@%s in %s; want %s@%s (the registry's digest)", a.name, pinned.Tag, pinned.Digest, file, e2eTag, want)
	}
	return pr
}

// TestServeEveryVendorEndsAsMergedPR sends each sender's push notification
// to a running stagehand and checks that each ends as a merged staging PR
// pinning the registry's digest, whatever digest the payload claimed; the
// same GitHub delivery sent twice is worked once.
func TestServeEveryVendorEndsAsMergedPR(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.Schema(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			e2eEveryVendor(t, db.url(t))
		})
	}
}

func e2eEveryVendor(t *testing.T, database string) {
	w := e2eStart(t, e2eOptions{database: database})
	ds := w.deliveries(t)
	for _, a := range w.apps {
		code, answer := w.send(t, ds[a.name])
		if code != http.StatusAccepted || answer != "accepted" {
			t.Errorf("%s: %d %q, want 202 accepted", a.name, code, answer)
		}
	}
	// GitHub redelivers with the same id: acknowledged, not worked again.
	if code, answer := w.send(t, ds["ghcr"]); code != http.StatusAccepted || !strings.Contains(answer, "duplicate") {
		t.Errorf("ghcr delivered again: %d %q, want 202 saying duplicate", code, answer)
	}

	// GitHub tells stagehand of each merge; stagehand removes the branch and
	// moves the image on: preprod is a pull-request stage, so its PR opens.
	w.eventually(t, "every app's staging PR merged, its branch gone, and its preprod PR open", func() (bool, string) {
		var waiting []string
		for _, a := range w.apps {
			pr, ok := w.prOf(promote.Branch(a.name, "staging"))
			_, branchErr := w.gh.Head(promote.Branch(a.name, "staging"))
			pre, preOK := w.prOf(promote.Branch(a.name, "preprod"))
			if !ok || !pr.Merged || branchErr == nil || !preOK || pre.State != "open" {
				waiting = append(waiting, a.name)
			}
		}
		return len(waiting) == 0, "not yet: " + strings.Join(waiting, ", ")
	})
	for _, a := range w.apps {
		w.checkPinned(t, a, "staging")
	}
	if n := len(w.gh.PullRequests()); n != 2*len(w.apps) {
		t.Errorf("%d pull requests, want two per app (%d): staging, merged, and preprod, open", n, 2*len(w.apps))
	}

	// What Argo CD would deploy from main.
	dir := t.TempDir()
	if err := w.gh.Checkout("main", dir); err != nil {
		t.Fatal(err)
	}
	for _, a := range w.apps {
		got, err := demo.RenderImage(dir, path.Join("apps", a.name, "overlays", "staging"), a.name)
		if err != nil {
			t.Fatal(err)
		}
		if want := a.image + ":" + e2eTag + "@" + w.digests[a.name]; got != want {
			t.Errorf("%s: staging renders %s, want %s", a.name, got, want)
		}
	}

	// The registry won over the payloads that claimed another digest, and
	// the log says so.
	for _, name := range []string{"harbor-ce", "generic"} {
		if !w.logged(map[string]string{"msg": "the payload's digest differs from the registry's; the registry wins",
			"image": w.app(name).image, "payload_digest": e2eWrongDigest, "digest": w.digests[name]}) {
			t.Errorf("%s: no warning that the payload's digest %s lost to the registry's", name, e2eWrongDigest)
		}
	}

	pushJobs := e2eSeries("stagehand_jobs_total", "kind", "push", "outcome", "ok")
	w.eventually(t, "one push job per app, and nothing left to do", func() (bool, string) {
		m := w.metrics(t)
		return m[pushJobs] == float64(len(w.apps)) && m["stagehand_queue_depth"] == 0, fmt.Sprintf("%s %v, depth %v", pushJobs, m[pushJobs], m["stagehand_queue_depth"])
	})
	m := w.metrics(t)
	got := e2eDeliveryCounts(m)
	want := map[string]int{"github duplicate": 1}
	for _, a := range w.apps {
		want[a.source+" accepted"]++
	}
	// GitHub's own deliveries (merges, pushes, stagehand's comments) come
	// on top of the test's one GHCR push: accepted or ignored, never refused.
	for k, v := range got {
		if strings.HasPrefix(k, "github ") && k != "github duplicate" {
			if k != "github accepted" && k != "github ignored" {
				t.Errorf("GitHub's own deliveries: %s %d", k, v)
			}
			delete(got, k)
		}
	}
	delete(want, "github accepted")
	if !maps.Equal(got, want) {
		t.Errorf("stagehand_deliveries_total: %v, want %v", got, want)
	}
	if v := m[e2eSeries("stagehand_promotions_total", "stage", "staging", "result", "merged")]; v != float64(len(w.apps)) {
		t.Errorf("staging merges counted: %v, want %d", v, len(w.apps))
	}
	for series, v := range m {
		if strings.HasPrefix(series, "stagehand_jobs_total{") && !strings.Contains(series, `outcome="ok"`) {
			t.Errorf("a job did not go well: %s %v", series, v)
		}
	}
	w.eventually(t, "the queue drained", func() (bool, string) {
		v := w.metrics(t)["stagehand_queue_depth"]
		return v == 0, fmt.Sprintf("stagehand_queue_depth %v", v)
	})
}

// TestServeRefusalsWriteNothing sends what stagehand must refuse, each with
// its documented answer, then vendor examples whose digests are
// placeholders; nothing reaches the config repository.
func TestServeRefusalsWriteNothing(t *testing.T) {
	t.Parallel()
	w := e2eStart(t, e2eOptions{})
	head, err := w.gh.Head("main")
	if err != nil {
		t.Fatal(err)
	}
	ds := w.deliveries(t)
	without := func(vendor, header string) e2eDelivery {
		d := ds[vendor].clone()
		d.header.Del(header)
		return d
	}
	withHeader := func(d e2eDelivery, k, v string) e2eDelivery {
		d = d.clone()
		d.header.Set(k, v)
		return d
	}
	// formEncoded is what a hook set to application/x-www-form-urlencoded
	// sends: payload=<the JSON>, signed as such.
	formEncoded := func(d e2eDelivery) e2eDelivery {
		body := []byte("payload=" + url.QueryEscape(string(d.body)))
		f := e2eGitHub(d.header.Get("X-GitHub-Event"), e2eID(), body)
		f.header.Set("Content-Type", "application/x-www-form-urlencoded")
		return f
	}
	tampered := ds["ghcr"].clone()
	tampered.body = bytes.Replace(tampered.body, []byte(`"name":"1.0.0"`), []byte(`"name":"9.9.9"`), 1)
	if bytes.Equal(tampered.body, ds["ghcr"].body) {
		t.Fatal("the ghcr delivery has no tag to tamper with")
	}
	dockerhubNoToken := ds["dockerhub"].clone()
	dockerhubNoToken.path = "/webhooks/registry/dockerhub"
	dockerhubWrongToken := ds["dockerhub"].clone()
	dockerhubWrongToken.path = "/webhooks/registry/dockerhub/guessed-token"
	quayNoToken := ds["quay"].clone()
	quayNoToken.path = "/webhooks/registry/quay"
	garHeader := "Bearer " + w.googleToken(t, "https://elsewhere.example/push", time.Now())
	garExpired := "Bearer " + w.googleToken(t, e2eGARAudience, time.Now().Add(-3*time.Hour))
	huge := e2eGeneric(fmt.Appendf(nil, `{"image":%q,"tag":"1.0.0","digest":"","pad":%q}`, w.app("generic").image, strings.Repeat("x", 1<<20)))
	unknown := ds["generic"].clone()
	unknown.path = "/webhooks/registry/gitea"
	redacted := "sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx" // ACR's documentation
	harborRedacted := ds["harbor"].clone()
	harborRedacted.body = bytes.Replace(harborRedacted.body, []byte(w.digests["harbor"]), []byte(redacted), 1)

	refusals := []struct {
		name     string
		d        e2eDelivery
		code     int
		counted  string // "source outcome" in stagehand_deliveries_total
		response string // part of the answer
	}{
		{"github: signature of another body", tampered, 401, "github unauthorized", "X-Hub-Signature-256 does not match"},
		{"github: no signature", without("ghcr", "X-Hub-Signature-256"), 401, "github unauthorized", "missing X-Hub-Signature-256"},
		{"github: not JSON", e2eGitHub("registry_package", e2eID(), []byte("payload=%7B%7D")), 400, "github malformed", "not a JSON object"},
		{"github: form encoded", formEncoded(ds["ghcr"]), 400, "github malformed", `Content-Type "application/x-www-form-urlencoded" is not application/json`},
		{"dockerhub: no token", dockerhubNoToken, 401, "dockerhub unauthorized", "missing token"},
		{"dockerhub: wrong token", dockerhubWrongToken, 401, "dockerhub unauthorized", "does not match"},
		{"quay: no token", quayNoToken, 401, "quay unauthorized", "missing token"},
		{"distribution: no Authorization", without("distribution", "Authorization"), 401, "distribution unauthorized", "missing Authorization"},
		{"harbor: no Authorization", without("harbor", "Authorization"), 401, "harbor unauthorized", "missing Authorization"},
		{"harbor: wrong Authorization", withHeader(ds["harbor"], "Authorization", "Basic Z3Vlc3M6Z3Vlc3M="), 401, "harbor unauthorized", "does not match"},
		{"gar: no token", without("gar", "Authorization"), 401, "gar unauthorized", "missing Authorization"},
		{"gar: wrong audience", withHeader(ds["gar"], "Authorization", garHeader), 401, "gar unauthorized", "aud"},
		{"gar: expired token", withHeader(ds["gar"], "Authorization", garExpired), 401, "gar unauthorized", "exp"},
		{"ecr: no API key", without("ecr", "X-Stagehand-Key"), 401, "ecr unauthorized", "missing X-Stagehand-Key"},
		{"acr: no custom header", without("acr", e2eACRHeader), 401, "acr unauthorized", "missing " + e2eACRHeader},
		{"artifactory: no token", without("artifactory", "X-JFrog-Event-Auth"), 401, "artifactory unauthorized", "missing X-JFrog-Event-Auth"},
		{"nexus: no signature", without("nexus", "X-Nexus-Webhook-Signature"), 401, "nexus unauthorized", "missing X-Nexus-Webhook-Signature"},
		{"nexus: signature of another body", withHeader(ds["nexus"], "X-Nexus-Webhook-Signature", e2eHMAC(sha1.New, e2eNexusSecret, []byte("{}"))), 401, "nexus unauthorized", "HMAC-SHA1"},
		{"generic: no signature", without("generic", "X-Stagehand-Signature-256"), 401, "generic unauthorized", "missing X-Stagehand-Signature-256"},
		{"generic: over the size limit", huge, 413, "generic too_large", "too large"},
		{"generic: not JSON", e2eGeneric([]byte(`{"image": "ci.acme.test/acme/generic-app", "tag": `)), 400, "generic malformed", "not {"},
		{"generic: text/plain, not JSON", withHeader(e2eGeneric([]byte("image=ci.acme.test/acme/generic-app tag=1.0.0")), "Content-Type", "text/plain"), 400, "generic malformed", `Content-Type "text/plain" is not application/json`},
		{"unknown vendor", unknown, 404, "unknown unknown_vendor", "no registry route"},
		// Authentic, but unusable: acknowledged, so that Harbor does not
		// retry it for ever, and ignored, with the reason.
		{"harbor: placeholder digest", harborRedacted, 202, "harbor ignored", "is not sha256:<64 lowercase hex>"},
	}
	want := map[string]int{}
	for _, r := range refusals {
		code, answer := w.send(t, r.d)
		if code != r.code || !strings.Contains(answer, r.response) {
			t.Errorf("%s: %d %q, want %d with %q", r.name, code, answer, r.code, r.response)
		}
		for _, s := range e2eSecrets {
			if strings.Contains(answer, s) {
				t.Errorf("%s: the answer repeats the secret %q", r.name, s)
			}
		}
		want[r.counted]++
	}

	unchanged := func(when string) {
		t.Helper()
		now, err := w.gh.Head("main")
		if err != nil || now != head {
			t.Fatalf("%s: main moved from %s to %s (%v)", when, head, now, err)
		}
		if prs := w.gh.PullRequests(); len(prs) != 0 {
			t.Fatalf("%s: %d pull request(s) opened: %+v", when, len(prs), prs)
		}
	}
	m := w.metrics(t)
	if got := e2eDeliveryCounts(m); !maps.Equal(got, want) {
		t.Errorf("stagehand_deliveries_total after the refusals:\n got %v\nwant %v", got, want)
	}
	for series, v := range m {
		if strings.HasPrefix(series, "stagehand_jobs_total{") && !strings.Contains(series, `kind="prune"`) {
			t.Errorf("a job ran after refusals only: %s %v", series, v)
		}
	}
	for range 20 { // settle: anything queued would have moved main by now
		unchanged("after the refusals")
		time.Sleep(25 * time.Millisecond)
	}

	// Vendor documentation examples, unchanged, whose digests are
	// placeholders. These vendors' own examples carry them, so the push is
	// accepted and resolved by tag alone (the vendor test pins the
	// registry's digest from ECR's and ACR's placeholders); these images are
	// no app's, so nothing changes.
	h := func(k, v string) http.Header {
		h := e2eJSONHeader()
		h.Set(k, v)
		return h
	}
	examples := []struct {
		name, vendor string
		d            e2eDelivery
	}{
		{"ECR's 60-hex digest", "ecr", e2eDelivery{"/webhooks/registry/ecr", h("X-Stagehand-Key", e2eECRKey), e2eEdit(t, "registry/aws-ecr/image_action.push.docs.json", nil)}},
		{"ACR's redacted xxxx digest", "acr", e2eDelivery{"/webhooks/registry/acr", h(e2eACRHeader, e2eACRValue), e2eEdit(t, "registry/azure-acr/push.docs-current-redacted.json", nil)}},
		{"GAR's truncated digest", "gar", e2eDelivery{"/webhooks/registry/gar", h("Authorization", "Bearer "+w.googleToken(t, e2eGARAudience, time.Now())),
			e2eEdit(t, "registry/google-artifact-registry/DERIVED.pubsub-push-envelope.ar-insert-with-tag.json", nil)}},
	}
	for _, ex := range examples {
		if code, answer := w.send(t, ex.d); code != http.StatusAccepted || answer != "accepted" {
			t.Errorf("%s: %d %q, want 202 accepted", ex.name, code, answer)
		}
		want[ex.vendor+" accepted"]++
	}
	pushJobs := e2eSeries("stagehand_jobs_total", "kind", "push", "outcome", "ok")
	w.eventually(t, "the examples' pushes worked", func() (bool, string) {
		n := w.metrics(t)[pushJobs]
		return n == float64(len(examples)), fmt.Sprintf("%s %v", pushJobs, n)
	})
	m = w.metrics(t)
	if got := e2eDeliveryCounts(m); !maps.Equal(got, want) {
		t.Errorf("stagehand_deliveries_total after the examples:\n got %v\nwant %v", got, want)
	}
	if v := m[e2eSeries("stagehand_promotions_total", "stage", "", "result", "ignored")]; v != float64(len(examples)) {
		t.Errorf("pushes of no app's image counted as ignored: %v, want %d", v, len(examples))
	}
	unchanged("after the examples")
}

// TestServeChecksRetryAutoMergeAndMergesAreRecorded: with a required check
// on main, a push opens a staging PR that waits; the status event after CI
// passes gets it merged. A merged stagehand PR's pull_request event records
// the stage and removes the branch.
func TestServeChecksRetryAutoMergeAndMergesAreRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := e2eStart(t, e2eOptions{requiredChecks: []string{"ci"}})
	a := w.app("generic")
	staging, preprod := promote.Branch(a.name, "staging"), promote.Branch(a.name, "preprod")
	if code, answer := w.send(t, w.deliveries(t)[a.name]); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.eventually(t, "the push worked", w.jobsDone(t, "push", 1))
	pr, ok := w.prOf(staging)
	if !ok || pr.State != "open" || pr.Merged {
		t.Fatalf("want the staging PR open and waiting for ci; got %+v (found %v)", pr, ok)
	}

	// CI passes on the PR's head; GitHub sends the status event, which names
	// the PR's branch.
	w.gh.SetStatus(pr.HeadSHA, "ci", "success")
	if code, answer := w.send(t, w.statusEvent(t, pr.HeadSHA, staging)); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("status: %d %q", code, answer)
	}
	w.eventually(t, "the staging PR merged once ci passed", func() (bool, string) {
		pr, _ := w.prOf(staging)
		return pr.Merged, pr.State
	})
	pr = w.checkPinned(t, a, "staging")

	// The merge moved the image on to preprod; a release manager's CLI
	// promotion goes through the same queue and finds it proposed. A person
	// merges once CI passes.
	w.eventually(t, "the preprod PR the merge opened", func() (bool, string) {
		pre, ok := w.prOf(preprod)
		return ok && pre.State == "open", pre.State
	})
	var out, errOut e2eBuffer
	if code := run(ctx, append([]string{"promote", "--app", a.name, "--to", "preprod", "--database-url", w.database}, w.githubFlags()...), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "preprod: unchanged") {
		t.Fatalf("promote: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	pre, ok := w.prOf(preprod)
	if !ok {
		t.Fatalf("no preprod PR after promote:\n%s", out.String())
	}
	w.gh.SetStatus(pre.HeadSHA, "ci", "success")
	if _, err := w.gh.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	pre, _ = w.prOf(preprod)
	// GitHub tells stagehand of the merge; stagehand removes the branch.
	w.eventually(t, "the preprod merge worked", func() (bool, string) {
		_, err := w.gh.Head(preprod)
		return err != nil, "branch " + preprod + " still there"
	})
	// GitHub's news of a merge sent again is taken in stride.
	for _, p := range []githubfake.PullRequest{pr, pre} {
		if code, answer := w.send(t, w.prClosed(t, p)); code != http.StatusAccepted || answer != "accepted" {
			t.Fatalf("pull_request closed #%d again: %d %q", p.Number, code, answer)
		}
	}

	// The record of what each stage runs outlives the process.
	w.stop(t)
	d, err := db.Open(ctx, w.database, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	records := store.New(d)
	for _, p := range []struct {
		stage string
		pr    githubfake.PullRequest
	}{{"staging", pr}, {"preprod", pre}} {
		m, ok, err := records.LastMerge(ctx, a.name, p.stage)
		switch {
		case err != nil || !ok:
			t.Errorf("%s: no record (%v)", p.stage, err)
		case m.PR != p.pr.Number || m.Tag != e2eTag || m.Digest != w.digests[a.name] || m.Image != a.image ||
			m.MergeSHA != p.pr.MergeSHA || m.MergedBy != p.pr.MergedBy:
			t.Errorf("%s: recorded %+v; want PR #%d %s:%s@%s merged as %s by %s", p.stage, m, p.pr.Number, a.image, e2eTag, w.digests[a.name], p.pr.MergeSHA, p.pr.MergedBy)
		}
	}
	if pre.MergedBy != "octocat" {
		t.Errorf("preprod PR merged by %q, want octocat", pre.MergedBy)
	}
}

// jobsDone is a condition: n jobs of kind have finished well.
func (w *e2eWorld) jobsDone(t *testing.T, kind string, n int) func() (bool, string) {
	series := e2eSeries("stagehand_jobs_total", "kind", kind, "outcome", "ok")
	return func() (bool, string) {
		v := w.metrics(t)[series]
		return v == float64(n), fmt.Sprintf("%s %v", series, v)
	}
}

// statusEvent is GitHub's status delivery for a successful "ci" status on
// sha, which heads branch.
func (w *e2eWorld) statusEvent(t *testing.T, sha, branch string) e2eDelivery {
	t.Helper()
	commit := map[string]any{"sha": sha, "url": w.gh.URL() + "/repos/acme/config/commits/" + sha}
	return e2eGitHub("status", e2eID(), e2eEdit(t, "github/status/payload.json", map[string]any{
		"sha": sha, "name": "acme/config", "context": "ci", "state": "success", "commit.sha": sha,
		"branches":        []any{map[string]any{"name": branch, "commit": commit, "protected": false}},
		"repository.name": "config", "repository.full_name": "acme/config", "installation": map[string]any{"id": w.gh.InstallationID()},
	}))
}

// prClosed is GitHub's pull_request "closed" delivery for pr as it is now.
func (w *e2eWorld) prClosed(t *testing.T, pr githubfake.PullRequest) e2eDelivery {
	t.Helper()
	labels := []any{}
	for _, l := range pr.Labels {
		labels = append(labels, map[string]any{"name": l, "color": "ededed", "default": false})
	}
	const p = "pull_request."
	return e2eGitHub("pull_request", e2eID(), e2eEdit(t, "github/pull_request/closed.payload.json", map[string]any{
		"number": pr.Number, p + "number": pr.Number, p + "state": "closed",
		p + "title": pr.Title, p + "body": pr.Body, p + "labels": labels,
		p + "merged": pr.Merged, p + "merged_at": time.Now().UTC().Format(time.RFC3339),
		p + "merge_commit_sha": pr.MergeSHA,
		p + "merged_by":        map[string]any{"login": pr.MergedBy, "id": 583231, "type": "User"},
		p + "head.ref":         pr.Head, p + "head.sha": pr.HeadSHA, p + "base.ref": pr.Base,
		"repository.name": "config", "repository.full_name": "acme/config", "installation": map[string]any{"id": w.gh.InstallationID()},
	}))
}

// TestServeRefusesToStart: serve names every problem with its settings at
// once, exits without listening, and repeats no secret.
func TestServeRefusesToStart(t *testing.T) {
	t.Parallel()
	appKey, err := e2eAppKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := githubfake.NewTest(t, githubfake.Options{SeedFiles: map[string][]byte{"README.md": []byte("config\n")}, AppKey: &appKey.PublicKey})
	dir := t.TempDir()
	goodKey := filepath.Join(dir, "app.pem")
	badKey := filepath.Join(dir, "bad.pem")
	for file, data := range map[string][]byte{
		goodKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}),
		badKey:  []byte("-----BEGIN RSA PRIVATE KEY-----\nkey-SECRET-e2e\n-----END RSA PRIVATE KEY-----\n"),
	} {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	missingDir := filepath.Join(dir, "no", "such", "dir")
	const dbPassword = "db-password-SECRET-e2e"

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{{
		name: "four problems",
		args: []string{
			"--github-webhook-secret=", "--github-app-id=", "--github-private-key-file", badKey,
			"--config-repo", "acme/config", "--database-url", filepath.Join(missingDir, "stagehand.db"),
		},
		code: exitUsage,
		stderr: []string{
			"the GitHub webhook secret is empty",
			"the GitHub App ID is not set",
			"the App's private key is not an RSA private key in PEM",
			"cannot open the database: sqlite " + filepath.Join(missingDir, "stagehand.db"),
		},
	}, {
		name: "a database that refuses connections",
		args: []string{
			"--github-webhook-secret", e2eGitHubSecret, "--github-api-url", gh.URL(), "--github-app-id", "1",
			"--github-private-key-file", goodKey, "--config-repo", "acme/config",
			"--database-url", "postgres://stagehand:" + dbPassword + "@127.0.0.1:1/stagehand?sslmode=disable&connect_timeout=10",
		},
		code:   exitFailed,
		stderr: []string{"cannot start: cannot open the database: postgres 127.0.0.1:1/stagehand"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr e2eBuffer
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--reconcile-interval", "0", "--generic-secret", e2eGenericSecret}, tt.args...)
			code := run(context.Background(), args, &stdout, &stderr)
			if code != tt.code || stdout.String() != "" {
				t.Errorf("exit %d, stdout %q; want exit %d and nothing on stdout\nstderr: %s", code, stdout.String(), tt.code, stderr.String())
			}
			for _, want := range tt.stderr {
				if strings.Count(stderr.String(), want) != 1 {
					t.Errorf("stderr does not name %q once:\n%s", want, stderr.String())
				}
			}
			for _, secret := range append(e2eSecrets, "key-SECRET-e2e", dbPassword) {
				if strings.Contains(stderr.String(), secret) {
					t.Errorf("stderr repeats the secret %q:\n%s", secret, stderr.String())
				}
			}
		})
	}
	if _, err := os.Stat(missingDir); err == nil {
		t.Errorf("a refused start created %s", missingDir)
	}
}

// TestServeTagPushedAgain: a registry retry of a notification that names
// its digest is acknowledged as a duplicate, but Quay's notification for a
// tag pushed again is the same body as the first and must be worked again:
// the new digest is pinned.
func TestServeTagPushedAgain(t *testing.T) {
	t.Parallel()
	w := e2eStart(t, e2eOptions{})
	ds := w.deliveries(t)
	// merged waits for a staging PR of app newer than #after to be merged.
	merged := func(app string, after int) func() (bool, string) {
		return func() (bool, string) {
			pr, _ := w.prOf(promote.Branch(app, "staging"))
			return pr.Merged && pr.Number > after, fmt.Sprintf("#%d merged=%v", pr.Number, pr.Merged)
		}
	}
	for _, app := range []string{"quay", "harbor"} {
		if code, answer := w.send(t, ds[app]); code != http.StatusAccepted || answer != "accepted" {
			t.Fatalf("%s: %d %q", app, code, answer)
		}
		w.eventually(t, app+"'s first push merged", merged(app, 0))
	}
	firstQuay, _ := w.prOf(promote.Branch("quay", "staging"))
	if code, answer := w.send(t, ds["harbor"]); code != http.StatusAccepted || !strings.Contains(answer, "duplicate") {
		t.Errorf("harbor's notification again: %d %q, want 202 saying duplicate", code, answer)
	}

	quay := w.app("quay")
	first := w.digests[quay.name]
	w.digests[quay.name] = w.push(t, quay, e2eTag)
	if code, answer := w.send(t, ds["quay"]); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("quay after %s was pushed again: %d %q, want 202 accepted", e2eTag, code, answer)
	}
	w.eventually(t, "the tag pushed again merged", merged(quay.name, firstQuay.Number))
	w.checkPinned(t, quay, "staging") // the new digest, not the first
	if first == w.digests[quay.name] {
		t.Fatal("the image pushed again has the first one's digest")
	}
	staging := 0
	for _, pr := range w.gh.PullRequests() {
		if strings.HasSuffix(pr.Head, "/staging") {
			staging++
		}
	}
	if staging != 3 {
		t.Errorf("%d staging pull requests, want 3: one per push worked", staging)
	}
}

// TestServeStopLetsRunningWorkFinish stops serve as SIGTERM does while a
// job is merging a PR: the job finishes its work (the merge is reported and
// the branch removed) before serve exits cleanly.
func TestServeStopLetsRunningWorkFinish(t *testing.T) {
	t.Parallel()
	merging, release := make(chan struct{}), make(chan struct{})
	var mergingOnce, releaseOnce sync.Once
	w := e2eStart(t, e2eOptions{githubVia: func(gh http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/merge") {
				mergingOnce.Do(func() { close(merging) })
				<-release
			}
			// GitHub completes a request whose caller has hung up.
			gh.ServeHTTP(rw, r.WithContext(context.WithoutCancel(r.Context())))
		})
	}})
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })

	a := w.app("generic")
	if code, answer := w.send(t, w.deliveries(t)[a.name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	select {
	case <-merging:
	case <-time.After(e2eDeadline):
		t.Fatalf("stagehand never merged:\n%s", w.stderr)
	}
	w.cancel() // SIGTERM, while the merge is in flight
	releaseOnce.Do(func() { close(release) })
	w.stop(t)

	branch := promote.Branch(a.name, "staging")
	if !w.logged(map[string]string{"msg": "merged", "app": a.name}) {
		t.Errorf("the log does not report the merge the job was making:\n%s", w.stderr)
	}
	if _, err := w.gh.Head(branch); err == nil {
		t.Errorf("branch %s is left behind: the job was cut short", branch)
	}
	w.checkPinned(t, a, "staging")
}

// TestServeMergeChainsToTheNextStage: GitHub tells stagehand a staging PR
// was merged, and preprod's PR opens with the same digest; once preprod is
// merged, prod is manual, so stagehand says on the PR how to promote it.
func TestServeMergeChainsToTheNextStage(t *testing.T) {
	t.Parallel()
	w := e2eStart(t, e2eOptions{})
	a := w.app("generic")
	staging, preprod := promote.Branch(a.name, "staging"), promote.Branch(a.name, "preprod")
	if code, answer := w.send(t, w.deliveries(t)[a.name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.eventually(t, "the staging PR merged", func() (bool, string) {
		pr, _ := w.prOf(staging)
		return pr.Merged, pr.State
	})
	pr := w.checkPinned(t, a, "staging")
	if code, answer := w.send(t, w.prClosed(t, pr)); code != http.StatusAccepted {
		t.Fatalf("pull_request closed: %d %q", code, answer)
	}
	w.eventually(t, "preprod's PR opened", func() (bool, string) {
		pre, ok := w.prOf(preprod)
		return ok && pre.State == "open", fmt.Sprint(ok)
	})
	pre, _ := w.prOf(preprod)
	m, ok, err := promote.ParseMarker(pre.Body)
	if err != nil || !ok || m.Digest != w.digests[a.name] || m.From != "staging" {
		t.Fatalf("preprod PR proposes %+v (%v), want %s from staging", m, err, w.digests[a.name])
	}
	if _, err := w.gh.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	pre, _ = w.prOf(preprod)
	if code, answer := w.send(t, w.prClosed(t, pre)); code != http.StatusAccepted {
		t.Fatalf("pull_request closed: %d %q", code, answer)
	}
	w.eventually(t, "word on the merged preprod PR of how to promote to prod", func() (bool, string) {
		note := w.lastComment(pre.Number)
		return strings.Contains(note, "prod is a manual stage"), note
	})
	if _, ok := w.prOf(promote.Branch(a.name, "prod")); ok {
		t.Fatal("a PR was opened for the manual prod stage")
	}
}

// comment is login commenting body on issue or PR number, as a person
// does on GitHub: GitHub delivers the issue_comment event to stagehand, and
// comment returns stagehand's answer to that delivery and the newest reply
// of stagehand's on the thread, once one comes after the comment.
func (w *e2eWorld) comment(t *testing.T, number int, login, body string) (status int, reply string) {
	t.Helper()
	before := len(w.gh.CommentsOn(number))
	id := w.gh.AddComment(number, login, body)
	if id == 0 {
		t.Fatalf("no issue or PR #%d to comment on", number)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eDeadline)
	defer cancel()
	if err := w.gh.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range w.gh.Deliveries() {
		var p struct {
			Comment struct{ ID int64 } `json:"comment"`
		}
		if d.Event == "issue_comment" && json.Unmarshal(d.Payload, &p) == nil && p.Comment.ID == id {
			status = d.Status
		}
	}
	if status != http.StatusAccepted {
		return status, ""
	}
	w.eventually(t, fmt.Sprintf("a reply to %q", body), func() (bool, string) {
		cs := w.gh.CommentsOn(number)
		for _, c := range cs[min(before+1, len(cs)):] {
			// stagehand's answer names the commenter; its other notes do not.
			if strings.HasSuffix(c.User, "[bot]") && strings.HasPrefix(c.Body, "@"+login+" ") {
				reply = c.Body
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d comments", len(cs))
	})
	return status, reply
}

// lastComment is the newest comment on a PR.
func (w *e2eWorld) lastComment(number int) string {
	cs := w.gh.CommentsOn(number)
	if len(cs) == 0 {
		return ""
	}
	return cs[len(cs)-1].Body
}

// TestServeCommentCommands: on a merged staging PR, a reader's /promote is
// refused and says why; a writer's opens preprod's PR; /hold stops it and
// /release lets promotions move again. Each comment gets a reaction at once.
func TestServeCommentCommands(t *testing.T) {
	t.Parallel()
	w := e2eStart(t, e2eOptions{})
	a := w.app("generic")
	w.gh.SetPermission("reader", "read")
	w.gh.SetPermission("writer", "write")
	staging, preprod := promote.Branch(a.name, "staging"), promote.Branch(a.name, "preprod")
	if code, answer := w.send(t, w.deliveries(t)[a.name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.eventually(t, "the staging PR merged", func() (bool, string) {
		pr, _ := w.prOf(staging)
		return pr.Merged, pr.State
	})
	pr, _ := w.prOf(staging)
	// The merge moved the image on: preprod is a pull-request stage.
	w.eventually(t, "the preprod PR the merge opened", func() (bool, string) {
		pre, ok := w.prOf(preprod)
		return ok && pre.State == "open", pre.State
	})
	chained, _ := w.prOf(preprod)
	say := func(login, body, want string) {
		t.Helper()
		code, got := w.comment(t, pr.Number, login, body)
		if code != http.StatusAccepted || !strings.Contains(got, want) {
			t.Fatalf("%s by %s: %d, reply %q, want %q", body, login, code, got, want)
		}
	}

	say("reader", "/promote", "@reader may not promote into preprod")
	say("writer", "/hold "+a.name+" preprod waiting for QA", "is held in preprod")
	say("writer", "/promote", "is held in preprod by @writer: waiting for QA")
	say("writer", "/release "+a.name+" preprod", "is released in preprod")
	say("writer", "/promote", "→ preprod: unchanged")
	pre, ok := w.prOf(preprod)
	if !ok || pre.State != "open" || pre.Number != chained.Number {
		t.Fatalf("preprod PR %+v after the writer's /promote; want the one the merge opened, #%d, still open", pre, chained.Number)
	}
	for _, c := range w.gh.CommentsOn(pr.Number) {
		if c.User == "writer" || c.User == "reader" {
			if r := w.gh.Reactions(c.ID); len(r) == 0 {
				t.Errorf("comment %q got no reaction", c.Body)
			}
		}
	}
}
