package e2e

// The world: starting `stagehand serve` with everything it talks to, and
// stopping it as SIGTERM would. What a test does to a running world is in
// the other files.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ggcrname "github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/pgtest"
)

// RSA keys are slow to make: one App key and one Google key per test binary.
var (
	sharedAppKey    = sync.OnceValues(githubfake.GenerateAppKey)
	sharedGoogleKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
)

// AppKey is the GitHub App's private key every world uses, made once per
// test binary: for a test that starts serve against a stand-in of its own.
func AppKey() (*rsa.PrivateKey, error) { return sharedAppKey() }

// Options say what differs from the usual world. Only Run is required.
type Options struct {
	// Run runs the stagehand command line, as cmd/stagehand's run does:
	// Start runs `stagehand serve` through it.
	Run func(ctx context.Context, args []string, stdout, stderr io.Writer) int

	Database       string   // "" means SQLite in a temporary directory
	RequiredChecks []string // required on main

	// GitHubVia, when set, wraps the GitHub stand-in: serve reaches it
	// through the returned handler.
	GitHubVia func(github http.Handler) http.Handler

	ServeArgs []string // more flags for stagehand serve

	// MoreApps are apps of the config repository besides one per sender,
	// each with its tags policy (see Seed); nothing is pushed for them.
	MoreApps []MoreApp

	// Prepare, when set, runs once the stand-in holds the config
	// repository and every app's image is pushed, before serve starts: to
	// add the owner's other repositories, say.
	Prepare func(w *World)

	// Insecure are registry hosts besides the world's own that serve may
	// reach over plain HTTP: a registry a test starts for one of MoreApps.
	Insecure []string

	// Groups is the YAML of the config's groups: list, its items indented
	// two spaces ("  - name: shop\n    apps: [generic, ghcr]\n"); "" for
	// none.
	Groups string

	// StageKeys are more keys of a stage in the config, by stage name, as
	// YAML lines indented four spaces ("    verify:\n      - context: x\n").
	StageKeys map[string]string

	// Notify is the YAML of the config's notify: list, its items indented
	// two spaces ("  - url: …\n    format: json\n"); "" for none.
	Notify string
}

// MoreApp is an app of Options.MoreApps: Tags is the YAML under tags:, ""
// for semver ">=1.0.0".
type MoreApp struct {
	App
	Tags string
}

// World is a running stagehand with everything it talks to.
type World struct {
	GitHub    *githubfake.Server // the stand-in holding the config repository
	GitHubURL string             // where serve reaches GitHub
	Registry  string             // host:port of the OCI registry
	Base      string             // serve's URL
	// MetricsBase is the URL of serve's metrics listener, which is apart
	// from Base (--metrics-addr).
	MetricsBase string
	Database    string // serve's database URL
	Apps        []App  // one per sender; MoreApps are not among them
	// Digests maps each of Apps to the digest of its image pushed as Tag;
	// a test that pushes again may update it.
	Digests map[string]string
	Client  *http.Client // for requests to serve
	Stderr  *Buffer      // serve's log, JSON lines

	keyFile  string
	insecure []string // registry hosts besides Registry reached over plain HTTP
	google   *rsa.PrivateKey
	stopOnce sync.Once
	stopped  chan int // run's exit code
	cancel   context.CancelFunc
}

