package registry

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// guardTransport sits under go-containerregistry's auth and retry layers,
// shared by every call. It refuses plain HTTP to hosts off the allowlist
// before anything is sent, and notes, for the call whose request it is
// (callNotes in the request's context), what ggcr's errors leave out.
type guardTransport struct {
	inner    http.RoundTripper
	insecure map[string]bool // read-only
}

// callNotes are what one call's requests told: the Retry-After of a 429,
// and whether a manifest HEAD was answered with 200.
type callNotes struct {
	mu         sync.Mutex // ping tries https and http in parallel
	retryAfter string
	headOK     bool // a manifest HEAD got 200 (so a failure is the headers)
	headMethod bool // a manifest HEAD got 405/501: the registry won't HEAD
}

type notesKey struct{}

// withNotes gives ctx's requests a fresh set of notes.
func withNotes(ctx context.Context) (context.Context, *callNotes) {
	n := &callNotes{}
	return context.WithValue(ctx, notesKey{}, n), n
}

func (t *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && t.insecure[strings.ToLower(req.URL.Host)]) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w to %s: the host is not on stagehand's list of insecure registries", ErrPlainHTTP, req.URL.Host)
	}
	resp, err := t.inner.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	n, _ := req.Context().Value(notesKey{}).(*callNotes)
	if n == nil { // a request of no call's (none are made so today)
		return resp, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if resp.StatusCode == http.StatusTooManyRequests {
		n.retryAfter = resp.Header.Get("Retry-After")
	}
	if req.Method == http.MethodHead && strings.Contains(req.URL.Path, "/manifests/") {
		switch resp.StatusCode {
		case http.StatusOK:
			n.headOK = true
		case http.StatusMethodNotAllowed, http.StatusNotImplemented:
			n.headMethod = true
		}
	}
	return resp, nil
}

// headUnusable reports whether the manifest HEAD reached the registry but
// gave no digest to use, so a GET of the manifest should be tried.
func (n *callNotes) headUnusable() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.headOK || n.headMethod
}

func (n *callNotes) retryAfterHeader() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.retryAfter
}
