package link

import (
	"errors"
	"fmt"
)

// Errors Sign and Verify return, wrapped with detail; test with errors.Is.
var (
	// ErrKey: the key is empty; STAGEHAND_LINK_SECRET is not set.
	ErrKey = errors.New("link: empty signing key")
	// ErrClaims: Sign was given incomplete or invalid claims.
	ErrClaims = errors.New("link: invalid claims")
	// ErrMalformed: the token is not a token of a format this version reads.
	ErrMalformed = errors.New("link: malformed token")
	// ErrSignature: the token was not signed with this key, or was altered.
	ErrSignature = errors.New("link: bad signature")
	// ErrExpired: the token is authentic but past its expiry.
	ErrExpired = errors.New("link: expired")
)

func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}
