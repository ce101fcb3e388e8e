// Package server is stagehand's HTTP front: GitHub App and registry
// webhooks, health, readiness and metrics. A webhook handler only
// authenticates, parses and hands the delivery to the durable queue; it
// answers 202 once the work is stored, and the queue's workers do the rest.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/webhook"
)

// Body limits. GitHub caps payloads at 25 MB; registry notifications are a
// few kilobytes, so a megabyte is generous.
const (
	maxGitHubBody   = 25 << 20
	maxRegistryBody = 1 << 20
)

// Routes is a part of stagehand with pages of its own (the API, the link
// pages), which it adds to the router.
type Routes interface {
	Routes(r chi.Router)
}

// Router knows the config repositories served; *fleet.Fleet is one.
type Router interface {
	// Serves reports whether events of repo are acted on, with its name as
	// served and its base branch.
	Serves(repo string) (name, base string, ok bool)
	// Allows reports whether repo may be served.
	Allows(repo string) bool
	// Static says the one repository served is fixed: installation
	// events change nothing.
	Static() bool
	// Using lists the repositories a push of image is for.
	Using(image string) []string
}

// Acceptor stores a delivery durably; *queue.Queue is one.
type Acceptor interface {
	Accept(ctx context.Context, d queue.Delivery) (duplicate bool, err error)
}

// Options configure the server. GitHubSecret, Queue and Ready are required.
type Options struct {
	GitHubSecret string
	// ConfigRepo ("owner/name") and Installation, when set, are the only
	// repository and installation whose GitHub events are acted on; the
	// rest are acknowledged and ignored.
	ConfigRepo   string
	Installation int64
	// Repos, when set, are the config repositories served, in place of
	// ConfigRepo: each event acts on the repository it came from, and
	// installation events and pushes that may add or remove a config have
	// the set read again.
	Repos Router
	// BaseBranch is the config repository's branch stagehand reads its
	// configuration from; a push there that touches it is checked at
	// once. Default "main".
	BaseBranch string
	Registries webhook.Config
	// Concerns, when set, says whether an app uses an image, from the
	// configuration last read (known false before any): pushes of images
	// no app uses are acknowledged and ignored without becoming work.
	Concerns func(image string) (uses, known bool)
	Queue    Acceptor
	// Ready reports whether the database is reachable and migrated.
	Ready func(ctx context.Context) error
	// Registry gathers metrics; the server registers its own in it.
	// MetricsHandler serves it on /metrics, apart from Handler, so that
	// call counts and names are not shown to whoever reaches the webhooks.
	// Default: a new registry.
	Registry *prometheus.Registry
	// API, when set, serves the read-only history API, to the holders of
	// APIToken, or to anyone with APIOpen; with neither it refuses
	// everyone (the safe default: it shows images, digests and actors).
	API      Routes
	APIToken string
	APIOpen  bool
	// Links, when set, serves one-click promotion links on /promote/{token}
	// and their GitHub sign-in.
	Links Routes
	// Dashboard, when set, serves the web dashboard on / and its pages.
	Dashboard Routes
	Logger    *slog.Logger
}

// Server holds the routes.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	router  chi.Router
	// unused holds the images whose pushes were ignored because no app
	// used them; as many as the authenticated registries have.
	unused sync.Map
}

// New checks the options and builds the routes.
func New(opts Options) (*Server, error) {
	var errs []error
	if opts.GitHubSecret == "" {
		errs = append(errs, errors.New("the GitHub webhook secret is empty: set STAGEHAND_GITHUB_WEBHOOK_SECRET to the App's webhook secret"))
	}
	if opts.Queue == nil {
		errs = append(errs, errors.New("server: a queue is required"))
	}
	if opts.Ready == nil {
		errs = append(errs, errors.New("server: a readiness check is required"))
	}
	if opts.APIOpen && opts.APIToken != "" {
		errs = append(errs, errors.New("STAGEHAND_API_TOKEN and STAGEHAND_API_OPEN are both set: the API either needs the token or is open to anyone; choose one"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BaseBranch == "" {
		opts.BaseBranch = "main"
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger, metrics: m}
	r := chi.NewRouter()
	r.Use(s.recoverer)
	r.Post(GitHubWebhookPath, s.github)
	r.Post("/webhooks/registry/{vendor}", s.registry)
	r.Post("/webhooks/registry/{vendor}/{token}", s.registry)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { text(w, http.StatusOK, "ok") })
	r.Get("/readyz", s.ready)
	if opts.API != nil {
		r.Group(func(r chi.Router) {
			r.Use(s.apiAccess)
			opts.API.Routes(r)
		})
	}
	if opts.Links != nil {
		opts.Links.Routes(r)
	}
	if opts.Dashboard != nil {
		opts.Dashboard.Routes(r)
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { text(w, http.StatusNotFound, "not found") })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusMethodNotAllowed, "method not allowed")
	})
	s.router = r
	return s, nil
}

// GitHubWebhookPath is where GitHub delivers the App's events: the
// webhook URL an App is registered with is the public URL and this.
const GitHubWebhookPath = "/webhooks/github"

// Handler is the server's http.Handler: webhooks, health, the API and the
// link pages. Metrics are not among them (see MetricsHandler).
func (s *Server) Handler() http.Handler { return s.router }

// MetricsHandler serves the metrics on /metrics, for a listener of their
// own: Prometheus scrapes a port that the world does not reach.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{Registry: s.opts.Registry}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { text(w, http.StatusNotFound, "not found") })
	return mux
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.opts.Ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		text(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	text(w, http.StatusOK, "ready")
}

// recoverer turns a panic into a logged 500, so one bad delivery cannot
// take the process down.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic while serving a request", "path", r.URL.Path, "panic", v)
				text(w, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func text(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

// Timeouts bound a connection. Write must cover Read: the write deadline
// runs from the end of the request's headers, so a body uploaded slowly
// eats into it, and a delivery read in full must still be answered.
type Timeouts struct {
	Read, Write, Idle time.Duration
}

// coverRead raises Write to cover Read with ten seconds to answer in.
func (t Timeouts) coverRead() Timeouts {
	if t.Write < t.Read+10*time.Second {
		t.Write = t.Read + 10*time.Second
	}
	return t
}

// DefaultTimeouts: a 25 MB GitHub payload on a slow link is read within a
// minute, and answered after.
var DefaultTimeouts = Timeouts{Read: 60 * time.Second, Write: 90 * time.Second, Idle: 120 * time.Second}

// Serve serves h on ln until ctx is done, then stops accepting and lets
// requests in flight finish for up to grace.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, t Timeouts, grace time.Duration, log *slog.Logger) error {
	srv := httpServer(h, t.coverRead(), log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// httpServer is the server Serve runs, with the timeouts exactly as t says.
func httpServer(h http.Handler, t Timeouts, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
