package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/stagehand-dev/stagehand/internal/appmanifest"
	"github.com/stagehand-dev/stagehand/internal/link"
	"github.com/stagehand-dev/stagehand/internal/server"
)

// setupFlags are stagehand setup's settings.
type setupFlags struct {
	publicURL, org, githubURL, name, addr, out string
	force                                      bool
}

var ownerPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)

// check reports every problem at once.
func (f *setupFlags) check() error {
	var errs []error
	if u, err := url.Parse(f.publicURL); f.publicURL == "" {
		errs = append(errs, errors.New("--public-url is required: the URL GitHub and people reach stagehand serve at, such as https://stagehand.example.com (STAGEHAND_PUBLIC_URL)"))
	} else if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("--public-url %q is not an absolute http:// or https:// URL such as https://stagehand.example.com", f.publicURL))
	}
	if u, err := url.Parse(f.githubURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--github-url %q is not an absolute URL such as https://github.com or https://github.example.com", f.githubURL))
	}
	if f.org != "" && !ownerPattern.MatchString(f.org) {
		errs = append(errs, fmt.Errorf("--org %q is not a GitHub organization name", f.org))
	}
	if strings.TrimSpace(f.name) == "" || len(f.name) > 34 {
		errs = append(errs, fmt.Errorf("--name %q: an App's name is 1 to 34 characters", f.name))
	}
	if f.out != "" && !f.force {
		if _, err := os.Lstat(f.out); err == nil {
			errs = append(errs, fmt.Errorf("%s exists; stagehand setup does not overwrite it without --force", f.out))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return usageError{msg: err.Error()}
	}
	return nil
}

// web is where people register Apps: github.com or a GitHub Enterprise
// Server's host.
func (f *setupFlags) web() string { return strings.TrimRight(f.githubURL, "/") }

// apiURL is the REST API of web; "" for github.com's.
func (f *setupFlags) apiURL() string {
	if u, _ := url.Parse(f.web()); u != nil && u.Host == "github.com" {
		return ""
	}
	return f.web() + "/api/v3"
}

// newAppURL is GitHub's page that registers an App from a posted manifest:
// the organization's, or the person's own.
func (f *setupFlags) newAppURL(state string) string {
	page := f.web() + "/settings/apps/new"
	if f.org != "" {
		page = f.web() + "/organizations/" + url.PathEscape(f.org) + "/settings/apps/new"
	}
	return page + "?" + url.Values{"state": {state}}.Encode()
}

func runSetup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("setup", "setup --public-url URL [--org ORG] [--out FILE]\n\n"+
		"Registers stagehand's GitHub App through GitHub's manifest flow: open the page it serves in a\n"+
		"browser signed in to GitHub, confirm on GitHub, and the App's credentials are written to --out\n"+
		"(or printed) as the STAGEHAND_* environment `stagehand serve` reads.", stderr)
	var f setupFlags
	fs.StringVar(&f.publicURL, "public-url", env("STAGEHAND_PUBLIC_URL", ""), "the URL GitHub and people reach stagehand serve at; the App's webhook goes to it (STAGEHAND_PUBLIC_URL)")
	fs.StringVar(&f.org, "org", "", "register the App for this organization (default: for your own account)")
	fs.StringVar(&f.githubURL, "github-url", "https://github.com", "GitHub, or a GitHub Enterprise Server such as https://github.example.com")
	fs.StringVar(&f.name, "name", "", "the App's name, unique on GitHub (default stagehand-ORG, or stagehand); GitHub's page lets you change it")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "local address of the setup page; the browser must reach it (default: a free port on this machine)")
	fs.StringVar(&f.out, "out", "", "write the settings to this file, mode 0600, as KEY=value lines (for docker --env-file or kubectl create secret --from-env-file); default: print them")
	fs.BoolVar(&f.force, "force", false, "overwrite --out if it exists")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "setup takes no arguments"}
	}
	if f.name == "" {
		f.name = "stagehand"
		if f.org != "" {
			f.name = "stagehand-" + strings.ToLower(f.org)
		}
		f.name = f.name[:min(len(f.name), 34)]
	}
	if err := f.check(); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("the setup page: %w", err)
	}
	local := "http://" + browserAddr(ln.Addr().(*net.TCPAddr))
	public := strings.TrimRight(f.publicURL, "/")
	s := &setupFlow{
		f:     f,
		state: randomToken(32),
		manifest: appmanifest.New(appmanifest.Options{
			Name:        f.name,
			HomeURL:     public,
			WebhookURL:  public + server.GitHubWebhookPath,
			RedirectURL: local + "/callback",
			CallbackURL: public + link.CallbackPath,
		}),
		gh:     &http.Client{Timeout: 30 * time.Second},
		stdout: stdout,
		done:   make(chan error, 1),
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()

	fmt.Fprintf(stderr, "Open %s/ in a browser signed in to %s, and confirm there.\n", local, f.web())
	if f.addr == "127.0.0.1:0" {
		fmt.Fprintln(stderr, "(The page and GitHub's redirect back use this machine's loopback address: run setup where your browser runs, or use --addr.)")
	}
	select {
	case err := <-s.done:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		return errors.New("stopped before GitHub sent the browser back; nothing was written")
	}
	fmt.Fprintf(stderr, "Registered the GitHub App %q (ID %d).\n", s.app.GetName(), s.app.GetID())
	if f.out != "" {
		fmt.Fprintf(stderr, "Its settings are in %s (mode 0600).\n", f.out)
	}
	fmt.Fprintf(stderr, "Now install it on your config repositories: %s\nThen start stagehand serve with these settings: it serves every repository of the installation with a .stagehand.yaml (STAGEHAND_CONFIG_REPO=owner/name or owner/* narrows that).\n", installURL(s.app))
	return nil
}

