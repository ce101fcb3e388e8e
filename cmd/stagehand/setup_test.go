package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
	ggcrname "github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/net/html"

	"github.com/stagehand-dev/stagehand/internal/appmanifest"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// TestSetupThenServe is the "done means": `stagehand setup`
// registers the App through GitHub's manifest flow against the stand-in,
// driven as a browser drives it (the page, its form posted to GitHub,
// GitHub's redirect back); `stagehand serve`, started with nothing but the
// environment setup wrote (and the config repository), then works as
// that App: a push becomes a merged staging PR made by the new App's bot,
// and GitHub's deliveries, signed with the new webhook secret, are taken.
func TestSetupThenServe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	appKey, err := e2e.AppKey()
	if err != nil {
		t.Fatal(err)
	}
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	regHost := strings.TrimPrefix(reg.URL, "http://")
	app := e2e.App{Name: "web", Source: "generic", Image: regHost + "/acme/web"}
	gh := githubfake.NewTest(t, githubfake.Options{SeedFiles: e2e.Seed([]e2e.App{app}, nil), AppKey: &appKey.PublicKey})
	digest := setupPush(t, app.Image+":"+e2e.Tag)

	// The public URL: an ingress in front of serve, which starts only once
	// setup has written its settings.
	var serveAddr atomic.Pointer[url.URL]
	front := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			if u := serveAddr.Load(); u != nil {
				r.SetURL(u)
			}
		},
		ErrorLog: log.New(io.Discard, "", 0),
	})
	defer front.Close()

	// stagehand setup, for the organization, on the stand-in as a GHES host.
	dir := t.TempDir()
	envFile := filepath.Join(dir, "stagehand.env")
	web := strings.TrimSuffix(gh.URL(), "/")
	setupArgs := []string{"setup", "--github-url", web, "--org", "acme", "--public-url", front.URL, "--out", envFile}
	var setupOut, setupErr e2e.Buffer
	setupCtx, cancelSetup := context.WithTimeout(ctx, e2e.Deadline)
	defer cancelSetup()
	exited := make(chan int, 1)
	go func() { exited <- run(setupCtx, setupArgs, &setupOut, &setupErr) }()
	pageURL := ""
	setupEventually(t, "setup to serve its page", func() bool {
		m := regexp.MustCompile(`Open (http://\S+/) in a browser`).FindStringSubmatch(setupErr.String())
		if m != nil {
			pageURL = m[1]
		}
		return m != nil
	})

	// The browser: the page, its form, posted where it says; GitHub (the
	// stand-in) registers the App and redirects back to setup's callback.
	browser := &http.Client{Timeout: 30 * time.Second}
	page := setupGet(t, browser, pageURL)
	form := findForm(t, page)
	if form.method != "post" || form.action != web+"/organizations/acme/settings/apps/new?state="+form.state() || len(form.state()) < 32 {
		t.Fatalf("form: %s %s", form.method, form.action)
	}
	checkManifest(t, form.fields.Get("manifest"), front.URL, pageURL)
	resp, err := browser.PostForm(form.action, form.fields)
	if err != nil {
		t.Fatal(err)
	}
	done, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/callback" {
		t.Fatalf("after GitHub: %d at %s:\n%s\nsetup: %s", resp.StatusCode, resp.Request.URL, done, setupErr.String())
	}
	if code := <-exited; code != 0 {
		t.Fatalf("setup exited %d: %s", code, setupErr.String())
	}
	install := findLink(t, done, "install the App on your config repositories")
	if !strings.HasSuffix(install, "/apps/stagehand-acme/installations/new") || !strings.Contains(setupErr.String(), install) {
		t.Errorf("install link %q; setup said:\n%s", install, setupErr.String())
	}
	if setupOut.String() != "" {
		t.Errorf("setup printed the settings although it wrote them to a file:\n%s", setupOut.String())
	}

	// What setup wrote: owner-only, every setting serve needs.
	st, err := os.Stat(envFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want 0600", envFile, err, st.Mode())
	}
	settings := readEnvFile(t, envFile)
	want := []string{"STAGEHAND_API_TOKEN", "STAGEHAND_GITHUB_API_URL", "STAGEHAND_GITHUB_APP_ID", "STAGEHAND_GITHUB_CLIENT_ID", "STAGEHAND_GITHUB_CLIENT_SECRET",
		"STAGEHAND_GITHUB_PRIVATE_KEY", "STAGEHAND_GITHUB_WEBHOOK_SECRET", "STAGEHAND_LINK_SECRET", "STAGEHAND_PUBLIC_URL"}
	if got := slices.Sorted(maps.Keys(settings)); !slices.Equal(got, want) {
		t.Errorf("settings %q, want %q", got, want)
	}
	if settings["STAGEHAND_GITHUB_API_URL"] != web+"/api/v3" || settings["STAGEHAND_PUBLIC_URL"] != front.URL {
		t.Errorf("API URL %q, public URL %q", settings["STAGEHAND_GITHUB_API_URL"], settings["STAGEHAND_PUBLIC_URL"])
	}
	// Again, without --force: refused before anything, the file kept.
	before, _ := os.ReadFile(envFile)
	if code, _, stderr := stagehand(t, setupArgs...); code != exitUsage || !strings.Contains(stderr, "does not overwrite it without --force") {
		t.Errorf("setup over an existing file: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(envFile); !bytes.Equal(before, after) {
		t.Error("a refused setup changed the file")
	}

	// The person installs the App, as the link says.
	setupGet(t, browser, install)

	// stagehand serve with the environment setup wrote, as docker
	// --env-file gives it, and the config repository.
	env := []string{crashRunMainEnv + "=1", "STAGEHAND_CONFIG_REPO=acme/config"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STAGEHAND_") {
			env = append(env, kv)
		}
	}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--database-url", filepath.Join(dir, "stagehand.db"),
		"--insecure-registries", regHost, "--reconcile-interval", "0", "--generic-secret", e2e.GenericSecret, "--github-write-pace", e2e.Pace)
	cmd.Env = env
	var serveLog e2e.Buffer
	outR, outW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, &serveLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- cmd.Wait(); outW.Close() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serve did not stop cleanly: %v\n%s", err, serveLog.String())
			}
		case <-time.After(e2e.Deadline):
			_ = cmd.Process.Kill()
			t.Error("serve did not stop")
		}
		for k, v := range settings {
			if k != "STAGEHAND_GITHUB_APP_ID" && k != "STAGEHAND_GITHUB_API_URL" && k != "STAGEHAND_PUBLIC_URL" && k != "STAGEHAND_GITHUB_CLIENT_ID" && strings.Contains(serveLog.String(), v) {
				t.Errorf("serve logged %s", k)
			}
		}
	}()
	listening := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(outR)
		for lines.Scan() {
			if addr, _, ok := e2e.Listening(lines.Text()); ok {
				listening <- addr
			}
		}
	}()
	select {
	case addr := <-listening:
		serveAddr.Store(&url.URL{Scheme: "http", Host: addr})
	case err := <-served:
		t.Fatalf("serve exited before listening: %v\n%s", err, serveLog.String())
	case <-time.After(e2e.Deadline):
		t.Fatalf("serve did not listen:\n%s", serveLog.String())
	}

	// A push, through the public URL, becomes a merged staging PR made by
	// the new App; GitHub's events reach serve signed with the new secret.
	d := e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q}`, app.Image, e2e.Tag))
	req, _ := http.NewRequest(http.MethodPost, front.URL+d.Path, bytes.NewReader(d.Body))
	req.Header = d.Header
	resp, err = browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push: %d %s\n%s", resp.StatusCode, answer, serveLog.String())
	}
	var pr githubfake.PullRequest
	setupEventually(t, "the staging PR merged", func() bool {
		for _, p := range gh.PullRequests() {
			if p.Head == promote.Branch(app.Name, "staging") && p.Merged {
				pr = p
				return true
			}
		}
		return false
	})
	if pr.MergedBy != "stagehand-acme[bot]" || !strings.Contains(pr.Body, digest) {
		t.Errorf("PR #%d merged by %q, body:\n%s", pr.Number, pr.MergedBy, pr.Body)
	}
	setupEventually(t, "the merge's events delivered", func() bool {
		for _, d := range gh.Deliveries() {
			if d.Event == "pull_request" && d.Action == "closed" {
				return true
			}
		}
		return false
	})
	if err := gh.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range gh.Deliveries() {
		if d.Status != http.StatusAccepted {
			t.Errorf("GitHub's %s %s delivery: %d %s", d.Event, d.Action, d.Status, d.Err)
		}
	}

	// The API answers the token setup made, and nobody else.
	for token, want := range map[string]int{settings["STAGEHAND_API_TOKEN"]: 200, "": 401} {
		req, _ := http.NewRequest(http.MethodGet, front.URL+"/api/v1/apps", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /api/v1/apps with token %v: %d, want %d", token != "", resp.StatusCode, want)
		}
	}
	if v := gh.Violations(); len(v) > 0 {
		t.Errorf("GitHub stand-in violations:\n%s", strings.Join(v, "\n"))
	}
}

// checkManifest checks the manifest the form posts: stagehand's
// permissions and events, the webhook under the public URL, the
// callback back to setup, private.
func checkManifest(t *testing.T, raw, public, page string) {
	t.Helper()
	var m appmanifest.Manifest
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest %q: %v", raw, err)
	}
	perms := map[string]string{}
	for _, p := range appmanifest.Permissions() {
		perms[p.Key] = p.Access
	}
	var events []string
	for _, e := range appmanifest.Events() {
		events = append(events, e.Key)
	}
	if m.Name != "stagehand-acme" || m.URL != public || m.Public || !m.HookAttributes.Active || m.HookAttributes.URL != public+"/webhooks/github" ||
		m.RedirectURL != page+"callback" || !slices.Equal(m.CallbackURLs, []string{public + "/oauth/callback"}) ||
		!maps.Equal(m.DefaultPermissions, perms) || !slices.Equal(m.DefaultEvents, events) {
		t.Errorf("manifest %+v", m)
	}
}

func setupPush(t *testing.T, ref string) string {
	t.Helper()
	r, err := ggcrname.ParseReference(ref, ggcrname.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func setupEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2e.Deadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, e2e.Deadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func setupGet(t *testing.T, c *http.Client, u string) []byte {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return body
}

// htmlForm is a page's form as a browser would submit it.
type htmlForm struct {
	action, method string
	fields         url.Values
}

func (f htmlForm) state() string {
	u, _ := url.Parse(f.action)
	return u.Query().Get("state")
}

// findForm reads the page's one form and its inputs.
func findForm(t *testing.T, page []byte) htmlForm {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var forms []htmlForm
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		attr := func(name string) string {
			for _, a := range n.Attr {
				if a.Key == name {
					return a.Val
				}
			}
			return ""
		}
		switch n.Data {
		case "form":
			forms = append(forms, htmlForm{action: attr("action"), method: strings.ToLower(attr("method")), fields: url.Values{}})
		case "input":
			if len(forms) > 0 && attr("name") != "" {
				forms[len(forms)-1].fields.Add(attr("name"), attr("value"))
			}
		}
	}
	if len(forms) != 1 {
		t.Fatalf("%d forms on the page:\n%s", len(forms), page)
	}
	return forms[0]
}

// findLink returns the href of the link whose text is text.
func findLink(t *testing.T, page []byte, text string) string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "a" && n.FirstChild != nil && strings.TrimSpace(n.FirstChild.Data) == text {
			for _, a := range n.Attr {
				if a.Key == "href" {
					return a.Val
				}
			}
		}
	}
	t.Fatalf("no link %q on the page:\n%s", text, page)
	return ""
}

// readEnvFile reads KEY=value lines, as docker --env-file does.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is not KEY=value", path, line)
		}
		out[k] = v
	}
	return out
}

// TestSetupRefusesAForeignCallback: a callback without the page's state
// is refused and the flow goes on waiting; stopped, setup writes nothing.
func TestSetupRefusesAForeignCallback(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "stagehand.env")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr e2e.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"setup", "--public-url", "https://stagehand.acme.test", "--github-url", "http://127.0.0.1:1", "--out", out}, &stdout, &stderr)
	}()
	var page string
	setupEventually(t, "the setup page", func() bool {
		m := regexp.MustCompile(`Open (http://\S+/) in a browser`).FindStringSubmatch(stderr.String())
		if m != nil {
			page = m[1]
		}
		return m != nil
	})
	form := findForm(t, setupGet(t, http.DefaultClient, page))
	if form.action != "http://127.0.0.1:1/settings/apps/new?state="+form.state() {
		t.Errorf("a personal App's form goes to %s", form.action)
	}
	for _, q := range []string{"?code=abc&state=" + form.state() + "x", "?code=abc", "?state=" + form.state()} {
		resp, err := http.Get(page + "callback" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("callback%s: %d, want 400", q, resp.StatusCode)
		}
	}
	select {
	case code := <-exited:
		t.Fatalf("setup ended (%d) on a foreign callback: %s", code, stderr.String())
	default:
	}
	cancel()
	if code := <-exited; code != exitFailed || !strings.Contains(stderr.String(), "nothing was written") {
		t.Errorf("stopped: exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written: %v", out, err)
	}
}

