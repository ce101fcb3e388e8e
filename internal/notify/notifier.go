package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stagehand-dev/stagehand/internal/queue"
)

// Queue takes deliveries to make; *queue.Queue is one.
type Queue interface {
	Notify(ctx context.Context, ns []queue.Notification) error
}

// Options configure a Notifier. Repo and Queue are required.
type Options struct {
	Repo string // the config repository, owner/name
	// WebURL is where people read the repository; PR links are
	// WebURL/Repo/pull/N. Default https://github.com.
	WebURL string
	// Server is the server-wide receiver; nil for none.
	Server *Server
	// Targets are the config repository's receivers, from the config last
	// read (notify: in .stagehand.yaml); nil for none.
	Targets func() []Target
	Queue   Queue
	// LookupEnv reads the receivers' URLs and keys when a delivery is
	// made; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Timeout bounds one delivery, the receiver's answer included;
	// default 10s.
	Timeout time.Duration
	// Transport makes the requests; default a clone of
	// http.DefaultTransport.
	Transport  http.RoundTripper
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Notifier queues each event for the receivers that take it, and delivers
// them from the queue (Deliver).
type Notifier struct {
	opts    Options
	client  *http.Client
	log     *slog.Logger
	outcome *prometheus.CounterVec
}

// Outcomes of stagehand_notifications_total.
const (
	outcomeSent     = "sent"     // the receiver answered 2xx
	outcomeRetry    = "retry"    // it failed; the delivery is tried again
	outcomeFailed   = "failed"   // given up: refused (4xx), a setting missing, or out of tries
	outcomeUnqueued = "unqueued" // the queue could not take the delivery
)

// New returns a Notifier.
func New(opts Options) (*Notifier, error) {
	if opts.Repo == "" || opts.Queue == nil {
		return nil, errors.New("notify: the repository and a queue are required")
	}
	if opts.WebURL == "" {
		opts.WebURL = "https://github.com"
	}
	opts.WebURL = strings.TrimRight(opts.WebURL, "/")
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	n := &Notifier{opts: opts, log: opts.Logger}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.client = &http.Client{
		Transport: opts.Transport,
		Timeout:   opts.Timeout,
		// A receiver that moved says so with a new URL in the settings: a
		// redirect is not followed (as GitHub does not follow them), so a
		// body and its signature go only where they were meant to.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	n.outcome = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "stagehand_notifications_total",
		Help: "Outgoing notification deliveries by event and outcome: sent, retry (failed, tried again), failed (given up: refused by the receiver, a setting missing, or out of tries), unqueued (the queue could not take it).",
	}, []string{"event", "outcome"})
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(n.outcome); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// delivery is one event for one receiver, as the queue keeps it: no URL
// or key that is a secret, only the names of the variables that hold them.
type delivery struct {
	Event     Event  `json:"event"`
	Server    bool   `json:"server,omitempty"` // the server-wide receiver
	URL       string `json:"url,omitempty"`
	URLEnv    string `json:"url_env,omitempty"`
	Format    Format `json:"format"`
	SecretEnv string `json:"secret_env,omitempty"`
}

// receiver names the receiver in logs and errors without a secret.
func (d delivery) receiver() string {
	switch {
	case d.Server:
		return EnvURL
	case d.URLEnv != "":
		return "$" + d.URLEnv
	}
	if u, err := url.Parse(d.URL); err == nil {
		return u.Scheme + "://" + u.Host
	}
	return "a receiver"
}

// Notify queues evs for every receiver that takes them. It never fails
// the promotion that made them: a queue that cannot take them is logged
// and counted.
func (n *Notifier) Notify(ctx context.Context, evs []Event) {
	n.notify(ctx, evs, n.opts.Repo, n.opts.Targets)
}

// For is what the engine of another config repository notifies through:
// its events name repo, and go to the server-wide receiver and to the
// receivers targets lists (its config's).
func (n *Notifier) For(repo string, targets func() []Target) *RepoNotifier {
	return &RepoNotifier{n: n, repo: repo, targets: targets}
}

// RepoNotifier notifies the events of one config repository.
type RepoNotifier struct {
	n       *Notifier
	repo    string
	targets func() []Target
}

// Notify is Notifier.Notify for the repository.
func (r *RepoNotifier) Notify(ctx context.Context, evs []Event) {
	r.n.notify(ctx, evs, r.repo, r.targets)
}

func (n *Notifier) notify(ctx context.Context, evs []Event, repo string, targetsOf func() []Target) {
	var targets []Target
	if targetsOf != nil {
		targets = targetsOf()
	}
	if len(evs) == 0 || (n.opts.Server == nil && len(targets) == 0) {
		return
	}
	var ns []queue.Notification
	for _, ev := range evs {
		ev = n.complete(ev, repo)
		add := func(key string, d delivery) {
			d.Event = ev
			payload, err := json.Marshal(d)
			if err != nil {
				n.log.Error("could not encode a notification", "event_id", ev.ID, "err", err)
				return
			}
			ns = append(ns, queue.Notification{ID: ev.ID + "/" + key, Payload: payload,
				Summary: fmt.Sprintf("%s %s/%s to %s", ev.Kind, ev.App, ev.Stage, d.receiver())})
		}
		if s := n.opts.Server; s != nil && (len(s.Events) == 0 || slices.Contains(s.Events, ev.Kind)) {
			add("server", delivery{Server: true, Format: s.Format})
		}
		for i, t := range targets {
			if t.Takes(ev.Kind) {
				add(fmt.Sprintf("repo-%d", i), delivery{URL: t.URL, URLEnv: t.URLEnv, Format: t.Format, SecretEnv: t.SecretEnv})
			}
		}
	}
	if len(ns) == 0 {
		return
	}
	// The promotion is done; its notifications must not be lost because
	// its job is about to run out of time.
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := n.opts.Queue.Notify(qctx, ns); err != nil {
		for _, ev := range evs {
			n.outcome.WithLabelValues(string(ev.Kind), outcomeUnqueued).Inc()
		}
		n.log.Error("could not queue notifications; they are lost, the promotions they tell of are not", "notifications", len(ns), "err", err)
	}
}

// complete fills in what the engine does not know: the id, the
// repository, the PR's link, the time.
func (n *Notifier) complete(ev Event, repo string) Event {
	ev.Version = SchemaVersion
	if ev.ID == "" {
		ev.ID = newID()
	}
	ev.Repo = repo
	if ev.PR != nil && ev.PR.URL == "" {
		pr := *ev.PR
		pr.URL = fmt.Sprintf("%s/%s/pull/%d", n.opts.WebURL, repo, pr.Number)
		ev.PR = &pr
	}
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	ev.At = ev.At.UTC()
	return ev
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// maxBody bounds what is sent; an event is far smaller (its reason is
// clipped), so a larger body is a bug, not something to send.
const maxBody = 64 << 10

// Deliver makes one delivery the queue kept (a queue.Deliverer): an
// error is tried again, queue.Permanent ends it. final says this is the
// last try. Every end is logged and counted.
func (n *Notifier) Deliver(ctx context.Context, payload []byte, final bool) error {
	var d delivery
	if err := json.Unmarshal(payload, &d); err != nil {
		n.log.Error("notification unreadable; dropped", "err", err)
		n.outcome.WithLabelValues("", outcomeFailed).Inc()
		return queue.Permanent(fmt.Errorf("notification unreadable: %w", err))
	}
	log := n.log.With("event_id", d.Event.ID, "event", d.Event.Kind, "app", d.Event.App, "stage", d.Event.Stage, "receiver", d.receiver())
	status, err := n.send(ctx, d)
	switch {
	case err == nil:
		n.outcome.WithLabelValues(string(d.Event.Kind), outcomeSent).Inc()
		log.Info("notification sent", "status", status)
		return nil
	case queue.IsPermanent(err) || final:
		n.outcome.WithLabelValues(string(d.Event.Kind), outcomeFailed).Inc()
		log.Error("notification not delivered; given up", "status", status, "err", err)
	default:
		n.outcome.WithLabelValues(string(d.Event.Kind), outcomeRetry).Inc()
		log.Warn("notification not delivered yet; will retry", "status", status, "err", err)
	}
	return err
}

// send posts d's body to its receiver and classifies the answer: 2xx is
// done; a network failure, a timeout, 408, 429 and 5xx are worth trying
// again; anything else (a redirect, a refusal) will not change by itself.
func (n *Notifier) send(ctx context.Context, d delivery) (status int, err error) {
	target, secret, err := n.resolve(d)
	if err != nil {
		return 0, queue.Permanent(err)
	}
	body, err := Body(d.Format, d.Event)
	if err != nil {
		return 0, queue.Permanent(err)
	}
	if len(body) > maxBody {
		return 0, queue.Permanent(fmt.Errorf("body of %d bytes is over %d", len(body), maxBody))
	}
	ctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, queue.Permanent(errors.New("the receiver's URL cannot be requested"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "stagehand")
	req.Header.Set(EventHeader, string(d.Event.Kind))
	req.Header.Set(EventIDHeader, d.Event.ID)
	if secret != "" {
		req.Header.Set(SignatureHeader, Sign([]byte(secret), body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		// url.Error repeats the URL, which may be a secret (Slack's is).
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("post to %s: %w", d.receiver(), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return s, nil
	case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
		return s, fmt.Errorf("%s answered %s", d.receiver(), resp.Status)
	default:
		return s, queue.Permanent(fmt.Errorf("%s answered %s; check the receiver's URL and secret", d.receiver(), resp.Status))
	}
}

// resolve is d's URL and signing key, read from the server's settings and
// environment now, so that neither is ever in the queue.
func (n *Notifier) resolve(d delivery) (target, secret string, err error) {
	if d.Server {
		if n.opts.Server == nil {
			return "", "", fmt.Errorf("%s is no longer set", EnvURL)
		}
		return n.opts.Server.URL, n.opts.Server.Secret, nil
	}
	target = d.URL
	if d.URLEnv != "" {
		v, ok := n.opts.LookupEnv(d.URLEnv)
		if !ok || v == "" {
			return "", "", fmt.Errorf("%s, which .stagehand.yaml names as a receiver's URL, is not set on the server", d.URLEnv)
		}
		target = v
	}
	if why := CheckURL(target); why != "" {
		return "", "", fmt.Errorf("the URL of %s %s", d.receiver(), why)
	}
	if d.SecretEnv != "" {
		v, ok := n.opts.LookupEnv(d.SecretEnv)
		if !ok || v == "" {
			return "", "", fmt.Errorf("%s, which .stagehand.yaml names as a receiver's secret, is not set on the server", d.SecretEnv)
		}
		secret = v
	}
	return target, secret, nil
}