// setupFlow is one run of the manifest flow: the page, then GitHub's
// redirect back with the code, converted once.
type setupFlow struct {
	f        setupFlags
	state    string
	manifest appmanifest.Manifest
	gh       *http.Client
	stdout   io.Writer

	mu       sync.Mutex
	finished bool
	app      *github.AppConfig
	done     chan error // the flow's outcome, once
}

func (s *setupFlow) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /callback", s.callback)
	return mux
}

var setupPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stagehand setup</title></head>
<body>
<h1>Register stagehand's GitHub App</h1>
<p>This registers a private GitHub App named <b>{{.Manifest.Name}}</b> for {{.Owner}} on {{.Web}},
with its webhook at <code>{{.Manifest.HookAttributes.URL}}</code>. GitHub shows it to you before
creating it, and sends you back here.</p>
<p>Permissions:</p>
<ul>{{range .Permissions}}<li>{{.Label}}: {{.Access}} ({{.Why}})</li>{{end}}</ul>
<p>Events: {{range $i, $e := .Events}}{{if $i}}, {{end}}{{$e.Label}}{{end}}.</p>
<form action="{{.Action}}" method="post">
<input type="hidden" name="manifest" value="{{.JSON}}">
<button type="submit">Create the GitHub App on GitHub</button>
</form>
</body></html>
`))

func (s *setupFlow) page(w http.ResponseWriter, r *http.Request) {
	owner := "your account"
	if s.f.org != "" {
		owner = "the organization " + s.f.org
	}
	noStore(w)
	_ = setupPage.Execute(w, map[string]any{
		"Manifest": s.manifest, "JSON": s.manifest.JSON(), "Action": s.f.newAppURL(s.state),
		"Owner": owner, "Web": s.f.web(), "Permissions": appmanifest.Permissions(), "Events": appmanifest.Events(),
	})
}

var setupDone = template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stagehand setup</title></head>
<body>
{{if .Err}}<h1>The App was not set up</h1>
<p>{{.Err}}</p>
{{else}}<h1>{{.Name}} is registered</h1>
<p>App ID {{.ID}}. {{if .Out}}Its settings are in <code>{{.Out}}</code> (mode 0600){{else}}Its settings are printed where you ran <code>stagehand setup</code>{{end}}:
keep them secret; GitHub does not show the private key again.</p>
<p>Next: <a href="{{.Install}}">install the App on your config repositories</a>, then start
<code>stagehand serve</code> with those settings. It serves every repository of the installation
with a <code>.stagehand.yaml</code>; <code>STAGEHAND_CONFIG_REPO</code> (<code>owner/name</code> or
<code>owner/*</code>, comma-separated) narrows that.</p>
{{end}}
</body></html>
`))

// callback is where GitHub sends the browser back with the code.
func (s *setupFlow) callback(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	q := r.URL.Query()
	// Only the browser this page sent to GitHub comes back with the state;
	// anything else is refused and the flow goes on waiting.
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(s.state)) != 1 || q.Get("code") == "" {
		w.WriteHeader(http.StatusBadRequest)
		_ = setupDone.Execute(w, map[string]any{"Err": "This is not GitHub's answer to the form this setup page sent (the state does not match, or there is no code). Start again from the setup page."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		w.WriteHeader(http.StatusConflict)
		_ = setupDone.Execute(w, map[string]any{"Err": "This setup has already converted GitHub's code; each code works once."})
		return
	}
	s.finished = true
	app, err := s.convert(r.Context(), q.Get("code"))
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		_ = setupDone.Execute(w, map[string]any{"Err": err.Error()})
		s.done <- err
		return
	}
	s.app = app
	writeErr := s.save(app)
	if writeErr != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_ = setupDone.Execute(w, map[string]any{"Err": writeErr.Error()})
		s.done <- writeErr
		return
	}
	_ = setupDone.Execute(w, map[string]any{"Name": app.GetName(), "ID": app.GetID(), "Out": s.f.out, "Install": installURL(app)})
	s.done <- nil
}