func TestSetupUsage(t *testing.T) {
	t.Setenv("STAGEHAND_PUBLIC_URL", "")
	os.Unsetenv("STAGEHAND_PUBLIC_URL")
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"--public-url is required"}},
		{[]string{"--public-url", "stagehand.acme.test", "--org", "-acme", "--github-url", "github.com"},
			[]string{"--public-url \"stagehand.acme.test\" is not an absolute", "--org \"-acme\" is not", "--github-url \"github.com\" is not"}},
		{[]string{"--public-url", "https://stagehand.acme.test", "--name", strings.Repeat("x", 35)}, []string{"1 to 34 characters"}},
	} {
		code, stdout, stderr := stagehand(t, append([]string{"setup"}, tt.args...)...)
		if code != exitUsage || stdout != "" {
			t.Errorf("setup %v: exit %d, stdout %q", tt.args, code, stdout)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("setup %v: stderr lacks %q:\n%s", tt.args, w, stderr)
			}
		}
	}
}

func TestUnescapeKey(t *testing.T) {
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"
	for in, want := range map[string]string{
		strings.ReplaceAll(pem, "\n", `\n`): pem,
		pem:                                 pem,
		"":                                  "",
	} {
		if got := unescapeKey(in); got != want {
			t.Errorf("unescapeKey(%q) = %q", in, got)
		}
	}
}

