package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/jackc/pgx/v5"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/pgtest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

const (
	crashRunMainEnv = "STAGEHAND_TEST_RUN_MAIN"
	crashApps       = 4
	crashTags       = 50 // per image: 1.0.1 … 1.0.50
	crashKillAfter  = 100
)

// TestServeSurvivesSIGKILL is the "done means": 200 accepted
// deliveries, the process SIGKILLed part-way while a job is inside a GitHub
// call, restarted on the same database; every accepted event is worked
// exactly once in effect and the PRs end in the newest state.
//
// The kill is made deterministic by a proxy in front of the GitHub stand-in:
// it lets the merge of the 100th delivery's tag through to GitHub but holds
// back the answer, and the process is killed while it waits for it. That is
// the hardest moment to die at: the merge happened, and stagehand never
// learnt it did. Deliveries accepted while the only worker is stuck there
// are certainly unworked when the process dies. All waits are for
// conditions, none for time.
func TestServeSurvivesSIGKILL(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		crashScenario(t, filepath.Join(t.TempDir(), "queue.db"), nil)
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Schema(t)
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		crashScenario(t, url, conn)
	})
}

func crashScenario(t *testing.T, db string, pg *pgx.Conn) {
	w := newCrashWorld(t, crashApps, true)
	w.holdMerges(t)
	w.pushAll(t, crashTags)
	logFile := crashLogFile(t)
	client := &http.Client{Timeout: 10 * time.Second}

	newest := map[string]int{} // app → newest accepted tag, 1.0.<n>
	accepted := 0
	deliver := func(c *crashChild, app string) {
		t.Helper()
		n := newest[app] + 1
		tag := crashTag(n)
		body := crashGenericBody(crashImage(app), tag, w.digests[app][tag])
		// A refusal (503, a connection cut) is re-sent, as a registry would;
		// only a 202 "accepted" counts.
		var err error
		for range 50 {
			if err = crashDeliver(client, c.addr, body); err == nil {
				newest[app] = n
				accepted++
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s:%s never accepted: %v", app, tag, err)
	}

	// Before the kill: tags increasing per image, interleaved across images.
	// The merge of the last one is let through to GitHub, and its answer
	// held back.
	first := crashStart(t, w, db, logFile)
	for i := 0; accepted < crashKillAfter; i++ {
		app := w.apps[i%len(w.apps)]
		if accepted == crashKillAfter-1 {
			w.gate.arm(app, crashTag(newest[app]+1))
		}
		deliver(first, app)
	}
	heldApp := w.gate.wait(t, 30*time.Second)
	// Accepted while a job waits for that answer: other workers may or may
	// not get to them before the process dies.
	for _, app := range w.apps {
		if app != heldApp {
			deliver(first, app)
		}
	}
	first.kill()
	w.gate.release()

	// On PostgreSQL other replicas may be alive, so a starting process does
	// not take running jobs for orphans; their leases go stale within
	// seconds of the kill, and another worker runs them again. SQLite
	// serves one replica, and the next start runs them again at once.
	if pg != nil {
		var running int
		if err := pg.QueryRow(context.Background(), `SELECT COUNT(*) FROM river_job WHERE state = 'running'`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running < 1 {
			t.Fatal("no job left running by the killed process, yet one was inside the held merge")
		}
	}
	const orphans = 0

	second := crashStart(t, w, db, logFile)
	// Every delivery accepted before the kill is worked after the restart,
	// without a new delivery to nudge it; on SQLite that includes the held
	// job, run again for a push whose merge already happened.
	crashEventually(t, 60*time.Second, "the queue to drain and every app to pin its newest tag accepted before the kill", func() string {
		return crashSettled(client, second.metrics, w, newest, orphans)
	})

	for i := 0; accepted < len(w.apps)*crashTags; i++ {
		if app := w.apps[i%len(w.apps)]; newest[app] < crashTags {
			deliver(second, app)
		}
	}
	crashEventually(t, 60*time.Second, "the queue to drain and every app to pin 1.0.50", func() string {
		return crashSettled(client, second.metrics, w, newest, orphans)
	})
	crashCheckHistory(t, w, crashTags)

	if pg != nil {
		var waiting int
		if err := pg.QueryRow(context.Background(), `SELECT COUNT(*) FROM stagehand_pending_pushes WHERE seq > done_seq`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting != 0 {
			t.Errorf("%d pushes still wait for a job; the orphan would do them minutes late", waiting)
		}
	}
}

// crashSettled says what is still wrong until every app's staging overlay
// on main pins its newest accepted tag, with the registry's digest, and the
// queue holds nothing but the given orphans.
func crashSettled(client *http.Client, metricsAddr string, w *crashWorld, newest map[string]int, orphans int) string {
	for _, app := range w.apps {
		data, err := w.gh.FileAt("main", crashOverlay(app))
		if err != nil {
			return err.Error()
		}
		got, err := manifest.Current(crashOverlay(app), data, crashImage(app))
		if want := crashTag(newest[app]); err != nil || got.Tag != want || got.Digest != w.digests[app][want] {
			return fmt.Sprintf("%s pins %s@%s (%v), want %s", app, got.Tag, got.Digest, err, want)
		}
	}
	if depth, err := crashDepth(client, metricsAddr); err != nil || depth != orphans {
		return fmt.Sprintf("queue depth %d (%v), want %d", depth, err, orphans)
	}
	return ""
}

// crashCheckHistory checks what a reviewer of the config repository would:
// no stagehand PR left open, and each app's staging overlay, merge by merge,
// moved only forward, to digests the registry had for those tags, never
// applying one twice, and ended on 1.0.<last>. One branch carries one open PR per app and stage, so
// an app's merges happened in PR-number order.
func crashCheckHistory(t *testing.T, w *crashWorld, last int) {
	t.Helper()
	merged := map[string][]githubfake.PullRequest{}
	open := map[string]int{} // preprod branch → open PRs
	for _, pr := range w.gh.PullRequests() {
		if !strings.HasPrefix(pr.Head, "stagehand/") {
			continue
		}
		if strings.HasSuffix(pr.Head, "/preprod") {
			// Each staging merge moves the image on to preprod, a
			// pull-request stage: its one living PR waits for a person.
			if pr.State == "open" {
				open[pr.Head]++
			}
			continue
		}
		if pr.State == "open" {
			t.Errorf("PR #%d (%s) is still open", pr.Number, pr.Title)
		}
		if !pr.Merged {
			continue
		}
		m, ok, err := promote.ParseMarker(pr.Body)
		if err != nil || !ok || m.Stage != "staging" {
			t.Errorf("merged PR #%d has no staging marker (%v): %s", pr.Number, err, pr.Body)
			continue
		}
		merged[m.App] = append(merged[m.App], pr)
	}
	for _, app := range w.apps {
		digests := map[string]int{} // digest → PR that merged it
		var prev *semver.Version
		for _, pr := range merged[app] {
			data, err := w.gh.FileAt(pr.MergeSHA, crashOverlay(app))
			if err != nil {
				t.Fatal(err)
			}
			got, err := manifest.Current(crashOverlay(app), data, crashImage(app))
			if err != nil {
				t.Fatal(err)
			}
			m, _, _ := promote.ParseMarker(pr.Body)
			if m.Tag != got.Tag || m.Digest != got.Digest {
				t.Errorf("%s: PR #%d says %s@%s but merged %s@%s", app, pr.Number, m.Tag, m.Digest, got.Tag, got.Digest)
			}
			if want := w.digests[app][got.Tag]; got.Digest != want {
				t.Errorf("%s: PR #%d merged %s@%s; the registry has %s for that tag", app, pr.Number, got.Tag, got.Digest, want)
			}
			if other, dup := digests[got.Digest]; dup {
				t.Errorf("%s: PRs #%d and #%d both merged %s", app, other, pr.Number, got.Digest)
			}
			digests[got.Digest] = pr.Number
			v, err := semver.NewVersion(got.Tag)
			if err != nil {
				t.Fatalf("%s: PR #%d merged tag %q: %v", app, pr.Number, got.Tag, err)
			}
			if prev != nil && !v.GreaterThan(prev) {
				t.Errorf("%s: PR #%d moved staging from %s to %s", app, pr.Number, prev, v)
			}
			prev = v
		}
		if prev == nil || prev.String() != crashTag(last) {
			t.Errorf("%s: the last merge was %v, want %s", app, prev, crashTag(last))
		}
		if n := open[promote.Branch(app, "preprod")]; n > 1 {
			t.Errorf("%s: %d open preprod PRs, want one living PR", app, n)
		}
	}
}

// crashWorld is what surrounds a stagehand process: the GitHub stand-in
// (behind a gate that can hold a merge's answer, when asked), a registry
// with every image's tags, and the App's key.
type crashWorld struct {
	gh      *githubfake.Server
	apiURL  string // what stagehand is told GitHub is
	gate    *crashGate
	regHost string
	keyFile string
	apps    []string
	digests map[string]map[string]string // app → tag → digest
	pace    string                       // --github-write-pace; "" is e2e.Pace
	busy    *busyClock                   // when GitHub or the registry was answering
	bin     string                       // the binary crashStart runs; "" is this test binary as stagehand
}

func crashImage(app string) string   { return "ghcr.io/acme/" + app }
func crashOverlay(app string) string { return "apps/" + app + "/overlays/staging/kustomization.yaml" }
func crashTag(n int) string          { return fmt.Sprintf("1.0.%d", n) }

// newCrashWorld starts the stand-ins for apps app0…appN-1, each with its own
// image, staging auto-merging. validate turns on the stand-in's OpenAPI
// checks (benchmarks leave them off to time stagehand, not the checks).
func newCrashWorld(tb testing.TB, apps int, validate bool) *crashWorld {
	tb.Helper()
	return newCrashWorldWith(tb, apps, validate, nil)
}

// newCrashWorldWith is newCrashWorld with the stand-in's options adjusted
// by adjust (its secondary limits, say).
func newCrashWorldWith(tb testing.TB, apps int, validate bool, adjust func(*githubfake.Options)) *crashWorld {
	tb.Helper()
	key, err := githubfake.GenerateAppKey()
	if err != nil {
		tb.Fatal(err)
	}
	w := &crashWorld{digests: map[string]map[string]string{}}
	for i := range apps {
		app := fmt.Sprintf("app%d", i)
		w.apps = append(w.apps, app)
		w.digests[app] = map[string]string{}
	}
	opts := githubfake.Options{Seed: crashSeed(tb, w.apps), AppKey: &key.PublicKey}
	if adjust != nil {
		adjust(&opts)
	}
	if validate {
		w.gh = githubfake.NewTest(tb, opts)
	} else {
		if w.gh, err = githubfake.New(opts); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(w.gh.Close)
	}
	// Through a clock that keeps when GitHub was busy, so that a benchmark
	// can tell stagehand's own time from the stand-ins'.
	w.busy = &busyClock{}
	api := httptest.NewServer(w.busy.track(w.gh))
	tb.Cleanup(api.Close)
	w.apiURL = api.URL

	w.keyFile = filepath.Join(tb.TempDir(), "app.pem")
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(w.keyFile, pemKey, 0o600); err != nil {
		tb.Fatal(err)
	}

	reg := httptest.NewServer(w.busy.track(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))))
	tb.Cleanup(reg.Close)
	w.regHost = strings.TrimPrefix(reg.URL, "http://")
	return w
}

// crashSeed writes the config repository: staging auto-merges, preprod by
// pull request, prod by hand; every overlay starts at 0.9.0.
func crashSeed(tb testing.TB, apps []string) string {
	tb.Helper()
	dir := tb.TempDir()
	var cfg strings.Builder
	cfg.WriteString("stages:\n  - name: staging\n    mode: auto-merge\n  - name: preprod\n    mode: pull-request\n  - name: prod\n    mode: manual\napps:\n")
	files := map[string]string{}
	for _, app := range apps {
		fmt.Fprintf(&cfg, "  - name: %[1]s\n    image: %[2]s\n    tags:\n      semver: \">=1.0.0\"\n    stages:\n", app, crashImage(app))
		files["apps/"+app+"/base/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n"
		files["apps/"+app+"/base/deployment.yaml"] = fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %[1]s\nspec:\n  selector:\n    matchLabels:\n      app: %[1]s\n  template:\n    metadata:\n      labels:\n        app: %[1]s\n    spec:\n      containers:\n        - name: %[1]s\n          image: %[2]s:0.9.0\n", app, crashImage(app))
		for _, stage := range []string{"staging", "preprod", "prod"} {
			fmt.Fprintf(&cfg, "      %s: apps/%s/overlays/%s\n", stage, app, stage)
			files["apps/"+app+"/overlays/"+stage+"/kustomization.yaml"] = fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s-%s\nresources:\n  - ../../base\nimages:\n  - name: %s\n    newTag: \"0.9.0\"\n", app, stage, crashImage(app))
		}
	}
	files[".stagehand.yaml"] = cfg.String()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// push uploads a random small image as app's image at tag and returns its
// digest. The registry stands in for ghcr.io through --registry-mirrors.
func (w *crashWorld) push(app, tag string) (string, error) {
	ref, err := name.ParseReference(w.regHost+"/acme/"+app+":"+tag, name.Insecure)
	if err != nil {
		return "", err
	}
	img, err := random.Image(256, 1)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	d, err := img.Digest()
	return d.String(), err
}

// pushAll pushes tags 1.0.1 … 1.0.n of every image, a few at a time.
func (w *crashWorld) pushAll(tb testing.TB, n int) {
	tb.Helper()
	type result struct{ app, tag, digest string }
	var (
		mu      sync.Mutex
		results []result
		errs    []error
		wg      sync.WaitGroup
	)
	for _, app := range w.apps {
		wg.Go(func() {
			for i := 1; i <= n; i++ {
				d, err := w.push(app, crashTag(i))
				mu.Lock()
				results = append(results, result{app, crashTag(i), d})
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	for _, r := range results {
		w.digests[r.app][r.tag] = r.digest
	}
}

// pinned is what app's staging overlay on main pins.
func (w *crashWorld) pinned(tb testing.TB, app string) manifest.Pinned {
	tb.Helper()
	data, err := w.gh.FileAt("main", crashOverlay(app))
	if err != nil {
		tb.Fatal(err)
	}
	p, err := manifest.Current(crashOverlay(app), data, crashImage(app))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// serveArgs are the flags of `stagehand serve` against this world.
func (w *crashWorld) serveArgs(db string) []string {
	return []string{"serve",
		"--addr", "127.0.0.1:0",
		"--metrics-addr", "127.0.0.1:0",
		"--github-api-url", w.apiURL,
		"--github-app-id", "1",
		"--github-private-key-file", w.keyFile,
		"--config-repo", w.gh.Owner() + "/" + w.gh.Repo(),
		"--github-webhook-secret", e2e.GitHubSecret,
		"--generic-secret", e2e.GenericSecret,
		"--database-url", db,
		"--insecure-registries", w.regHost,
		"--registry-mirrors", "ghcr.io=" + w.regHost,
		"--reconcile-interval", "0",
		"--github-write-pace", cmp.Or(w.pace, e2e.Pace),
	}
}

// crashGate sits between stagehand and the GitHub stand-in. Armed with an
// app and tag, it lets the merge of that app's PR for that tag happen, then
// holds GitHub's answer until release.
type crashGate struct {
	target   atomic.Pointer[[2]string] // app, tag
	held     chan string               // the app whose merge answer is held
	released chan struct{}
	once     sync.Once
}

var crashMergePath = regexp.MustCompile(`/pulls/(\d+)/merge$`)

// holdMerges puts the gate in front of the stand-in.
func (w *crashWorld) holdMerges(tb testing.TB) {
	target, err := url.Parse(w.gh.URL())
	if err != nil {
		tb.Fatal(err)
	}
	g := &crashGate{held: make(chan string, 1), released: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	proxy.ModifyResponse = func(resp *http.Response) error {
		m := crashMergePath.FindStringSubmatch(resp.Request.URL.Path)
		want := g.target.Load()
		if m == nil || want == nil || resp.Request.Method != http.MethodPut || resp.StatusCode != http.StatusOK {
			return nil
		}
		n, _ := strconv.Atoi(m[1])
		if app, tag := crashMarkerOf(w.gh, n); app != want[0] || tag != want[1] || !g.target.CompareAndSwap(want, nil) {
			return nil
		}
		g.held <- want[0]
		<-g.released
		return errors.New("crash test: the answer to this merge was held back")
	}
	srv := httptest.NewServer(proxy)
	tb.Cleanup(srv.Close)
	tb.Cleanup(g.release) // before Close, which waits for the held handler
	w.gate, w.apiURL = g, srv.URL
}

func (g *crashGate) arm(app, tag string) { g.target.Store(&[2]string{app, tag}) }
func (g *crashGate) release()            { g.once.Do(func() { close(g.released) }) }

// wait returns the app whose merge answer is held.
func (g *crashGate) wait(tb testing.TB, d time.Duration) string {
	tb.Helper()
	select {
	case app := <-g.held:
		return app
	case <-time.After(d):
		tb.Fatalf("the merge the gate waits for did not come within %s", d)
		return ""
	}
}

// crashMarkerOf is the app and tag that stagehand PR number proposes.
func crashMarkerOf(gh *githubfake.Server, number int) (app, tag string) {
	for _, pr := range gh.PullRequests() {
		if pr.Number == number {
			m, _, _ := promote.ParseMarker(pr.Body)
			return m.App, m.Tag
		}
	}
	return "", ""
}

// crashChild is a `stagehand serve` process: the test binary run again with
// crashRunMainEnv set (see TestMain).
type crashChild struct {
	cmd     *exec.Cmd
	addr    string
	metrics string        // the metrics listener's address
	done    chan struct{} // closed once the process has exited
}

func crashStart(t testing.TB, w *crashWorld, db string, logFile *os.File) *crashChild {
	t.Helper()
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], w.serveArgs(db)...)
	cmd.Env = append(os.Environ(), crashRunMainEnv+"=1")
	if w.bin != "" {
		cmd = exec.Command(w.bin, w.serveArgs(db)...)
	}
	cmd.Stdout, cmd.Stderr = outW, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	c := &crashChild{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(c.kill)

	addr := make(chan [2]string, 1)
	go func() {
		defer outR.Close()
		lines := bufio.NewScanner(outR)
		var seen strings.Builder
		for lines.Scan() {
			seen.WriteString(lines.Text() + "\n")
			if a, m, ok := e2e.Listening(seen.String()); ok {
				addr <- [2]string{a, m}
			}
		}
	}()
	select {
	case a := <-addr:
		c.addr, c.metrics = a[0], a[1]
		return c
	case <-c.done:
		t.Fatalf("stagehand serve exited before listening: %s", cmd.ProcessState)
	case <-time.After(30 * time.Second):
		t.Fatal("stagehand serve did not listen within 30s")
	}
	return nil
}

// kill is SIGKILL: no shutdown, no cleanup.
func (c *crashChild) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}

// crashLogFile collects the processes' logs, shown if the test fails.
func crashLogFile(t testing.TB) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stagehand.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer f.Close()
		if !t.Failed() {
			return
		}
		data, _ := os.ReadFile(f.Name())
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		t.Logf("last lines of stagehand's log:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
	})
	return f
}

func crashGenericBody(image, tag, digest string) []byte {
	body, _ := json.Marshal(map[string]string{"image": image, "tag": tag, "digest": digest})
	return body
}

// crashDeliver posts a signed generic delivery; nil means 202 "accepted".
func crashDeliver(client *http.Client, addr string, body []byte) error {
	return crashPost(client, addr, e2e.Generic(body))
}

// crashPost posts d to the serve at addr; nil means 202 "accepted".
func crashPost(client *http.Client, addr string, d e2e.Delivery) error {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+d.Path, bytes.NewReader(d.Body))
	if err != nil {
		return err
	}
	req.Header = d.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted || string(answer) != "accepted\n" {
		return fmt.Errorf("%s: %s", resp.Status, answer)
	}
	return nil
}

// crashDepth reads stagehand_queue_depth from /metrics on the metrics
// listener at addr.
func crashDepth(client *http.Client, addr string) (int, error) {
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "stagehand_queue_depth "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int(f), err
		}
	}
	return 0, errors.New("no stagehand_queue_depth in /metrics")
}

// crashEventually polls until cond returns "" (it says what is still wrong
// otherwise), failing the test after d.
func crashEventually(t testing.TB, d time.Duration, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		wrong := cond()
		if wrong == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s: %s", d, what, wrong)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
