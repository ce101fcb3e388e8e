package githubapp

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// countingTransport counts the requests go-github sends and remembers the
// primary rate limit left, as GitHub reports it on every response.
type countingTransport struct {
	next      http.RoundTripper
	n         *atomic.Int64
	remaining *atomic.Int64
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.n.Add(1)
	resp, err := t.next.RoundTrip(req)
	if err == nil && t.remaining != nil {
		if v, perr := strconv.ParseInt(resp.Header.Get("X-RateLimit-Remaining"), 10, 64); perr == nil {
			t.remaining.Store(v)
		}
	}
	return resp, err
}

// userAgentTransport names stagehand on requests that carry no User-Agent:
// go-github sets its own, ghinstallation's token exchange does not.
type userAgentTransport struct {
	next      http.RoundTripper
	userAgent string
}

func (t userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context()) // a RoundTripper must not modify the request
		req.Header.Set("User-Agent", t.userAgent)
	}
	return t.next.RoundTrip(req)
}
