package githubapp

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// apiError is GitHub's refusal of one operation. It reads as
// "<op>: <kind>: <GitHub's message> (HTTP <status>)" and unwraps to both the
// sentinel kind (errors.Is) and go-github's *ErrorResponse (errors.As), so a
// caller can branch on the kind and still show the user what GitHub said.
type apiError struct {
	op   string
	kind error // a sentinel from types.go, or nil
	resp *github.ErrorResponse
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.op)
	b.WriteString(": ")
	if e.kind != nil {
		b.WriteString(e.kind.Error())
		b.WriteString(": ")
	}
	b.WriteString(message(e.resp))
	fmt.Fprintf(&b, " (HTTP %d)", status(e.resp))
	return b.String()
}

func (e *apiError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.resp}
	}
	return []error{e.kind, e.resp}
}

// kinds maps HTTP status codes to sentinel errors for one operation, over
// the defaults of kindOf.
type kinds map[int]error

// kindOf is the sentinel for status: the operation's own mapping first,
// then 404 → ErrNotFound and 409 → ErrConflict.
func kindOf(status int, k kinds) error {
	if kind, ok := k[status]; ok {
		return kind
	}
	switch status {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrConflict
	}
	return nil
}

// onRefs is the mapping for operations on refs and pull requests, where a
// 422 means the request clashes with what is there.
func onRefs() kinds { return kinds{http.StatusUnprocessableEntity: ErrConflict} }

// wrap names the failed operation and maps a go-github error to the
// package's sentinels. Rate limit errors (*github.RateLimitError,
// *github.AbuseRateLimitError) and transport errors are wrapped as they are,
// so a queue can still reach them with errors.As and back off.
func wrap(op string, err error, k kinds) error {
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return &apiError{op: op, kind: kindOf(status(er), k), resp: er}
}

// statusOf is the HTTP status of a GitHub error response, or 0.
func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		return status(er)
	}
	return 0
}

func status(er *github.ErrorResponse) int {
	if er.Response == nil {
		return 0
	}
	return er.Response.StatusCode
}

// message is GitHub's top-level message followed by each detail, e.g.
// "Validation Failed: A pull request already exists for acme:stagehand/web.".
func message(er *github.ErrorResponse) string {
	parts := make([]string, 0, 1+len(er.Errors))
	if er.Message != "" {
		parts = append(parts, er.Message)
	}
	for _, d := range er.Errors {
		switch {
		case d.Message != "":
			parts = append(parts, d.Message)
		case d.Code != "":
			parts = append(parts, fmt.Sprintf("%s %s %s", d.Resource, d.Field, d.Code))
		}
	}
	if len(parts) == 0 {
		return "no message"
	}
	return strings.Join(parts, ": ")
}

// says reports whether GitHub's message or any of its details contains
// phrase, ignoring case. GitHub tells apart some 422s only in prose
// ("Reference already exists", "A pull request already exists for ...").
func says(err error, phrase string) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	return strings.Contains(strings.ToLower(message(er)), strings.ToLower(phrase))
}

// RetryAfter is how long GitHub asked to wait before trying again, when err
// is a primary or secondary rate limit; zero otherwise.
func RetryAfter(err error) time.Duration {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		// A second past the reset: GitHub's clock and ours differ a little.
		return max(time.Until(rl.Rate.Reset.Time)+time.Second, time.Second)
	case errors.As(err, &abuse):
		if abuse.RetryAfter != nil && *abuse.RetryAfter > 0 {
			return *abuse.RetryAfter
		}
		// GitHub's secondary limits say "wait a minute" without a header.
		return time.Minute
	}
	return 0
}