// TestSetupPrints: without --out, a personal App's settings are printed on
// stdout, nothing else is, and the key as printed is the App's key.
func TestSetupPrints(t *testing.T) {
	t.Parallel()
	appKey, err := e2e.AppKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := githubfake.NewTest(t, githubfake.Options{AppKey: &appKey.PublicKey})
	gh.SetOAuthUser("octo")
	web := strings.TrimSuffix(gh.URL(), "/")
	var stdout, stderr e2e.Buffer
	exited := make(chan int, 1)
	ctx, cancel := context.WithTimeout(context.Background(), e2e.Deadline)
	defer cancel()
	go func() {
		// The stand-in's own App is named stagehand already.
		exited <- run(ctx, []string{"setup", "--github-url", web, "--public-url", "https://stagehand.acme.test/", "--name", "stagehand-octo"}, &stdout, &stderr)
	}()
	var page string
	setupEventually(t, "the setup page", func() bool {
		m := regexp.MustCompile(`Open (http://\S+/) in a browser`).FindStringSubmatch(stderr.String())
		if m != nil {
			page = m[1]
		}
		return m != nil
	})
	form := findForm(t, setupGet(t, http.DefaultClient, page))
	if form.action != web+"/settings/apps/new?state="+form.state() {
		t.Errorf("a personal App's form goes to %s", form.action)
	}
	resp, err := http.PostForm(form.action, form.fields)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after GitHub: %d %s", resp.StatusCode, body)
	}
	if code := <-exited; code != 0 {
		t.Fatalf("setup: exit %d: %s", code, stderr.String())
	}
	settings := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			settings[k] = v
		} else if !strings.HasPrefix(line, "#") {
			t.Errorf("stdout line %q is not KEY=value", line)
		}
	}
	if settings["STAGEHAND_PUBLIC_URL"] != "https://stagehand.acme.test" || settings["STAGEHAND_GITHUB_APP_ID"] == "" || len(settings["STAGEHAND_API_TOKEN"]) != 64 {
		t.Errorf("settings %v", slices.Sorted(maps.Keys(settings)))
	}
	if _, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(unescapeKey(settings["STAGEHAND_GITHUB_PRIVATE_KEY"]))); err != nil {
		t.Errorf("the printed key does not parse: %v", err)
	}
	if !strings.Contains(stderr.String(), "/apps/stagehand-octo/installations/new") || strings.Contains(stderr.String(), settings["STAGEHAND_GITHUB_WEBHOOK_SECRET"]) {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestBrowserAddr(t *testing.T) {
	for _, tt := range []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8181}, "127.0.0.1:8181"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8181}, "localhost:8181"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8181}, "localhost:8181"},
		{&net.TCPAddr{Port: 8181}, "localhost:8181"},
	} {
		if got := browserAddr(tt.addr); got != tt.want {
			t.Errorf("browserAddr(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