// Start starts the registry (with every app's image pushed), the JWKS
// endpoint, the GitHub stand-in and `stagehand serve`, and returns once
// serve is healthy and ready; all stop when the test ends.
func Start(t *testing.T, opts Options) *World {
	t.Helper()
	if opts.Run == nil {
		t.Fatal("e2e.Start: Options.Run is not set")
	}
	appKey, err := sharedAppKey()
	if err != nil {
		t.Fatal(err)
	}
	googleKey, err := sharedGoogleKey()
	if err != nil {
		t.Fatal(err)
	}
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	jwks := httptest.NewServer(jwksHandler(t, &googleKey.PublicKey))
	t.Cleanup(jwks.Close)

	w := &World{
		Registry: strings.TrimPrefix(reg.URL, "http://"),
		Database: opts.Database,
		Digests:  map[string]string{},
		google:   googleKey,
		Client:   &http.Client{Timeout: 30 * time.Second},
		Stderr:   &Buffer{},
		stopped:  make(chan int, 1),
	}
	w.Apps = apps(w.Registry)
	w.insecure = opts.Insecure
	seeded, tags := slices.Clone(w.Apps), map[string]string{}
	for _, m := range opts.MoreApps {
		seeded = append(seeded, m.App)
		if m.Tags != "" {
			tags[m.Name] = m.Tags
		}
	}
	files := Seed(seeded, tags)
	if opts.Groups != "" {
		files[".stagehand.yaml"] = append(files[".stagehand.yaml"], "groups:\n"+opts.Groups...)
	}
	for stage, keys := range opts.StageKeys {
		files[".stagehand.yaml"] = stageKeys(t, files[".stagehand.yaml"], stage, keys)
	}
	if opts.Notify != "" {
		files[".stagehand.yaml"] = append(files[".stagehand.yaml"], "notify:\n"+opts.Notify...)
	}
	w.GitHub = githubfake.NewTest(t, githubfake.Options{SeedFiles: files, AppKey: &appKey.PublicKey})
	w.GitHubURL = w.GitHub.URL()
	if opts.GitHubVia != nil {
		via := httptest.NewServer(opts.GitHubVia(w.GitHub))
		t.Cleanup(via.Close)
		w.GitHubURL = via.URL + "/"
	}
	if len(opts.RequiredChecks) > 0 {
		w.GitHub.SetRequiredChecks("main", opts.RequiredChecks...)
	}
	for _, a := range w.Apps {
		w.Digests[a.Name] = w.Push(t, a, Tag)
	}
	if opts.Prepare != nil {
		opts.Prepare(w)
	}
	dir := t.TempDir()
	if w.Database == "" {
		w.Database = filepath.Join(dir, "stagehand.db")
	}
	w.keyFile = filepath.Join(dir, "app.pem")
	if err := os.WriteFile(w.keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}), 0o600); err != nil {
		t.Fatal(err)
	}

	mirrors := []string{}
	for _, host := range []string{"docker.io", "quay.io", "ghcr.io", HarborHost, GARHost, ECRHost, ACRHost, JFrogHost, NexusHost, CIHost} {
		mirrors = append(mirrors, host+"="+w.Registry)
	}
	args := append([]string{"serve",
		"--addr", "127.0.0.1:0",
		"--metrics-addr", "127.0.0.1:0",
		"--api-token", APIToken,
		"--github-webhook-secret", GitHubSecret,
		"--database-url", w.Database,
		"--registry-mirrors", strings.Join(mirrors, ","),
		"--reconcile-interval", "0",
		"--log-level", "info",
		"--dockerhub-token", HubToken,
		"--quay-token", QuayToken,
		"--distribution-auth", DistAuth,
		"--harbor-auth", HarborAuth,
		"--gar-audience", GARAudience,
		"--gar-service-account", GARAccount,
		"--gar-jwks-url", jwks.URL,
		"--ecr-key", ECRKey,
		"--acr-header", ACRHeader,
		"--acr-value", ACRValue,
		"--artifactory-token", JFrogToken,
		"--artifactory-host", JFrogHost,
		"--nexus-secret", NexusSecret,
		"--nexus-host", NexusHost,
		"--generic-secret", GenericSecret,
	}, w.GitHubFlags()...)
	args = append(args, opts.ServeArgs...)

	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	stdout := &Buffer{}
	go func() { w.stopped <- opts.Run(ctx, args, stdout, w.Stderr) }()
	t.Cleanup(func() { w.Stop(t) })

	deadline := time.Now().Add(Deadline)
	for {
		if addr, metrics, ok := Listening(stdout.String()); ok {
			w.Base = "http://" + addr
			w.MetricsBase = "http://" + metrics
			w.checkReady(t)
			// GitHub tells the App what happens in the repository: merges,
			// comments, statuses, pushes, the App's own acts included.
			w.GitHub.SetWebhook(githubfake.Webhook{URL: w.Base + "/webhooks/github", Secret: GitHubSecret, Active: true})
			return w
		}
		select {
		case code := <-w.stopped:
			w.stopped <- code
			t.Fatalf("stagehand serve exited with %d before listening:\n%s", code, w.Stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("stagehand serve did not start listening:\n%s", w.Stderr)
		}
	}
}

