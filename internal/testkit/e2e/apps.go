package e2e

// What a world is made of before it runs: the credentials serve is started
// with, the hosts the apps' images are named with, one app per sender, and
// the config repository seeded with them. They are fixed, so that a test
// can build what serve must accept or refuse, and check that no secret
// leaks.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Credentials of the test server. Each is distinctive so that the tests can
// check that no answer and no log line ever repeats one.
const (
	GitHubSecret  = "github-hook-SECRET-e2e"
	HubToken      = "hub-token-SECRET-e2e"
	QuayToken     = "quay-token-SECRET-e2e"
	DistAuth      = "Bearer dist-SECRET-e2e"
	HarborAuth    = "Basic harbor-SECRET-e2e"
	ECRKey        = "ecr-key-SECRET-e2e"
	ACRHeader     = "X-Acme-Webhook-Key"
	ACRValue      = "acr-value-SECRET-e2e"
	JFrogToken    = "jfrog-token-SECRET-e2e"
	NexusSecret   = "nexus-SECRET-e2e"
	GenericSecret = "generic-SECRET-e2e"
	// APIToken opens /api/v1 (see World.GetAPI).
	APIToken = "api-token-SECRET-e2e"

	GARAudience = "https://stagehand.acme.test/webhooks/registry/gar"
	GARAccount  = "pubsub-push@acme-prod.iam.gserviceaccount.com"
	garKid      = "e2e-google-key-1"
)

// Secrets are the secret parts of the credentials: what no answer and no
// log line may contain.
var Secrets = []string{GitHubSecret, HubToken, QuayToken, "dist-SECRET-e2e", "harbor-SECRET-e2e",
	ECRKey, ACRValue, JFrogToken, NexusSecret, GenericSecret, APIToken}

// Registry hosts the apps' images are named with. The world's one registry
// stands in for all of them through --registry-mirrors, except for the
// distribution app, which names the world's registry itself.
const (
	HarborHost = "harbor.acme.test"
	GARHost    = "us-docker.pkg.dev"
	ECRHost    = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
	ACRHost    = "acme.azurecr.io"
	JFrogHost  = "artifactory.acme.test"
	NexusHost  = "nexus.acme.test:8443"
	CIHost     = "ci.acme.test"
)

// Pace lifts the pacing of GitHub writes: the stand-in here enforces no
// secondary limits, and a test makes more promotions a minute than GitHub
// would take. Pacing has tests of its own, against a stand-in that does.
const Pace = "1000000/1m"

const (
	// Tag is the tag every app's image is pushed as when the world starts,
	// and the one the deliveries name.
	Tag = "1.0.0"
	// Deadline bounds every wait: generous, a bound for failing, not a
	// speed claim.
	Deadline = 90 * time.Second
)

// WrongDigest is a well-formed digest of no pushed image: what a payload
// that lies about the digest claims.
var WrongDigest = func() string {
	sum := sha256.Sum256([]byte("not the pushed image"))
	return "sha256:" + hex.EncodeToString(sum[:])
}()

// App is one app of the config repository; each sender gets its own.
// Source is the sender as stagehand_deliveries_total labels it.
type App struct{ Name, Source, Image string }

// RepoPath is the image's repository without its host: where the registry
// keeps it.
func (a App) RepoPath() string {
	_, p, _ := strings.Cut(a.Image, "/")
	return p
}

// apps are the world's apps, one per sender; registryHost is the world's
// registry.
func apps(registryHost string) []App {
	return []App{
		{"dockerhub", "dockerhub", "docker.io/acme/dockerhub-app"},
		{"quay", "quay", "quay.io/acme/quay-app"},
		{"distribution", "distribution", registryHost + "/acme/distribution-app"},
		{"harbor", "harbor", HarborHost + "/acme/harbor-app"},
		{"harbor-ce", "harbor", HarborHost + "/acme/harbor-ce-app"}, // CloudEvents format
		{"gar", "gar", GARHost + "/acme-prod/images/gar-app"},
		{"ecr", "ecr", ECRHost + "/acme/ecr-app"},
		{"acr", "acr", ACRHost + "/acme/acr-app"},
		{"artifactory", "artifactory", JFrogHost + "/docker-local/acme/artifactory-app"},
		{"nexus", "nexus", NexusHost + "/acme/nexus-app"},
		{"generic", "generic", CIHost + "/acme/generic-app"},
		{"ghcr", "github", "ghcr.io/acme/ghcr-app"},
	}
}

// Seed is the config repository's files: three stages (staging
// auto-merges, preprod by pull request, prod by hand), and for every app a
// base Deployment and one overlay per stage pinning 0.9.0 by tag alone.
// tags gives some apps a tags policy of their own, the YAML under tags:
// (`pattern: "^main-"`); the others take semver ">=1.0.0".
func Seed(apps []App, tags map[string]string) map[string][]byte {
	files := map[string][]byte{}
	var cfg strings.Builder
	cfg.WriteString("stages:\n  - name: staging\n    mode: auto-merge\n  - name: preprod\n    mode: pull-request\n  - name: prod\n    mode: manual\n\napps:\n")
	for _, a := range apps {
		policy, ok := tags[a.Name]
		if !ok {
			policy = `semver: ">=1.0.0"`
		}
		fmt.Fprintf(&cfg, "  - name: %s\n    image: %s\n    tags:\n      %s\n    stages:\n", a.Name, a.Image, policy)
		dir := "apps/" + a.Name
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
`, a.Name, a.Image)
		for _, stage := range []string{"staging", "preprod", "prod"} {
			fmt.Fprintf(&cfg, "      %s: %s/overlays/%s\n", stage, dir, stage)
			files[dir+"/overlays/"+stage+"/kustomization.yaml"] = fmt.Appendf(nil,
				"# %s in %s\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s-%s\nresources:\n  - ../../base\nimages:\n  - name: %s\n    newTag: \"0.9.0\"   # pinned by stagehand\n",
				a.Name, stage, a.Name, stage, a.Image)
		}
	}
	files[".stagehand.yaml"] = []byte(cfg.String())
	return files
}
