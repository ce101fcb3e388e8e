package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/dashboard"
	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/fleet"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/link"
	"github.com/stagehand-dev/stagehand/internal/notify"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/registry"
	"github.com/stagehand-dev/stagehand/internal/server"
	"github.com/stagehand-dev/stagehand/internal/store"
	"github.com/stagehand-dev/stagehand/internal/webhook"
	"github.com/stagehand-dev/stagehand/internal/work"
)

// serveFlags are stagehand serve's settings; each defaults to its
// environment variable.
type serveFlags struct {
	github                            githubFlags
	addr, secret, database, publicURL string
	metricsAddr, apiToken             string
	apiOpen                           bool
	linkSecret                        string
	oauthID, oauthSecret, webURL      string
	mirrors, logLevel                 string
	reconcile                         time.Duration
	reg                               webhook.Config
	garJWKS                           string
	apiOpenErr                        bool
	notify                            notifyFlags
}

// defaultMetricsAddr keeps metrics on the machine (or pod) unless asked:
// they name images and count calls, and Prometheus practice is a port of
// their own.
const defaultMetricsAddr = "127.0.0.1:9090"

// minAPIToken is the shortest API token accepted.
const minAPIToken = 16

func (f *serveFlags) register(fs *flag.FlagSet) {
	f.github.register(fs)
	f.notify.register(fs)
	str := func(p *string, name, envName, def, usage string) {
		fs.StringVar(p, name, env(envName, def), usage+" ("+envName+")")
	}
	str(&f.addr, "addr", "STAGEHAND_ADDR", ":8080", "address to listen on")
	str(&f.metricsAddr, "metrics-addr", "STAGEHAND_METRICS_ADDR", defaultMetricsAddr, "address /metrics is served on, apart from --addr; empty turns metrics off (e.g. :9090 for a Prometheus in the cluster)")
	str(&f.apiToken, "api-token", "STAGEHAND_API_TOKEN", "", fmt.Sprintf("bearer token (at least %d bytes) that /api/v1 requires; without it (or --api-open) the API refuses everyone", minAPIToken))
	open, err := strconv.ParseBool(env("STAGEHAND_API_OPEN", "false"))
	if err != nil {
		f.apiOpenErr = true
	}
	fs.BoolVar(&f.apiOpen, "api-open", open, "let anyone who reaches --addr read /api/v1 (images, digests, actors), without a token (STAGEHAND_API_OPEN)")
	str(&f.secret, "github-webhook-secret", "STAGEHAND_GITHUB_WEBHOOK_SECRET", "", "the GitHub App's webhook secret (required)")
	str(&f.database, "database-url", "STAGEHAND_DATABASE_URL", "", "database: empty for SQLite in ./"+db.DefaultSQLitePath+", a file path, or postgres://… for several replicas")
	str(&f.publicURL, "public-url", "STAGEHAND_PUBLIC_URL", "", "the URL people and registries reach stagehand at; with --link-secret, PRs carry one-click promotion links under it")
	str(&f.linkSecret, "link-secret", "STAGEHAND_LINK_SECRET", "", fmt.Sprintf("key (at least %d bytes) that signs one-click promotion links; needs --public-url", link.MinSecret))
	str(&f.oauthID, "github-client-id", "STAGEHAND_GITHUB_CLIENT_ID", "", "the App's OAuth client ID: link pages then ask people to sign in with GitHub and check approvers for them; needs --github-client-secret")
	str(&f.oauthSecret, "github-client-secret", "STAGEHAND_GITHUB_CLIENT_SECRET", "", "the App's OAuth client secret; needs --github-client-id")
	str(&f.webURL, "github-web-url", "STAGEHAND_GITHUB_WEB_URL", "", "where people sign in with GitHub; default https://github.com, or https://HOST for a --github-api-url of https://HOST/api/v3")
	str(&f.mirrors, "registry-mirrors", "STAGEHAND_REGISTRY_MIRRORS", "", "comma-separated host=mirror pairs: resolve images of host through mirror (a pull-through cache)")
	str(&f.logLevel, "log-level", "STAGEHAND_LOG_LEVEL", "info", "debug, info, warn or error")
	interval, err := time.ParseDuration(env("STAGEHAND_RECONCILE_INTERVAL", "10m"))
	if err != nil {
		interval = -2 // reported by check
	}
	fs.DurationVar(&f.reconcile, "reconcile-interval", interval, "how often to look for pushes whose webhook never arrived; 0 turns it off (STAGEHAND_RECONCILE_INTERVAL)")

	r := &f.reg
	str(&r.DockerHubToken, "dockerhub-token", "STAGEHAND_DOCKERHUB_TOKEN", "", "Docker Hub: token in the webhook URL /webhooks/registry/dockerhub/TOKEN")
	str(&r.QuayToken, "quay-token", "STAGEHAND_QUAY_TOKEN", "", "Quay: token in the webhook URL /webhooks/registry/quay/TOKEN")
	str(&r.DistributionAuth, "distribution-auth", "STAGEHAND_DISTRIBUTION_AUTH", "", "CNCF Distribution / GitLab: the Authorization header value the registry sends")
	str(&r.HarborAuth, "harbor-auth", "STAGEHAND_HARBOR_AUTH", "", "Harbor: the policy's auth header value")
	str(&r.GAR.Audience, "gar-audience", "STAGEHAND_GAR_AUDIENCE", "", "Google Artifact Registry via Pub/Sub push: the OIDC token's audience")
	str(&r.GAR.ServiceAccount, "gar-service-account", "STAGEHAND_GAR_SERVICE_ACCOUNT", "", "Google Artifact Registry: the push subscription's service account email")
	str(&f.garJWKS, "gar-jwks-url", "STAGEHAND_GAR_JWKS_URL", webhook.GoogleJWKSURL, "where Google's token signing keys are published")
	str(&r.ECRHeader, "ecr-header", "STAGEHAND_ECR_HEADER", webhook.DefaultECRHeader, "Amazon ECR via EventBridge: the API destination's API-key header name")
	str(&r.ECRKey, "ecr-key", "STAGEHAND_ECR_KEY", "", "Amazon ECR: the API key value")
	str(&r.ACRHeader, "acr-header", "STAGEHAND_ACR_HEADER", "Authorization", "Azure Container Registry: the custom header name")
	str(&r.ACRValue, "acr-value", "STAGEHAND_ACR_VALUE", "", "Azure Container Registry: the custom header value")
	str(&r.ArtifactoryToken, "artifactory-token", "STAGEHAND_ARTIFACTORY_TOKEN", "", "JFrog Artifactory: the webhook's secret token")
	str(&r.ArtifactorySigningKey, "artifactory-signing-key", "STAGEHAND_ARTIFACTORY_SIGNING_KEY", "", "JFrog Artifactory: the secret, when payload signing is on")
	str(&r.ArtifactoryHost, "artifactory-host", "STAGEHAND_ARTIFACTORY_HOST", "", "JFrog Artifactory: the docker host images are pulled from (default: from the payload)")
	str(&r.NexusSecret, "nexus-secret", "STAGEHAND_NEXUS_SECRET", "", "Sonatype Nexus: the webhook's secret key")
	str(&r.NexusHost, "nexus-host", "STAGEHAND_NEXUS_HOST", "", "Sonatype Nexus: the docker connector host:port images are pulled from")
	str(&r.GenericSecret, "generic-secret", "STAGEHAND_GENERIC_SECRET", "", "any CI job: HMAC-SHA256 key for X-Stagehand-Signature-256")
}

