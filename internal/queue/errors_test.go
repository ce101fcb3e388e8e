package queue

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	resp := &http.Response{StatusCode: http.StatusForbidden, Request: &http.Request{Method: http.MethodGet}}
	twoMin := 2 * time.Minute
	cases := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"plain error", errors.New("boom"), 0},
		{"RetryAfter method", retryLater{3 * time.Second}, 3 * time.Second},
		{"RetryAfter method, wrapped", fmt.Errorf("push: %w", retryLater{time.Second}), time.Second},
		{"RetryAfter method, zero", retryLater{0}, 0},
		{"RetryAfter past the cap", retryLater{5 * time.Hour}, time.Hour},
		{"GitHub rate limit", &github.RateLimitError{Response: resp,
			Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(10 * time.Minute)}}}, 10*time.Minute + time.Second},
		{"GitHub rate limit already reset", &github.RateLimitError{Response: resp,
			Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(-time.Minute)}}}, 0},
		{"GitHub secondary limit with Retry-After", fmt.Errorf("merge: %w",
			&github.AbuseRateLimitError{Response: resp, RetryAfter: &twoMin}), twoMin},
		{"GitHub secondary limit without Retry-After", &github.AbuseRateLimitError{Response: resp}, time.Minute},
		{"registry rate limit", &registry.Error{Kind: registry.RateLimited, RetryAfter: 30 * time.Second}, 30 * time.Second},
		{"registry rate limit without Retry-After", &registry.Error{Kind: registry.RateLimited}, 0},
		{"registry not found", &registry.Error{Kind: registry.NotFound, RetryAfter: time.Minute}, 0},
		{"inside Permanent (settle checks Permanent first)", Permanent(retryLater{time.Second}), time.Second},
	}
	for _, tc := range cases {
		if got := retryAfter(tc.err, now); got != tc.want {
			t.Errorf("%s: retryAfter = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{
		0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 256 * time.Second,
		10: 5 * time.Minute, 25: 5 * time.Minute, 1000: 5 * time.Minute,
	} {
		if got := backoff(attempt); got != want {
			t.Errorf("backoff(%d) = %v, want %v", attempt, got, want)
		}
	}
}

func TestPermanent(t *testing.T) {
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	cause := errors.New("tag not allowed")
	err := fmt.Errorf("promote: %w", Permanent(cause))
	var perm *permanentError
	if !errors.Is(err, cause) || !errors.As(err, &perm) || err.Error() != "promote: tag not allowed" {
		t.Errorf("Permanent wrapping lost something: %v", err)
	}
}
