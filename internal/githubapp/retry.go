package githubapp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryTransport tries a GitHub request again when GitHub (or the network
// to it) failed in a way that passes: a 500, 502, 503 or 504, a connection
// reset or a lost answer, a secondary rate limit whose wait is short. Each
// call is retried on its own, so one bad answer costs one request more,
// not a whole promotion's worth; the job around it is retried only when the
// trouble lasts.
//
// Writes are retried too. GitHub may have done a write whose answer was
// lost; what stagehand writes tolerates doing so twice (a tree or commit
// is content-addressed, a branch or PR that exists already is recognised,
// labels and reactions are idempotent); at worst a comment is posted twice.
type retryTransport struct {
	next http.RoundTripper
	// tries is how many times a request is sent at most; wait the first
	// pause, doubled each time; longest the longest Retry-After waited for
	// here (a longer one is returned, and the queue waits it out).
	tries   int
	wait    time.Duration
	longest time.Duration
	sleep   func(ctx context.Context, d time.Duration) error
}

func newRetryTransport(next http.RoundTripper) *retryTransport {
	return &retryTransport{next: next, tries: 4, wait: 100 * time.Millisecond, longest: 10 * time.Second, sleep: sleepCtx}
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.GetBody == nil {
		return t.next.RoundTrip(req) // a body that cannot be read twice
	}
	wait := t.wait
	for try := 1; ; try++ {
		r := req
		if try > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		resp, err := t.next.RoundTrip(r)
		pause, again := t.retry(resp, err)
		if !again || try == t.tries || pause > t.longest {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if pause == 0 {
			pause = wait + rand.N(wait/2+1) // jitter keeps replicas apart
			wait *= 2
		}
		if err := t.sleep(req.Context(), pause); err != nil {
			return nil, err
		}
	}
}

// retry says whether an answer is worth trying again, and how long GitHub
// asked to wait first (0: back off as usual).
func (t *retryTransport) retry(resp *http.Response, err error) (time.Duration, bool) {
	if err != nil {
		return 0, !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retryAfterHeader(resp), true
	case http.StatusTooManyRequests, http.StatusForbidden:
		if secondaryLimit(resp) {
			// GitHub's advice: wait as Retry-After says, else a minute.
			if d := retryAfterHeader(resp); d > 0 {
				return d, true
			}
			return time.Minute, true
		}
	}
	return 0, false
}

// secondaryLimit reports a 403 or 429 that is a secondary rate limit (not a
// permission refusal, nor the primary limit, which resets within the hour
// and is left to the queue). The body is read and put back.
func secondaryLimit(resp *http.Response) bool {
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		return false
	}
	if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
		return true
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return err == nil && strings.Contains(strings.ToLower(string(body)), "secondary rate limit")
}

func retryAfterHeader(resp *http.Response) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