// check reports every problem with the settings at once.
func (f *serveFlags) check() []error {
	var errs []error
	if f.secret == "" {
		errs = append(errs, errors.New("the GitHub webhook secret is empty: set STAGEHAND_GITHUB_WEBHOOK_SECRET to the App's webhook secret"))
	}
	if f.reconcile < 0 {
		errs = append(errs, errors.New("STAGEHAND_RECONCILE_INTERVAL is not a duration such as 10m (0 turns it off)"))
	}
	if f.apiOpenErr {
		errs = append(errs, errors.New("STAGEHAND_API_OPEN is not true or false"))
	}
	switch {
	case f.apiOpen && f.apiToken != "":
		errs = append(errs, errors.New("STAGEHAND_API_TOKEN and --api-open (STAGEHAND_API_OPEN) are both set: the API either needs the token or is open to anyone; choose one"))
	case f.apiToken != "" && len(f.apiToken) < minAPIToken:
		errs = append(errs, fmt.Errorf("STAGEHAND_API_TOKEN is %d bytes; it must be at least %d (openssl rand -hex 32)", len(f.apiToken), minAPIToken))
	}
	if _, err := fleet.ParseAllow(f.github.repo); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseMirrors(f.mirrors); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseLevel(f.logLevel); err != nil {
		errs = append(errs, err)
	}
	if _, err := f.notify.server(); err != nil {
		errs = append(errs, err)
	}
	_, linksOn, err := f.linkSigner()
	if err != nil {
		errs = append(errs, err)
	}
	if _, _, err := f.oauth(linksOn || err != nil); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// oauth is GitHub sign-in for link pages when both the client ID and secret
// are set; ok is false when neither is. links says whether links are on
// (or were asked for): sign-in is only for their pages.
func (f *serveFlags) oauth(links bool) (o link.OAuth, ok bool, err error) {
	switch {
	case f.oauthID == "" && f.oauthSecret == "":
		return link.OAuth{}, false, nil
	case f.oauthSecret == "":
		return link.OAuth{}, false, errors.New("STAGEHAND_GITHUB_CLIENT_ID is set but STAGEHAND_GITHUB_CLIENT_SECRET is not: GitHub sign-in needs both (the App's settings page shows them), or neither")
	case f.oauthID == "":
		return link.OAuth{}, false, errors.New("STAGEHAND_GITHUB_CLIENT_SECRET is set but STAGEHAND_GITHUB_CLIENT_ID is not: GitHub sign-in needs both, or neither")
	case !links:
		return link.OAuth{}, false, errors.New("STAGEHAND_GITHUB_CLIENT_ID and _SECRET are set but one-click links are off: sign-in is for link pages, so set STAGEHAND_PUBLIC_URL and STAGEHAND_LINK_SECRET too")
	}
	web, err := githubWebURL(f.github.apiURL, f.webURL)
	if err != nil {
		return link.OAuth{}, false, err
	}
	return link.OAuth{ClientID: f.oauthID, ClientSecret: f.oauthSecret, WebURL: web, APIURL: f.github.apiURL}, true, nil
}

// githubWebURL is where people sign in: the override, github.com for the
// public API, or the host of a GitHub Enterprise Server API URL
// (https://HOST/api/v3 → https://HOST).
func githubWebURL(apiURL, override string) (string, error) {
	if override != "" {
		u, err := url.Parse(override)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", fmt.Errorf("STAGEHAND_GITHUB_WEB_URL %q is not an absolute http:// or https:// URL such as https://github.example.com", override)
		}
		return strings.TrimRight(override, "/"), nil
	}
	if apiURL == "" {
		return "https://github.com", nil
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("STAGEHAND_GITHUB_API_URL %q is not a URL; set STAGEHAND_GITHUB_WEB_URL to where people sign in", apiURL)
	}
	if u.Host == "api.github.com" {
		return "https://github.com", nil
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3")
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// linkSigner signs one-click promotion links when both the public URL and
// the link secret are set; ok is false when neither is. One without the
// other is a mistake, not a way to turn links off.
func (f *serveFlags) linkSigner() (s link.Signer, ok bool, err error) {
	switch {
	case f.publicURL == "" && f.linkSecret == "":
		return link.Signer{}, false, nil
	case f.linkSecret == "":
		return link.Signer{}, false, errors.New("STAGEHAND_PUBLIC_URL is set but STAGEHAND_LINK_SECRET is not: one-click promotion links need both; set a secret (openssl rand -base64 48), or unset STAGEHAND_PUBLIC_URL")
	case f.publicURL == "":
		return link.Signer{}, false, errors.New("STAGEHAND_LINK_SECRET is set but STAGEHAND_PUBLIC_URL is not: one-click promotion links need the URL people reach stagehand at")
	}
	s, err = link.NewSigner(f.publicURL, []byte(f.linkSecret))
	return s, err == nil, err
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [flags]\n\nServes GitHub App and registry webhooks on a durable queue. Every flag has an environment variable.", stderr)
	var f serveFlags
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	level, _ := parseLevel(f.logLevel)
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	errs := f.check()
	// The GitHub clients: the installation of the one repository named, or
	// every installation of the App when stagehand serves every repository
	// it may.
	gf := f.github
	if allow, err := fleet.ParseAllow(gf.repo); err == nil {
		gf.repo, _ = allow.Single()
	}
	var clients repoClients
	var installationID int64
	if gopts, err := gf.options(); err != nil {
		errs = append(errs, err)
	} else if gf.repo != "" {
		c, err := githubapp.New(ctx, gopts)
		if err != nil {
			errs = append(errs, err)
		} else {
			clients, installationID = oneInstallation{c}, c.InstallationID()
		}
	} else if clients, err = newInstallations(ctx, gopts); err != nil {
		errs = append(errs, err)
	}
	// Opened before deciding so that a database that cannot be opened is
	// reported together with the settings, not after they are fixed.
	d, dbErr := db.Open(ctx, f.database, log)
	if dbErr == nil {
		defer d.Close()
	}
	if len(errs) > 0 {
		if dbErr != nil {
			errs = append(errs, dbErr)
		}
		return usageError{msg: "cannot start:\n" + errors.Join(errs...).Error()}
	}
	if dbErr != nil {
		return fmt.Errorf("cannot start: %w", dbErr)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mirrors, _ := parseMirrors(f.mirrors)
	resolver, err := f.github.resolver(mirrors...)
	if err != nil {
		return err
	}
	signer, linksOn, _ := f.linkSigner()
	oauth, signIn, _ := f.oauth(linksOn)
	var links func(app, from, to, digest string) string
	if linksOn {
		links = signer.Link
	}
	st := store.New(d)
	reqs := &work.Requests{DB: d, Store: st}
	// A config that starts using images whose pushes were ignored (no app
	// used them then) has the registry asked for them at once.
	var recovery struct {
		srv atomic.Pointer[server.Server]
		q   atomic.Pointer[queue.Queue]
	}
	newImages := func(images []string) {
		srv, q := recovery.srv.Load(), recovery.q.Load()
		if srv == nil || q == nil || !slices.ContainsFunc(images, srv.IgnoredUnused) {
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := q.ReconcileSoon(ctx); err != nil {
				log.Warn("could not queue a reconcile for images the new config uses; the periodic one finds their pushes", "images", images, "err", err)
			}
		}()
	}
	now, sched := clockOf(ctx, reqs)
	allow, _ := fleet.ParseAllow(f.github.repo)
	single, static := allow.Single()
	notifyQ := &laterQueue{}
	var repos *fleet.Fleet
	notifier, err := f.notifier(func() *promote.Engine {
		if r, ok := repos.Default(); ok {
			return r.Engine.(*promote.Engine)
		}
		return nil
	}, cmp.Or(single, "*"), notifyQ, reg, log)
	if err != nil {
		return err
	}
	promotions, err := work.NewPromotions(reg)
	if err != nil {
		return err
	}
	// Each config repository has its engine and workers over the one
	// installation's client, records and locks of its own, and its
	// requests name it. The one repository STAGEHAND_CONFIG_REPO names
	// works exactly as stagehand did before it served several.
	build := func(ctx context.Context, name, base string) (*fleet.Repo, error) {
		rc, err := clients.ForRepo(name)
		if err != nil {
			return nil, err
		}
		var (
			engine *promote.Engine
			rsched promote.Scheduler = sched
			locks  promote.Locker    = d
			notes  promote.Notifier  = notifier
			rlinks                   = links
		)
		if !static {
			rsched, locks = repoScheduler{sched, name}, repoLocks{d, name}
			notes = notifier.For(name, func() []notify.Target {
				if cfg := engine.LastConfig(); cfg != nil {
					return cfg.Notify
				}
				return nil
			})
			// Its links name it.
			if linksOn {
				rlinks = func(app, from, to, digest string) string { return signer.LinkIn(name, app, from, to, digest) }
			}
		}
		records := st.ForRepo(name)
		// The promotions issue hears of every change the engine makes.
		issues := issueRefresher{next: notes, engine: func() *promote.Engine { return engine }, q: notifyQ, repo: issueRepo(name, static), log: log.With("repo", name)}
		engine, err = promote.New(promote.Options{GitHub: rc, Records: records, Locks: locks, Scheduler: rsched, Reporter: rc, Resolver: resolver, Origins: resolver, Compare: rc,
			Links: rlinks, LinksSignIn: signIn, BaseBranch: base, NewImages: newImages, Notifier: issues, Now: now, Logger: log.With("repo", name)})
		if err != nil {
			return nil, err
		}
		handler, err := work.New(work.Options{Engine: engine, GitHub: rc, Tags: resolver, Promotions: promotions, Repo: name, Logger: log.With("repo", name),
			Issue: f.issueOptions(name, engine, rc, records, locks, issues.refresh)})
		if err != nil {
			return nil, err
		}
		return &fleet.Repo{Name: name, Base: base, Engine: engine, Handler: handler}, nil
	}
	repos, err = fleet.New(fleet.Options{Static: single, Base: f.github.base, Allow: allow, Installation: clients, Build: build,
		Claim: func(ctx context.Context, repo string) error {
			n, err := st.Claim(ctx, repo)
			if n > 0 {
				log.Info("records from before stagehand served several repositories are this one's", "repo", repo, "rows", n)
			}
			return err
		}, Logger: log})
	if err != nil {
		return err
	}
	if err := repos.Refresh(ctx); err != nil {
		// A repository that cannot be read now is read again with the
		// next installation event or config push.
		log.Warn("could not read every config repository", "err", err)
	}
	engine, ok := repos.Default()
	if !ok {
		log.Warn("no config repository to serve yet: install the App on a repository with a .stagehand.yaml on its default branch")
	}
	q, err := queue.New(d, repos, queue.Options{ReconcileInterval: reconcileInterval(f.reconcile), Prune: prune(st), Deliver: notifier.Deliver, Registerer: reg, Logger: log})
	if err != nil {
		return err
	}
	reqs.Queue = q
	notifyQ.q.Store(q)
	f.reg.GAR.Keys = webhook.NewJWKS(f.garJWKS, &http.Client{Timeout: 10 * time.Second})
	var linkPages server.Routes
	var signInPages dashboard.SignIn
	if linksOn && (ok || !static) {
		lo := link.Options{Signer: signer, Engine: defaultEngine{repos}, Requests: reqs, Logger: log,
			Engines: func(repo string) (link.Previewer, bool) {
				r, ok := repos.Get(repo)
				if !ok {
					return nil, false
				}
				return r.Engine.(*promote.Engine), true
			}}
		if signIn {
			lo.OAuth = &oauth
		}
		lh, err := link.NewHandler(lo)
		if err != nil {
			return err
		}
		linkPages, signInPages = lh, lh
	}
	var dash server.Routes
	switch {
	case !static:
		dash = &dashboards{f: &f, repos: repos, st: st, reqs: reqs, clients: clients, signIn: signInPages, log: log, byRepo: map[string]http.Handler{}, access: map[string]dashboard.Access{}}
	case ok:
		rc, _ := clients.ForRepo(engine.Name)
		h, err := f.dashboard(dashboard.Options{Boards: engine.Engine.(*promote.Engine), Records: st.ForRepo(engine.Name), Requests: reqs, Access: rc, SignIn: signInPages, Logger: log}, engine.Name)
		if err != nil {
			return err
		}
		dash = h
	}
	srv, err := server.New(server.Options{GitHubSecret: f.secret, ConfigRepo: single, Repos: repos, Installation: installationID, BaseBranch: f.github.base, Registries: f.reg, Queue: q, Ready: d.Ready, Registry: reg,
		Concerns: repos.Concerns, API: apiRoutes{apiRepos{repos, st}, log}, APIToken: f.apiToken, APIOpen: f.apiOpen,
		Links: linkPages, Dashboard: dash, Logger: log})
	if err != nil {
		return err
	}
	recovery.srv.Store(srv)
	recovery.q.Store(q)
	registerGitHubMetrics(reg, clients)
	// Open each repository's promotions issue, or find it again; a
	// repository whose config keeps none costs no call.
	for _, r := range repos.Repos() {
		if err := q.RefreshIssue(ctx, issueRepo(r.Name, static)); err != nil {
			log.Warn("could not queue a refresh of the promotions issue; the next change or reconcile brings it up to date", "repo", r.Name, "err", err)
		}
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("cannot start: %w", err)
	}
	var metricsLn net.Listener
	if f.metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", f.metricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("cannot start: metrics (STAGEHAND_METRICS_ADDR): %w", err)
		}
	}
	// Jobs must outlive ctx: a stop signal cancels ctx, and Stop below lets
	// running jobs finish; cancelling their context would cut them short.
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		if metricsLn != nil {
			metricsLn.Close()
		}
		return fmt.Errorf("cannot start the queue: %w", err)
	}
	// Starting (migrations, the first read of the config, River's setup)
	// leaves garbage several times what an idle stagehand holds; the
	// runtime would hand its pages back to the system over minutes. One
	// collection now (a few milliseconds, once) makes an idle replica hold
	// what it uses from the start.
	debug.FreeOSMemory()
	metricsDone := make(chan error, 1)
	// The metrics stop with the main server, whichever way it ends.
	metricsCtx, stopMetrics := context.WithCancel(ctx)
	defer stopMetrics()
	if metricsLn != nil {
		log.Info("stagehand serving metrics", "addr", metricsLn.Addr().String())
		fmt.Fprintf(stdout, "stagehand metrics on %s\n", metricsLn.Addr())
		go func() {
			metricsDone <- server.Serve(metricsCtx, metricsLn, srv.MetricsHandler(), server.DefaultTimeouts, 5*time.Second, log)
		}()
	} else {
		metricsDone <- nil
	}
	var served []string
	for _, r := range repos.Repos() {
		served = append(served, r.Name)
	}
	log.Info("stagehand serving", "addr", ln.Addr().String(), "config_repos", served, "database", d.Driver(), "api", apiAccess(f), "version", versionString())
	fmt.Fprintf(stdout, "stagehand listening on %s\n", ln.Addr())

	serveErr := server.Serve(ctx, ln, srv.Handler(), server.DefaultTimeouts, 10*time.Second, log)
	stopMetrics()
	if err := <-metricsDone; err != nil && serveErr == nil {
		serveErr = fmt.Errorf("metrics: %w", err)
	}
	// The server has stopped accepting; let running jobs finish, or release
	// them to be retried by the next process.
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.Stop(stopCtx); err != nil {
		log.Warn("queue stopped with jobs still running; they run again after restart", "err", err)
	}
	log.Info("stagehand stopped")
	return serveErr
}

