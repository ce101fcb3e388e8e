package registry

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestClassify(t *testing.T) {
	diag := func(code transport.ErrorCode) []transport.Diagnostic {
		return []transport.Diagnostic{{Code: code}}
	}
	cases := []struct {
		name string
		err  error
		want Kind
	}{
		{"404", &transport.Error{StatusCode: http.StatusNotFound}, NotFound},
		{"MANIFEST_UNKNOWN on 400", &transport.Error{StatusCode: http.StatusBadRequest, Errors: diag(transport.ManifestUnknownErrorCode)}, NotFound},
		{"NAME_UNKNOWN on 400", &transport.Error{StatusCode: http.StatusBadRequest, Errors: diag(transport.NameUnknownErrorCode)}, NotFound},
		{"401", &transport.Error{StatusCode: http.StatusUnauthorized}, Unauthorized},
		{"403", &transport.Error{StatusCode: http.StatusForbidden}, Unauthorized},
		{"DENIED on 400", &transport.Error{StatusCode: http.StatusBadRequest, Errors: diag(transport.DeniedErrorCode)}, Unauthorized},
		{"429", &transport.Error{StatusCode: http.StatusTooManyRequests}, RateLimited},
		{"TOOMANYREQUESTS on 503", &transport.Error{StatusCode: http.StatusServiceUnavailable, Errors: diag(transport.TooManyRequestsErrorCode)}, RateLimited},
		{"500", &transport.Error{StatusCode: http.StatusInternalServerError}, Other},
		{"wrapped 404", errors.Join(errors.New("ping"), &transport.Error{StatusCode: http.StatusNotFound}), NotFound},
		{"not a registry answer", errors.New("connection refused"), Other},
	}
	for _, tc := range cases {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("%s: classify = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"0":                             0,
		"-5":                            0,
		"1.5":                           0,
		"soon":                          0,
		"Sat, 01 Mar 2025 12:01:30 GMT": 90 * time.Second,
		"Sat, 01 Mar 2025 11:59:00 GMT": 0,
		"99999999999999999999":          0, // does not parse as int64
		"9223372036854775807":           time.Duration(9223372036) * time.Second,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	cause := errors.New("HEAD https://ghcr.io/v2/acme/web/manifests/1.2.0: unexpected status code 401")
	cases := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: Unauthorized, Op: "resolve", Ref: "ghcr.io/acme/web:1.2.0", Err: cause},
			"resolve ghcr.io/acme/web:1.2.0: unauthorized: the registry refused stagehand's credentials; add them to the Docker config (DOCKER_CONFIG) of the stagehand process: " + cause.Error()},
		{&Error{Kind: RateLimited, Op: "resolve", Ref: "nginx:1", RetryAfter: time.Minute, mirror: "127.0.0.1:5000"},
			"resolve nginx:1 via mirror 127.0.0.1:5000: rate limited: the registry asked to retry after 1m0s"},
		{&Error{Kind: NotFound, Op: "list tags", Ref: "ghcr.io/acme/web"},
			"list tags ghcr.io/acme/web: not found: the registry has no such repository or tag; check the image name and that the tag was pushed"},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() =\n %s\nwant\n %s", got, tc.want)
		}
	}
	if e := (&Error{Kind: Other, Err: cause}); !errors.Is(e, cause) || errors.Is(e, ErrNotFound) {
		t.Error("Other should unwrap to its cause and match no sentinel")
	}
}
