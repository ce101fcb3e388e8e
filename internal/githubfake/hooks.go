package githubfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Webhook is the App's webhook: where GitHub delivers the events of the
// repository, the App's own doings included.
type Webhook struct {
	URL    string // http(s) URL deliveries are POSTed to
	Secret string // signs deliveries (X-Hub-Signature-256); "" sends none
	Active bool   // deliveries are sent only while active
}

// Delivery is one webhook delivery and how it went. GitHub does not retry
// a failed delivery by itself, and neither does the fake.
type Delivery struct {
	GUID    string // X-GitHub-Delivery
	Event   string // X-GitHub-Event: push, pull_request, issue_comment, status, check_run
	Action  string // the payload's action; "" for push and status
	Payload []byte
	Header  http.Header // as sent
	Status  int         // the receiver's answer; 0 when it gave none
	Err     string      // why there was no answer
}

// hookTimeout is how long GitHub waits for a receiver.
const hookTimeout = 10 * time.Second

// hookQueue sends deliveries one at a time, in the order the events
// happened, outside the fake's lock.
type hookQueue struct {
	mu      sync.Mutex
	wake    *sync.Cond
	cfg     Webhook
	pending []Delivery
	busy    bool // a delivery is being sent
	done    []Delivery
	closed  bool
	client  *http.Client
	hookID  int64
}

func newHookQueue(cfg *Webhook, hookID int64) *hookQueue {
	q := &hookQueue{hookID: hookID, client: &http.Client{
		Timeout: hookTimeout,
		// GitHub does not follow a receiver's redirect.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	if cfg != nil {
		q.cfg = *cfg
	}
	q.wake = sync.NewCond(&q.mu)
	return q
}

// SetWebhook changes the App's webhook from now on (deliveries already
// queued keep their target).
func (s *Server) SetWebhook(w Webhook) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.cfg = w
}

// hooksOn reports whether events are delivered now, so that nothing is
// rendered for nobody.
func (s *Server) hooksOn() bool {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return s.live && s.installed.Load() && s.hooks.cfg.Active && s.hooks.cfg.URL != ""
}

// Deliveries returns every delivery attempted so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]Delivery(nil), s.hooks.done...)
}

// WaitDeliveries waits until every delivery queued so far has been
// attempted, or ctx ends.
func (s *Server) WaitDeliveries(ctx context.Context) error {
	for {
		s.hooks.mu.Lock()
		idle := len(s.hooks.pending) == 0 && !s.hooks.busy
		s.hooks.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// enqueue queues a delivery of payload (an object, encoded now: it is
// the state at the event). Callers hold mu.
func (s *Server) enqueue(event, action string, payload map[string]any) {
	appID := s.opts.AppID
	if a := s.apps[s.hookApp]; s.hookApp != 0 && a != nil {
		// An App made from a manifest gets only the events it subscribed to.
		if !slices.Contains(a.Events, event) {
			return
		}
		appID = a.ID
	}
	data, err := encodeBody(payload)
	if err != nil {
		s.violations = append(s.violations, fmt.Sprintf("webhook %s: encode: %v", hookName(event, action), err))
		return
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	q := s.hooks
	q.mu.Lock()
	defer q.mu.Unlock()
	cfg := q.cfg
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/"+hookshotVersion)
	h.Set("X-GitHub-Delivery", guid())
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Hook-ID", strconv.FormatInt(q.hookID, 10))
	h.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	h.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(appID, 10))
	if cfg.Secret != "" {
		h.Set("X-Hub-Signature", "sha1="+sign(sha1.New, cfg.Secret, data))
		h.Set("X-Hub-Signature-256", "sha256="+sign(sha256.New, cfg.Secret, data))
	}
	h.Set("X-GitHub-Hook-URL", cfg.URL) // the fake's own, for the worker; not sent
	q.pending = append(q.pending, Delivery{GUID: h.Get("X-GitHub-Delivery"), Event: event, Action: action, Payload: data, Header: h})
	q.wake.Signal()
}

// hookshotVersion is a short SHA, as GitHub's User-Agent carries.
const hookshotVersion = "a1b2c3d"

func sign(h func() hash.Hash, secret string, body []byte) string {
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// guid is a random (version 4) UUID, as X-GitHub-Delivery holds.
func guid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// deliverLoop sends queued deliveries until the queue is closed.
func (s *Server) deliverLoop() {
	q := s.hooks
	for {
		q.mu.Lock()
		for len(q.pending) == 0 && !q.closed {
			q.wake.Wait()
		}
		if q.closed {
			q.mu.Unlock()
			return
		}
		d := q.pending[0]
		q.pending = q.pending[1:]
		q.busy = true
		q.mu.Unlock()

		d = s.deliver(d)

		q.mu.Lock()
		q.done = append(q.done, d)
		q.busy = false
		q.mu.Unlock()
	}
}

// deliver checks the payload against GitHub's webhook description (a
// mismatch is a violation) and POSTs it, once.
func (s *Server) deliver(d Delivery) Delivery {
	if s.opts.Validate {
		if err := validatePayload(d.Event, d.Action, d.Payload); err != nil {
			s.recordViolation("webhook %s (%s) breaks GitHub's webhook description: %v", hookName(d.Event, d.Action), d.GUID, err)
		}
	}
	url := d.Header.Get("X-GitHub-Hook-URL")
	d.Header.Del("X-GitHub-Hook-URL")
	ctx, cancel := context.WithTimeout(context.Background(), hookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Payload))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header = d.Header.Clone()
	resp, err := s.hooks.client.Do(req)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	_ = resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}

// closeHooks stops the worker; queued deliveries are dropped.
func (s *Server) closeHooks() {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.closed = true
	s.hooks.pending = nil
	s.hooks.wake.Broadcast()
}