// convert exchanges the code for the App's credentials:
// POST /app-manifests/{code}/conversions, which needs no credentials.
func (s *setupFlow) convert(ctx context.Context, code string) (*github.AppConfig, error) {
	gh := github.NewClient(s.gh)
	if api := s.f.apiURL(); api != "" {
		var err error
		if gh, err = gh.WithEnterpriseURLs(api+"/", api+"/"); err != nil {
			return nil, err
		}
	}
	gh.UserAgent = "stagehand/" + versionString()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	app, _, err := gh.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("GitHub did not convert the code into the App's credentials (a code works once, within an hour; start again): %w", err)
	}
	if app.GetID() == 0 || app.GetPEM() == "" || app.GetWebhookSecret() == "" {
		return nil, errors.New("GitHub's answer lacks the App's ID, private key or webhook secret")
	}
	return app, nil
}

// save writes the settings to --out, or prints them. A file that cannot
// be written gets them printed instead: GitHub shows the key only once.
func (s *setupFlow) save(app *github.AppConfig) error {
	settings := s.settings(app)
	if s.f.out == "" {
		_, err := io.WriteString(s.stdout, settings)
		return err
	}
	if err := writeSecretFile(s.f.out, []byte(settings), s.f.force); err != nil {
		_, _ = io.WriteString(s.stdout, settings)
		return fmt.Errorf("could not write %s (%v); the settings are printed instead: keep them, GitHub does not show the private key again", s.f.out, err)
	}
	return nil
}

// settings are the STAGEHAND_* environment serve reads, one KEY=value a
// line. The private key's newlines are written as \n (serve reads them
// back), so that every value is one line, as docker --env-file and
// kubectl create secret --from-env-file read them. The link secret and
// the API token are made here: with the App's OAuth credentials, one-click
// links with GitHub sign-in are on, and the API needs the token.
func (s *setupFlow) settings(app *github.AppConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# stagehand serve's settings for the GitHub App %q, written by stagehand setup on %s.\n", app.GetName(), time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "# Install the App: %s\n# It serves every installed repository with a .stagehand.yaml; to narrow that, add\n# STAGEHAND_CONFIG_REPO=owner/name (or owner/*, comma-separated).\n", installURL(app))
	set := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) }
	if api := s.f.apiURL(); api != "" {
		set("STAGEHAND_GITHUB_API_URL", api)
	}
	set("STAGEHAND_GITHUB_APP_ID", strconv.FormatInt(app.GetID(), 10))
	set("STAGEHAND_GITHUB_PRIVATE_KEY", strings.ReplaceAll(strings.TrimSpace(app.GetPEM()), "\n", `\n`))
	set("STAGEHAND_GITHUB_WEBHOOK_SECRET", app.GetWebhookSecret())
	set("STAGEHAND_GITHUB_CLIENT_ID", app.GetClientID())
	set("STAGEHAND_GITHUB_CLIENT_SECRET", app.GetClientSecret())
	set("STAGEHAND_PUBLIC_URL", strings.TrimRight(s.f.publicURL, "/"))
	set("STAGEHAND_LINK_SECRET", base64.RawURLEncoding.EncodeToString(randomBytes(48)))
	set("STAGEHAND_API_TOKEN", randomToken(32))
	return b.String()
}

// writeSecretFile writes data readable by its owner only. Without force an
// existing file is an error; with it the file is replaced whole (a new
// file renamed over it), so that no reader sees half of it.
func writeSecretFile(path string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".stagehand-setup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// browserAddr is the address a browser on this machine uses for a
// listener: an unspecified address (":8181") is reached as localhost.
func browserAddr(a *net.TCPAddr) string {
	if a.IP == nil || a.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", strconv.Itoa(a.Port))
	}
	return a.String()
}

// installURL is the App's page for installing it.
func installURL(app *github.AppConfig) string {
	return strings.TrimRight(app.GetHTMLURL(), "/") + "/installations/new"
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}

func randomToken(n int) string { return hex.EncodeToString(randomBytes(n)) }
