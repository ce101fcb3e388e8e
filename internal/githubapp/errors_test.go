package githubapp

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func TestErrorMapping(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		route   string
		status  int
		body    string
		headers []string
		call    func(*Client) error
		check   func(*testing.T, error)
	}{
		{
			name: "missing branch is ErrNotFound", route: "GET /repos/acme/config/branches/nope",
			status: 404, body: `{"message":"Branch not found"}`,
			call:  func(c *Client) error { _, err := c.Branch(ctx, "nope"); return err },
			check: isErr(ErrNotFound, "Branch not found"),
		},
		{
			name: "merge refused by required check is ErrNotMergeable with GitHub's words", route: "PUT /repos/acme/config/pulls/5/merge",
			status: 405, body: `{"message":"Required status check \"ci\" is expected."}`,
			call:  func(c *Client) error { _, err := c.Merge(ctx, 5, "beef", "t"); return err },
			check: isErr(ErrNotMergeable, `Required status check "ci" is expected.`),
		},
		{
			name: "merge of a moved head is ErrHeadMoved", route: "PUT /repos/acme/config/pulls/5/merge",
			status: 409, body: `{"message":"Head branch was modified. Review and try the merge again."}`,
			call:  func(c *Client) error { _, err := c.Merge(ctx, 5, "beef", "t"); return err },
			check: isErr(ErrHeadMoved, "Head branch was modified"),
		},
		{
			name: "duplicate pull request is ErrConflict", route: "POST /repos/acme/config/pulls",
			status: 422, body: `{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for acme:stagehand/web."}]}`,
			call:  func(c *Client) error { _, err := c.OpenPR(ctx, "stagehand/web", "main", "t", "b"); return err },
			check: isErr(ErrConflict, "A pull request already exists for acme:stagehand/web."),
		},
		{
			name: "existing branch is not created and not an error", route: "POST /repos/acme/config/git/refs",
			status: 422, body: `{"message":"Reference already exists"}`,
			call: func(c *Client) error {
				created, err := c.CreateBranch(ctx, "b", "beef")
				if created {
					return errors.New("created = true")
				}
				return err
			},
			check: isErr(nil, ""),
		},
		{
			name: "branch at an unknown commit is ErrConflict", route: "POST /repos/acme/config/git/refs",
			status: 422, body: `{"message":"Object does not exist"}`,
			call:  func(c *Client) error { _, err := c.CreateBranch(ctx, "b", "beef"); return err },
			check: isErr(ErrConflict, "Object does not exist"),
		},
		{
			name: "moving a missing branch is ErrNotFound", route: "PATCH /repos/acme/config/git/refs/heads/b",
			status: 422, body: `{"message":"Reference does not exist"}`,
			call:  func(c *Client) error { return c.MoveBranch(ctx, "b", "beef") },
			check: isErr(ErrNotFound, "Reference does not exist"),
		},
		{
			name: "deleting a branch already gone (422) is fine", route: "DELETE /repos/acme/config/git/refs/heads/b",
			status: 422, body: `{"message":"Reference does not exist"}`,
			call:  func(c *Client) error { return c.DeleteBranch(ctx, "b") },
			check: isErr(nil, ""),
		},
		{
			name: "deleting a branch already gone (404) is fine", route: "DELETE /repos/acme/config/git/refs/heads/b",
			status: 404, body: `{"message":"Not Found"}`,
			call:  func(c *Client) error { return c.DeleteBranch(ctx, "b") },
			check: isErr(nil, ""),
		},
		{
			name: "deleting a protected branch is an error", route: "DELETE /repos/acme/config/git/refs/heads/b",
			status: 422, body: `{"message":"Cannot delete this protected branch"}`,
			call:  func(c *Client) error { return c.DeleteBranch(ctx, "b") },
			check: isErr(ErrConflict, "Cannot delete this protected branch"),
		},
		{
			name: "unprotected branch requires no checks", route: "GET /repos/acme/config/branches/main/protection/required_status_checks",
			status: 404, body: `{"message":"Branch not protected"}`,
			call: func(c *Client) error {
				names, err := c.RequiredChecks(ctx, "main")
				if names != nil {
					return errors.New("names not nil")
				}
				return err
			},
			check: isErr(nil, ""),
		},
		{
			name: "protection unreadable fails closed", route: "GET /repos/acme/config/branches/main/protection/required_status_checks",
			status: 403, body: `{"message":"Resource not accessible by integration"}`,
			call:  func(c *Client) error { _, err := c.RequiredChecks(ctx, "main"); return err },
			check: isErr(nil, "Resource not accessible by integration"),
		},
		{
			name: "server error is no sentinel", route: "GET /repos/acme/config/pulls/5",
			status: 502, body: `{"message":"Server Error"}`,
			call: func(c *Client) error { _, err := c.GetPR(ctx, 5); return err },
			check: func(t *testing.T, err error) {
				isErr(nil, "Server Error (HTTP 502)")(t, err)
				for _, s := range []error{ErrNotFound, ErrConflict, ErrHeadMoved, ErrNotMergeable} {
					if errors.Is(err, s) {
						t.Errorf("error %v is %v", err, s)
					}
				}
				var er *github.ErrorResponse
				if !errors.As(err, &er) || er.Response.StatusCode != 502 {
					t.Errorf("error %v does not reach the 502 response", err)
				}
			},
		},
		{
			name: "primary rate limit keeps its type", route: "GET /repos/acme/config/pulls/5",
			status: 403, body: `{"message":"API rate limit exceeded for installation ID 42."}`,
			headers: []string{"X-RateLimit-Remaining", "0", "X-RateLimit-Limit", "5000", "X-RateLimit-Reset", "4102444800"},
			call:    func(c *Client) error { _, err := c.GetPR(ctx, 5); return err },
			check: func(t *testing.T, err error) {
				var rl *github.RateLimitError
				if !errors.As(err, &rl) {
					t.Fatalf("error %v is not a *github.RateLimitError", err)
				}
				if rl.Rate.Reset.Unix() != 4102444800 {
					t.Errorf("reset = %v", rl.Rate.Reset)
				}
			},
		},
		{
			name: "secondary rate limit keeps Retry-After", route: "POST /repos/acme/config/issues/5/comments",
			status: 403, body: `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			headers: []string{"Retry-After", "60"},
			call:    func(c *Client) error { return c.Comment(ctx, 5, "hi") },
			check: func(t *testing.T, err error) {
				var al *github.AbuseRateLimitError
				if !errors.As(err, &al) {
					t.Fatalf("error %v is not a *github.AbuseRateLimitError", err)
				}
				if al.RetryAfter == nil || *al.RetryAfter != time.Minute {
					t.Errorf("RetryAfter = %v, want 1m", al.RetryAfter)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t)
			s.handle(tt.route, reply(tt.status, tt.body, tt.headers...))
			tt.check(t, tt.call(s.client(t)))
		})
	}
}

// isErr checks err is target (nil: no sentinel, or no error when text is
// empty too) and reads text.
func isErr(target error, text string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if target == nil && text == "" {
			if err != nil {
				t.Fatalf("error = %v, want none", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("no error, want %v", target)
		}
		if target != nil && !errors.Is(err, target) {
			t.Errorf("error %v is not %v", err, target)
		}
		if !strings.Contains(err.Error(), text) {
			t.Errorf("error %q does not say %q", err, text)
		}
	}
}

func TestSecondaryRateLimitStopsFurtherCalls(t *testing.T) {
	s := newStub(t)
	s.handle("POST /repos/acme/config/issues/5/comments", reply(http.StatusForbidden,
		`{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/x#secondary-rate-limits"}`, "Retry-After", "60"))
	c := s.client(t)
	for range 2 {
		var al *github.AbuseRateLimitError
		if err := c.Comment(context.Background(), 5, "hi"); !errors.As(err, &al) {
			t.Fatalf("error %v is not a *github.AbuseRateLimitError", err)
		}
	}
	if n := len(s.recorded()); n != 1 {
		t.Errorf("%d requests reached GitHub, want 1: go-github holds back until Retry-After", n)
	}
}
