package registry

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// callTransport sits under go-containerregistry's auth and retry layers for
// one call. It refuses plain HTTP to hosts off the allowlist before
// anything is sent, and notes what ggcr's errors leave out: the Retry-After
// of a 429, and whether a manifest HEAD was answered with 200.
type callTransport struct {
	inner    http.RoundTripper
	insecure map[string]bool // shared, read-only

	mu         sync.Mutex // ping tries https and http in parallel
	retryAfter string
	headOK     bool // a manifest HEAD got 200 (so a failure is the headers)
	headMethod bool // a manifest HEAD got 405/501: the registry won't HEAD
}

func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if resp.StatusCode == http.StatusTooManyRequests {
		t.retryAfter = resp.Header.Get("Retry-After")
	}
	if req.Method == http.MethodHead && strings.Contains(req.URL.Path, "/manifests/") {
		switch resp.StatusCode {
		case http.StatusOK:
			t.headOK = true
		case http.StatusMethodNotAllowed, http.StatusNotImplemented:
			t.headMethod = true
		}
	}
	return resp, nil
}

// headUnusable reports whether the manifest HEAD reached the registry but
// gave no digest to use, so a GET of the manifest should be tried.
func (t *callTransport) headUnusable() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.headOK || t.headMethod
}

func (t *callTransport) retryAfterHeader() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.retryAfter
}
