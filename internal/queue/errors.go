package queue

import (
	"errors"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

var (
	// ErrUnavailable: the database could not take or give the work (closed,
	// unreachable, locked). The webhook server answers 503 so the sender
	// retries; nothing was accepted.
	ErrUnavailable = errors.New("queue database unavailable")

	// ErrInvalid: a Delivery misses what Accept needs (an id, an image, a SHA,
	// a PR number). It is the caller's bug, not the sender's.
	ErrInvalid = errors.New("invalid delivery")

	// ErrCannotOpen and ErrCannotMigrate are the two ways Open fails.
	ErrCannotOpen    = errors.New("cannot open queue database")
	ErrCannotMigrate = errors.New("cannot migrate queue database")
)

// Permanent marks a handler error that retrying cannot fix (a refusal a
// person must act on): the job is cancelled and listed by Failures at once.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// maxSnooze bounds a server's "retry after": GitHub's primary rate limit
// resets within the hour, and a longer wait is more likely a bad header.
const maxSnooze = time.Hour

// retryAfter is how long the sender of err asked us to wait, or zero when it
// did not ask: an error with a RetryAfter() method, go-github's rate-limit
// errors, or a rate-limited registry.Error.
func retryAfter(err error, now time.Time) time.Duration {
	var d time.Duration
	var ra interface{ RetryAfter() time.Duration }
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	var reg *registry.Error
	switch {
	case errors.As(err, &ra):
		d = ra.RetryAfter()
	case errors.As(err, &rl):
		// A second past the reset: GitHub's clock and ours differ a little.
		d = rl.Rate.Reset.Sub(now) + time.Second
	case errors.As(err, &abuse):
		if abuse.RetryAfter != nil {
			d = *abuse.RetryAfter
		} else {
			// GitHub's secondary limits say "wait a minute" without a header.
			d = time.Minute
		}
	case errors.As(err, &reg) && reg.Kind == registry.RateLimited:
		d = reg.RetryAfter
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxSnooze)
}

// backoff is the wait before retrying after the attempt-th failure:
// 1s, 2s, 4s … capped at 5 minutes.
func backoff(attempt int) time.Duration {
	const maxBackoff = 5 * time.Minute
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 20 { // 2^19 s is far past the cap; avoid overflow
		return maxBackoff
	}
	return min(time.Second<<(attempt-1), maxBackoff)
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