// Listening reads, from what `stagehand serve` printed on stdout, the
// address it listens on and that of its metrics ("" when off); ok is
// false until it listens.
func Listening(stdout string) (addr, metrics string, ok bool) {
	for _, line := range strings.Split(stdout, "\n") {
		if a, found := strings.CutPrefix(line, "stagehand metrics on "); found {
			metrics = a
		}
		if a, found := strings.CutPrefix(line, "stagehand listening on "); found {
			addr, ok = a, true
		}
	}
	return addr, metrics, ok
}

// checkReady asks what a load balancer and Kubernetes ask.
func (w *World) checkReady(t *testing.T) {
	t.Helper()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		resp, err := w.Client.Get(w.Base + path)
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

// GitHubFlags are the flags every subcommand talking to GitHub needs: a
// test runs `stagehand promote` against the world with them.
func (w *World) GitHubFlags() []string {
	return []string{
		"--github-api-url", w.GitHubURL,
		"--github-app-id", "1",
		"--github-private-key-file", w.keyFile,
		"--config-repo", w.GitHub.Owner() + "/" + w.GitHub.Repo(),
		"--base-branch", "main",
		"--insecure-registries", strings.Join(append([]string{w.Registry}, w.insecure...), ","),
		"--github-write-pace", Pace,
	}
}

// Terminate tells serve to stop, as SIGTERM does, and returns at once:
// serve finishes the work it is doing meanwhile. Stop waits for it.
func (w *World) Terminate() { w.cancel() }

// Stop stops serve as SIGTERM would and checks that it stopped cleanly
// and never logged a secret. The world stops so when its test ends; a test
// stops it earlier to look at what serve left behind.
func (w *World) Stop(t *testing.T) {
	t.Helper()
	w.stopOnce.Do(func() {
		w.cancel()
		select {
		case code := <-w.stopped:
			if code != 0 {
				t.Errorf("stagehand serve exited with %d:\n%s", code, w.Stderr)
			}
		case <-time.After(Deadline):
			t.Errorf("stagehand serve did not stop")
		}
		logs := w.Stderr.String()
		for _, s := range Secrets {
			if strings.Contains(logs, s) {
				t.Errorf("the logs contain the secret %q", s)
			}
		}
	})
}

// Push uploads a new random image as a's image:tag to the world's registry
// and returns its digest.
func (w *World) Push(t *testing.T, a App, tag string) string {
	t.Helper()
	return w.PushBuilt(t, a, tag, time.Time{})
}

// PushBuilt is Push of an image whose config says it was built at created
// (none, if zero): what orders the tags of a pattern policy.
func (w *World) PushBuilt(t *testing.T, a App, tag string, created time.Time) string {
	t.Helper()
	ref, err := ggcrname.ParseReference(w.Registry+"/"+a.RepoPath()+":"+tag, ggcrname.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !created.IsZero() {
		if img, err = mutate.CreatedAt(img, v1.Time{Time: created}); err != nil {
			t.Fatal(err)
		}
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

// App is the world's app of that name, one of Apps; it panics if there is
// none, a mistake in the test.
func (w *World) App(name string) App {
	for _, a := range w.Apps {
		if a.Name == name {
			return a
		}
	}
	panic("no app " + name)
}

// OnEachDatabase runs test, in parallel subtests, on each database serve
// runs on: SQLite ("" as Options.Database: a file in the test's temporary
// directory) for one replica, and a fresh PostgreSQL schema for several
// (skipped without STAGEHAND_TEST_DATABASE_URL, see pgtest).
func OnEachDatabase(t *testing.T, test func(t *testing.T, database string)) {
	t.Helper()
	for _, d := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.Schema(t) }},
	} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			test(t, d.url(t))
		})
	}
}

// stageKeys adds keys, YAML lines, after stage's mode: line in cfg.
func stageKeys(t *testing.T, cfg []byte, stage, keys string) []byte {
	t.Helper()
	s := string(cfg)
	i := strings.Index(s, "  - name: "+stage+"\n    mode: ")
	if i < 0 {
		t.Fatalf("e2e: no stage %s in the seeded config", stage)
	}
	end := i + strings.Index(s[i+len("  - name: "+stage+"\n"):], "\n") + len("  - name: "+stage+"\n") + 1
	return []byte(s[:end] + keys + s[end:])
}