// apiAccess says, for the log, who may read the API.
func apiAccess(f serveFlags) string {
	switch {
	case f.apiOpen:
		return "open"
	case f.apiToken != "":
		return "token"
	}
	return "closed"
}

func reconcileInterval(d time.Duration) time.Duration {
	if d == 0 {
		return -1 // off
	}
	return d
}

func parseMirrors(s string) ([]registry.Option, error) {
	var opts []registry.Option
	for _, pair := range splitList(s) {
		host, mirror, ok := strings.Cut(pair, "=")
		if !ok || host == "" || mirror == "" {
			return nil, fmt.Errorf("STAGEHAND_REGISTRY_MIRRORS: %q is not host=mirror", pair)
		}
		opts = append(opts, registry.WithMirror(host, mirror))
	}
	return opts, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("STAGEHAND_LOG_LEVEL %q is not debug, info, warn or error", s)
	}
	return l, nil
}

// registerGitHubMetrics exposes the client's API calls, rate limit left
// and pacing.
func registerGitHubMetrics(reg prometheus.Registerer, c interface {
	Calls() int64
	RateLimitRemaining() int64
	Pace() githubapp.PaceStats
}) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "stagehand_github_pace_waits_total",
			Help: "GitHub requests that waited to keep within GitHub's secondary limits (STAGEHAND_GITHUB_WRITE_PACE) or for a pause GitHub asked for.",
		}, func() float64 { return float64(c.Pace().Waits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "stagehand_github_pace_wait_seconds_total",
			Help: "Time GitHub requests spent waiting for the pacer.",
		}, func() float64 { return c.Pace().Waited.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "stagehand_github_secondary_limits_total",
			Help: "Secondary rate limit answers from GitHub; each pauses the installation for the Retry-After.",
		}, func() float64 { return float64(c.Pace().Limited) }),
	)
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "stagehand_github_api_calls_total",
			Help: "GitHub REST API calls made.",
		}, func() float64 { return float64(c.Calls()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "stagehand_github_rate_limit_remaining",
			Help: "The installation's primary rate limit left, as GitHub last reported it (-1 before any answer).",
		}, func() float64 { return float64(c.RateLimitRemaining()) }),
	)
}

