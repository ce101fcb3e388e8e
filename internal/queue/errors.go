package queue

import (
	"errors"
	"time"
)

// ErrInvalid: a Delivery misses what Accept needs (an id, an image, a SHA,
// a PR number). It is the caller's bug, not the sender's.
var ErrInvalid = errors.New("invalid delivery")

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

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Later marks a handler error whose sender said when to try again (a rate
// limit, a config being fixed): the job waits d without spending an
// attempt. Later(nil, d) is nil.
func Later(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &laterError{err: err, d: d}
}

type laterError struct {
	err error
	d   time.Duration
}

func (e *laterError) Error() string             { return e.err.Error() }
func (e *laterError) Unwrap() error             { return e.err }
func (e *laterError) RetryAfter() time.Duration { return e.d }

// maxSnooze bounds a "retry after": GitHub's primary rate limit resets
// within the hour, and a longer wait is more likely a bad header.
const maxSnooze = time.Hour

// retryAfter is how long the error asked to wait, or zero: any error in
// the chain with a RetryAfter() method.
func retryAfter(err error) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) {
		return 0
	}
	d := ra.RetryAfter()
	if d <= 0 {
		return 0
	}
	return min(d, maxSnooze)
}

// backoff is the wait before retrying after the attempt-th failure:
// 1s, 2s, 4s … capped at most, so that work lands within seconds of the
// trouble clearing rather than minutes.
func backoff(attempt int, most time.Duration) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 20 { // 2^19 s is far past any cap; avoid overflow
		return most
	}
	return min(time.Second<<(attempt-1), most)
}
