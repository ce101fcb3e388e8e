package webhook

import (
	"context"
	"fmt"
	"net/http"
	"sort"
)

// vendor is one registry route: how it is switched on, how the sender
// authenticates, which media types it sends (only to explain a body that is
// not its format), and how its body reads.
type vendor struct {
	// off says why the route is off for cfg, or "" when it is on.
	off          func(cfg Config) string
	authenticate func(ctx context.Context, cfg Config, h http.Header, token string, body []byte) error
	mediaTypes   []string
	parse        func(cfg Config, body []byte) (Result, error)
}

const mediaJSON = "application/json"

// vendors is the route table; it is never written after initialisation.
var vendors = map[string]vendor{
	"dockerhub":    dockerHub,
	"quay":         quay,
	"distribution": distribution,
	"harbor":       harbor,
	"gar":          gar,
	"ecr":          ecr,
	"acr":          acr,
	"artifactory":  artifactory,
	"nexus":        nexus,
	"generic":      generic,
}

// Vendors lists the registry route names, sorted.
func Vendors() []string {
	names := make([]string, 0, len(vendors))
	for n := range vendors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseRegistry authenticates and parses a registry delivery to the route
// /webhooks/registry/{vendor}[/{token}]. token is the {token} URL segment
// ("" when absent); body is the raw request body, size-limited by the caller.
//
// On error the Result is empty; the error wraps ErrUnknownVendor,
// ErrUnauthorized, ErrUnavailable or ErrMalformed (see the package comment). On success,
// every Push has a valid Image and Tag and a Digest that is "" or valid,
// and a Result without Pushes has a non-empty Ignored of bounded length.
func ParseRegistry(ctx context.Context, cfg Config, vendorName string, h http.Header, token string, body []byte) (Result, error) {
	v, ok := vendors[vendorName]
	if !ok {
		return Result{}, fmt.Errorf("%q: no such registry route: %w", vendorName, ErrUnknownVendor)
	}
	if why := v.off(cfg); why != "" {
		return Result{}, fmt.Errorf("%s: route is off: %s: %w", vendorName, why, ErrUnknownVendor)
	}
	if err := v.authenticate(ctx, cfg, h, token, body); err != nil {
		return Result{}, err
	}
	res, err := v.parse(cfg, body)
	if err != nil {
		return Result{}, withHint(err, h, v.mediaTypes...)
	}
	if len(res.Pushes) == 0 && res.Ignored == "" {
		res.Ignored = vendorName + ": no tagged image push"
	}
	if len(res.Pushes) > 0 {
		res.Ignored = ""
	}
	return res, nil
}

// tokenInPath authenticates senders that can only carry a secret in the URL.
func tokenInPath(vendor string, want func(Config) string) func(context.Context, Config, http.Header, string, []byte) error {
	return func(_ context.Context, cfg Config, _ http.Header, token string, _ []byte) error {
		if token == "" {
			return unauthorized(vendor, "missing token in URL path")
		}
		if !equalSecret(token, want(cfg)) {
			return unauthorized(vendor, "token in URL path does not match")
		}
		return nil
	}
}

// offWhenEmpty turns a route off when its credential is not set.
func offWhenEmpty(field string, get func(Config) string) func(Config) string {
	return func(cfg Config) string {
		if get(cfg) == "" {
			return field + " is not set"
		}
		return ""
	}
}

// ignored builds the Result for a delivery that is not a tagged push.
func ignored(format string, args ...any) (Result, error) {
	return Result{Ignored: fmt.Sprintf(format, args...)}, nil
}