// prune forgets used links and request outcomes with the queue's prune.
func prune(st *store.Store) func(ctx context.Context, before time.Time) error {
	return func(ctx context.Context, before time.Time) error {
		_, err := st.Prune(ctx, before)
		return err
	}
}

// apiRoutes mounts the read-only API of every config repository.
type apiRoutes struct {
	repos api.Repos
	log   *slog.Logger
}

func (a apiRoutes) Routes(r chi.Router) { api.RepoRoutes(r, a.repos, a.log) }

// apiRepos are the API's read models of the repositories served.
type apiRepos struct {
	f  *fleet.Fleet
	st *store.Store
}

func (a apiRepos) Reader(name string) (api.Reader, bool) {
	r, ok := a.f.Get(name)
	if !ok {
		return api.Reader{}, false
	}
	return api.Reader{Status: r.Engine.(*promote.Engine), Records: a.st.ForRepo(r.Name)}, true
}

func (a apiRepos) Served() []string {
	var out []string
	for _, r := range a.f.Repos() {
		out = append(out, r.Name)
	}
	return out
}

// defaultEngine previews the links that name no repository (made before
// stagehand served several) in the repository such work goes to.
type defaultEngine struct{ repos *fleet.Fleet }

func (d defaultEngine) Preview(ctx context.Context, r promote.Request) (promote.Plan, error) {
	repo, ok := d.repos.Default()
	if !ok {
		return promote.Plan{}, errors.New("stagehand serves no config repository yet")
	}
	return repo.Engine.(*promote.Engine).Preview(ctx, r)
}

// repoScheduler has the requests a repository's engine schedules name the
// repository, so that they run there.
type repoScheduler struct {
	promote.Scheduler
	repo string
}

func (s repoScheduler) Schedule(ctx context.Context, r promote.Request, at time.Time) error {
	r.Repo = s.repo
	return s.Scheduler.Schedule(ctx, r, at)
}

// repoLocks keeps each repository's stages apart: the same app and stage
// names in two repositories are two stages.
type repoLocks struct {
	promote.Locker
	repo string
}

func (l repoLocks) Lock(ctx context.Context, key string, wait time.Duration) (func(), error) {
	return l.Locker.Lock(ctx, l.repo+"/"+key, wait)
}
