package distribution

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sync"
	"testing"
	"unsafe"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/notifications"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registers "inmemory"
	events "github.com/docker/go-events"
	"github.com/google/uuid"
	"github.com/sirupsen/logrus"
)

// LogEnv, when set to anything, leaves Distribution's logging alone; by
// default it is silenced (see the package documentation).
const LogEnv = "STAGEHAND_TEST_DISTRIBUTION_LOG"

// Registry is a running CNCF Distribution registry: in-memory storage,
// plain HTTP on 127.0.0.1, no auth.
type Registry struct {
	app       *handlers.App
	server    *httptest.Server
	transport *http.Transport // for pushes, so Close can drop its connections

	broadcaster *events.Broadcaster
	retrying    []*events.RetryingSink

	closeOnce sync.Once
	closeErr  error
}

// New starts a registry. Close it when done.
func New(opts ...Option) (*Registry, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	quietLogging()

	// The listener exists before the server starts, so the configuration
	// can name its port, as a registry's http.addr does.
	srv := httptest.NewUnstartedServer(nil)
	cfg, err := configure(o, srv.Listener.Addr().String())
	if err != nil {
		srv.Close()
		return nil, err
	}
	app, err := newApp(cfg)
	if err != nil {
		srv.Close()
		return nil, err
	}
	b, retrying, err := notificationSinks(app)
	if err != nil {
		srv.Close()
		_ = app.Shutdown()
		return nil, err
	}
	srv.Config.Handler = app
	srv.Start()
	return &Registry{
		app:         app,
		server:      srv,
		transport:   http.DefaultTransport.(*http.Transport).Clone(),
		broadcaster: b,
		retrying:    retrying,
	}, nil
}

// NewTest starts a registry for tb and closes it when tb ends.
func NewTest(tb testing.TB, opts ...Option) *Registry {
	tb.Helper()
	r, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := r.Close(); err != nil {
			tb.Error(err)
		}
	})
	return r
}

// Host is "127.0.0.1:PORT": the registry part of an image reference, and
// what Distribution writes into events' request.host (it copies the
// pushing client's Host header, which is this).
func (r *Registry) Host() string { return r.server.Listener.Addr().String() }

// URL is "http://127.0.0.1:PORT".
func (r *Registry) URL() string { return r.server.URL }

// Close stops the registry: it stops serving, drops notifications not yet
// delivered (as a registry restart does: Distribution's queue is in
// memory), and stops the notification goroutines, which
// handlers.App.Shutdown leaves running. It is safe to call more than once.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		r.server.Close() // waits for requests in flight: no new events
		// A retrying sink blocks its queue until the receiver accepts, and
		// closing the queue waits for it to drain: stop the retries first.
		for _, s := range r.retrying {
			_ = s.Close()
		}
		_ = r.broadcaster.Close() // closes each endpoint's queue, and waits
		r.closeErr = r.app.Shutdown()
		r.transport.CloseIdleConnections()
	})
	return r.closeErr
}

// configure builds the configuration a registry:3 container would read
// from config.yml with notifications.endpoints[0] set from o.
func configure(o *options, addr string) (*configuration.Configuration, error) {
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"inmemory": configuration.Parameters{},
		// The purger is a goroutine ticking every 24h; nothing here
		// lives that long, and Close could not stop it.
		"maintenance": configuration.Parameters{
			"uploadpurging": map[any]any{"enabled": false},
		},
	}
	cfg.HTTP.Addr = addr
	// Without a secret Distribution makes one up and warns about it.
	cfg.HTTP.Secret = rand.Text()
	if o.tagDelay > 0 {
		if err := registerTagDelay(); err != nil {
			return nil, fmt.Errorf("distribution: %w", err)
		}
		cfg.Middleware = map[string][]configuration.Middleware{"storage": {{
			Name:    tagDelayMiddleware,
			Options: configuration.Parameters{"delay": o.tagDelay},
		}}}
	}
	if o.endpoint != "" {
		cfg.Notifications.Endpoints = []configuration.Endpoint{{
			Name:      "stagehand",
			URL:       o.endpoint,
			Headers:   o.headers.Clone(),
			Timeout:   o.timeout,
			Threshold: o.threshold,
			Backoff:   o.backoff,
			// IgnoredMediaTypes and Ignore stay empty: users get blob
			// events, so tests get them.
		}}
	}
	return cfg, nil
}

// newApp is handlers.NewApp, which reports a bad configuration by
// panicking.
func newApp(cfg *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("distribution: start registry: %v", p)
		}
	}()
	return handlers.NewApp(instanceContext{context.Background(), uuid.NewString()}, cfg), nil
}

// instanceContext carries the "instance.id" value Distribution's own
// background context carries (its dcontext package is internal), which
// fills events' source.instanceID.
type instanceContext struct {
	context.Context
	id string
}

func (c instanceContext) Value(key any) any {
	if k, ok := key.(string); ok && k == "instance.id" {
		return c.id
	}
	return c.Context.Value(key)
}

// ErrInternals reports that this version of Distribution is not laid out
// as the package expects, so Close could not stop its goroutines.
var ErrInternals = errors.New("distribution: registry internals changed")

// notificationSinks reaches what NewApp builds and App.Shutdown never
// closes (distribution v3.1.2): App.events.sink, a go-events Broadcaster
// with a goroutine, over one notifications.Endpoint per configured
// endpoint, each an eventQueue with a goroutine feeding a RetryingSink.
func notificationSinks(app *handlers.App) (*events.Broadcaster, []*events.RetryingSink, error) {
	sink, ok := field(reflect.ValueOf(app).Elem(), "events", "sink").(*events.Broadcaster)
	if !ok {
		return nil, nil, fmt.Errorf("%w: App.events.sink is not a *events.Broadcaster", ErrInternals)
	}
	sinks, ok := field(reflect.ValueOf(sink).Elem(), "sinks").([]events.Sink)
	if !ok {
		return nil, nil, fmt.Errorf("%w: Broadcaster.sinks is not a []events.Sink", ErrInternals)
	}
	var retrying []*events.RetryingSink
	for _, s := range sinks {
		ep, ok := s.(*notifications.Endpoint)
		if !ok {
			return nil, nil, fmt.Errorf("%w: broadcast sink is a %T, not a *notifications.Endpoint", ErrInternals, s)
		}
		rs, ok := field(reflect.ValueOf(ep.Sink).Elem(), "sink").(*events.RetryingSink)
		if !ok {
			return nil, nil, fmt.Errorf("%w: endpoint queue's sink is not a *events.RetryingSink", ErrInternals)
		}
		retrying = append(retrying, rs)
	}
	return sink, retrying, nil
}

// field reads a chain of (possibly unexported) struct fields from the
// addressable struct v, or returns nil if there is no such chain.
func field(v reflect.Value, names ...string) any {
	for _, n := range names {
		if v.Kind() != reflect.Struct {
			return nil
		}
		v = v.FieldByName(n)
		if !v.IsValid() || !v.CanAddr() {
			return nil
		}
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	return v.Interface()
}

var quietOnce sync.Once

// quietLogging silences the process-wide logrus logger, which is all
// Distribution logs through: its logger lives in an internal package, so
// a registry cannot be given one of its own, and a line cannot be told
// apart from another test's registry's.
func quietLogging() {
	quietOnce.Do(func() {
		if os.Getenv(LogEnv) == "" {
			logrus.SetOutput(io.Discard)
		}
	})
}
