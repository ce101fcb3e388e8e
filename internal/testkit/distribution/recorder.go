package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Recorder is a notification receiver that records every request and
// answers as told: 200 unless Answer or Reply say otherwise.
type Recorder struct {
	server *httptest.Server

	mu      sync.Mutex
	answer  int   // the status when no reply is queued
	replies []int // the next statuses, in order
	got     []Delivery
	changed chan struct{} // closed and replaced on each delivery
}

// Delivery is one notification request as the receiver got it.
type Delivery struct {
	At     time.Time
	Header http.Header
	Body   []byte
	Status int     // what the recorder answered
	Events []Event // Body's events; nil if Body is not an envelope
}

// Accepted reports whether Distribution counts the answer as delivered
// (any 2xx or 3xx); otherwise it sends the same event again.
func (d Delivery) Accepted() bool { return d.Status >= 200 && d.Status < 400 }

// Event is one event of a notification envelope, with the field names
// Distribution v3 sends (notifications.Event); References, sent only with
// notifications.events.includereferences, and the descriptor's optional
// fields are left out.
type Event struct {
	ID        string    `json:"id"`
	Timestamp time.Time `json:"timestamp"`
	Action    string    `json:"action"` // push, pull, mount, delete
	Target    struct {
		MediaType      string `json:"mediaType"`
		Digest         string `json:"digest"`
		Size           int64  `json:"size"`
		Length         int64  `json:"length"` // Size again, for old readers
		Repository     string `json:"repository"`
		FromRepository string `json:"fromRepository"` // mounts only
		URL            string `json:"url"`
		Tag            string `json:"tag"` // manifests pushed or pulled by tag
	} `json:"target"`
	Request struct {
		ID        string `json:"id"`
		Addr      string `json:"addr"` // the client's address
		Host      string `json:"host"` // the client's Host header
		Method    string `json:"method"`
		UserAgent string `json:"useragent"`
	} `json:"request"`
	Actor struct {
		Name string `json:"name"` // the user, with auth
	} `json:"actor"`
	Source struct {
		Addr       string `json:"addr"` // os.Hostname() and http.addr's port
		InstanceID string `json:"instanceID"`
	} `json:"source"`
}

// NewRecorder starts a receiver for tb and stops it when tb ends.
func NewRecorder(tb testing.TB) *Recorder {
	tb.Helper()
	r := &Recorder{answer: http.StatusOK, changed: make(chan struct{})}
	r.server = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(r.server.Close)
	return r
}

// URL is where to send notifications.
func (r *Recorder) URL() string { return r.server.URL }

// Answer sets the status of every request from now on that no Reply is
// queued for.
func (r *Recorder) Answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = status
}

// Reply makes the next len(statuses) requests get these statuses, in
// order, and those after them what Answer says.
func (r *Recorder) Reply(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, statuses...)
}

// Deliveries returns what arrived so far, in order.
func (r *Recorder) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

// Wait waits until a delivery satisfies match and returns the first that
// does, in order of arrival.
func (r *Recorder) Wait(ctx context.Context, match func(Delivery) bool) (Delivery, error) {
	for {
		r.mu.Lock()
		got, changed := r.got, r.changed
		r.mu.Unlock()
		for _, d := range got {
			if match(d) {
				return d, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Delivery{}, fmt.Errorf("wait for a notification (%d arrived): %w", len(got), context.Cause(ctx))
		}
	}
}

// ManifestPush matches a delivery with a manifest push event for
// repo:tag.
func ManifestPush(repo, tag string) func(Delivery) bool {
	return func(d Delivery) bool {
		for _, e := range d.Events {
			if e.Action == "push" && e.Target.Repository == repo && e.Target.Tag == tag {
				return true
			}
		}
		return false
	}
}

func (r *Recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d := Delivery{At: time.Now(), Header: req.Header.Clone(), Body: body}
	var env struct {
		Events []Event `json:"events"`
	}
	if json.Unmarshal(body, &env) == nil {
		d.Events = env.Events
	}
	r.mu.Lock()
	d.Status = r.answer
	if len(r.replies) > 0 {
		d.Status, r.replies = r.replies[0], r.replies[1:]
	}
	r.got = append(r.got, d)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	w.WriteHeader(d.Status)
}
