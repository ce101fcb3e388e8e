package webhook

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is; every error the parsers return wraps one of them
// with the specific reason (never a secret).
var (
	// ErrUnauthorized: missing or wrong credentials, bad signature, bad JWT (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrMalformed: not JSON, wrong shape, or a field that fails validation (400).
	ErrMalformed = errors.New("malformed payload")
	// ErrMediaType: a Content-Type the vendor never sends (415).
	ErrMediaType = errors.New("unsupported media type")
	// ErrUnknownVendor: no such route, or the vendor is not configured (404).
	ErrUnknownVendor = errors.New("unknown vendor")
	// ErrKeyNotFound is what a KeySource returns for a key id it does not
	// hold; the verifier reports it as ErrUnauthorized.
	ErrKeyNotFound = errors.New("signing key not found")
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
