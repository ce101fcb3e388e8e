package registry

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Kind sorts registry failures by what a caller does about them.
type Kind int

const (
	// Other is any failure not listed below (network, 5xx, bad response).
	Other Kind = iota
	// NotFound: the repository or tag does not exist.
	NotFound
	// Unauthorized: the registry refused the credentials (or their absence).
	Unauthorized
	// RateLimited: the registry asked to slow down; see Error.RetryAfter.
	RateLimited
)

func (k Kind) String() string {
	switch k {
	case NotFound:
		return "not found"
	case Unauthorized:
		return "unauthorized"
	case RateLimited:
		return "rate limited"
	}
	return "other"
}

// Sentinels for errors.Is; an *Error matches the one of its Kind.
var (
	ErrNotFound     = errors.New("registry: not found")
	ErrUnauthorized = errors.New("registry: unauthorized")
	ErrRateLimited  = errors.New("registry: rate limited")

	// ErrInvalidReference: the image or tag does not parse; no request was sent.
	ErrInvalidReference = errors.New("invalid image reference")

	// ErrPlainHTTP: a request would have gone over plain HTTP to a host that
	// is not on the insecure allowlist, so it was not sent.
	ErrPlainHTTP = errors.New("plain HTTP refused")
)

// Error is a failed registry call, classified for the caller.
type Error struct {
	Kind Kind
	// Op is what was attempted: "resolve" or "list tags".
	Op string
	// Ref is the reference as the caller gave it ("ghcr.io/acme/web:1.2.0"),
	// even when a mirror was asked.
	Ref string
	// RetryAfter is the registry's Retry-After for RateLimited, or zero.
	RetryAfter time.Duration
	Err        error

	mirror string // registry actually asked, when a mirror stood in
}

func (e *Error) Error() string {
	where := e.Op + " " + e.Ref
	if e.mirror != "" {
		where += " via mirror " + e.mirror
	}
	msg := where + ": " + e.hint()
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// hint says what the user can do about the failure.
func (e *Error) hint() string {
	switch e.Kind {
	case NotFound:
		return "not found: the registry has no such repository or tag; check the image name and that the tag was pushed"
	case Unauthorized:
		return "unauthorized: the registry refused stagehand's credentials; add them to the Docker config (DOCKER_CONFIG) of the stagehand process"
	case RateLimited:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("rate limited: the registry asked to retry after %s", e.RetryAfter)
		}
		return "rate limited: the registry asked to slow down; retry later"
	}
	return "registry request failed"
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets callers write errors.Is(err, registry.ErrNotFound).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Kind == NotFound
	case ErrUnauthorized:
		return e.Kind == Unauthorized
	case ErrRateLimited:
		return e.Kind == RateLimited
	}
	return false
}

// classify maps go-containerregistry's errors to a Kind. Status codes come
// first because HEAD responses carry no body with diagnostic codes.
func classify(err error) Kind {
	var te *transport.Error
	if !errors.As(err, &te) {
		return Other
	}
	switch te.StatusCode {
	case http.StatusNotFound:
		return NotFound
	case http.StatusUnauthorized, http.StatusForbidden:
		return Unauthorized
	case http.StatusTooManyRequests:
		return RateLimited
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return NotFound
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return Unauthorized
		case transport.TooManyRequestsErrorCode:
			return RateLimited
		}
	}
	return Other
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
// Anything unreadable, past or negative is zero: the caller's own backoff.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		const maxSecs = int64(math.MaxInt64 / int64(time.Second))
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
