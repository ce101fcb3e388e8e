package queue

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"plain error", errors.New("boom"), 0},
		{"Later", Later(errors.New("config broken"), 3*time.Second), 3 * time.Second},
		{"Later, wrapped", fmt.Errorf("push: %w", Later(errors.New("x"), time.Second)), time.Second},
		{"Later, zero", Later(errors.New("x"), 0), 0},
		{"Later past the cap", Later(errors.New("x"), 5*time.Hour), time.Hour},
		{"any RetryAfter method", retryLater{2 * time.Second}, 2 * time.Second},
		{"inside Permanent (settle checks Permanent first)", Permanent(Later(errors.New("x"), time.Second)), time.Second},
	}
	for _, tc := range cases {
		if got := retryAfter(tc.err); got != tc.want {
			t.Errorf("%s: retryAfter = %v, want %v", tc.name, got, tc.want)
		}
	}
	if Later(nil, time.Second) != nil {
		t.Error("Later(nil) != nil")
	}
}

// retryLater is a handler error that names its own wait.
type retryLater struct{ d time.Duration }

func (e retryLater) Error() string             { return "busy, retry later" }
func (e retryLater) RetryAfter() time.Duration { return e.d }

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{
		0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second,
		5: 10 * time.Second, 25: 10 * time.Second, 1000: 10 * time.Second,
	} {
		if got := backoff(attempt, 10*time.Second); got != want {
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
