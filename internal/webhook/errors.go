package webhook

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is; every error the parsers return wraps one of them
// with the specific reason (never a secret).
var (
	// ErrUnauthorized: missing or wrong credentials, bad signature, bad JWT (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrMalformed: the body is not the sender's format at all: not JSON,
	// or not the vendor's envelope (400). Entries of the sender's format
	// that cannot be used are not errors: they are ignored (Result.Ignored).
	ErrMalformed = errors.New("malformed payload")
	// ErrUnknownVendor: no such route, or the vendor is not configured (404).
	ErrUnknownVendor = errors.New("unknown vendor")
	// ErrUnavailable: what authenticating the sender needs cannot be had
	// right now (Google's signing keys: the fetch failed or timed out, and
	// no cached key fits). Ours to fix, the sender's to retry (503); the
	// error's text is for the log, not for the sender.
	ErrUnavailable = errors.New("unavailable")
)

func unauthorized(vendor, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", vendor, fmt.Sprintf(format, args...), ErrUnauthorized)
}

func malformed(vendor, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", vendor, fmt.Sprintf(format, args...), ErrMalformed)
}

// quote shows a payload value in an error, cut short so that a hostile body
// cannot make error messages (and logs) arbitrarily large.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// reasons collects distinct reasons for ignoring parts of a delivery, in
// order, a few at most: the text ends up in a log line and a response body,
// so a batch of ten thousand bad entries must not make it long.
type reasons struct {
	list []string
	more int // distinct reasons past maxReasons, counted, not kept
}

const maxReasons = 4

func (r *reasons) add(s string) {
	for _, x := range r.list {
		if x == s {
			return
		}
	}
	if len(r.list) == maxReasons {
		r.more++
		return
	}
	r.list = append(r.list, s)
}

func (r *reasons) empty() bool { return len(r.list) == 0 }

func (r *reasons) String() string {
	s := strings.Join(r.list, "; ")
	if r.more > 0 {
		s += fmt.Sprintf("; and %d more", r.more)
	}
	return s
}
