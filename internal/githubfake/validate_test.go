package githubfake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// newRecording starts a fake with validation on but without NewTest's
// failing cleanup, so tests can look at the violations themselves.
func newRecording(t *testing.T) *Server {
	t.Helper()
	opts := seededOptions(t)
	opts.Validate = true
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestNonConformingRequests(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		do      func(gh *github.Client, s *Server) error
		wantMsg string
	}{
		{
			name: "tree entry with an invalid mode",
			do: func(gh *github.Client, s *Server) error {
				_, _, err := gh.Git.CreateTree(ctx, s.Owner(), s.Repo(), "", []*github.TreeEntry{{
					Path: github.String("a.txt"), Mode: github.String("100645"), Type: github.String("blob"), Content: github.String("x"),
				}})
				return err
			},
			wantMsg: "Invalid request.\n\nFor 'tree/0/mode', value is not one of the allowed values",
		},
		{
			name: "pull request without head",
			do: func(gh *github.Client, s *Server) error {
				_, _, err := gh.PullRequests.Create(ctx, s.Owner(), s.Repo(), &github.NewPullRequest{Title: github.String("t"), Base: github.String("main")})
				return err
			},
			wantMsg: "Invalid request.\n\n\"head\" wasn't supplied.",
		},
		{
			name: "status with an unknown state",
			do: func(gh *github.Client, s *Server) error {
				head, _ := s.Head("main")
				_, _, err := gh.Repositories.CreateStatus(ctx, s.Owner(), s.Repo(), head, &github.RepoStatus{State: github.String("done")})
				return err
			},
			wantMsg: "Invalid request.\n\nFor 'state', value is not one of the allowed values",
		},
		{
			name: "reaction GitHub does not have",
			do: func(gh *github.Client, s *Server) error {
				_, _, err := gh.Reactions.CreateIssueCommentReaction(ctx, s.Owner(), s.Repo(), 1, "tada")
				return err
			},
			wantMsg: "Invalid request.\n\nFor 'content', value is not one of the allowed values",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRecording(t)
			gh, _ := installationClient(t, s)
			er := apiErr(t, tt.do(gh, s))
			if er.Response.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(er.Message, tt.wantMsg) {
				t.Errorf("got %d %q, want 422 %q…", er.Response.StatusCode, er.Message, tt.wantMsg)
			}
			if v := s.Violations(); len(v) != 1 || !strings.HasPrefix(v[0], "request ") {
				t.Errorf("violations: %q", v)
			}
		})
	}
}

func TestBadJSONBody(t *testing.T) {
	s := newRecording(t)
	_, tok := installationClient(t, s)
	resp := do(t, http.MethodPost, s.URL()+"repos/acme/config/git/blobs", tok, `{"content": `)
	if resp.StatusCode != http.StatusBadRequest || body(t, resp)["message"] != "Problems parsing JSON" {
		t.Errorf("status %d", resp.StatusCode)
	}
	if len(s.Violations()) != 1 {
		t.Errorf("violations: %q", s.Violations())
	}
}

func TestResponseValidation(t *testing.T) {
	s := newRecording(t)
	r, err := http.NewRequest(http.MethodGet, s.URL()+"repos/acme/config", nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, params, found := match(s.routes, r.Method, r.URL.EscapedPath())
	if !found {
		t.Fatal("no route")
	}
	c := &call{r: r, route: rt, params: params}
	good := ok(s.fullRepository())
	data, _ := encodeBody(good.body)
	s.validateResponse(context.Background(), c, good, data)
	if v := s.Violations(); len(v) != 0 {
		t.Fatalf("a full repository is flagged: %q", v)
	}
	for name, mutate := range map[string]func(map[string]any){
		"missing required field": func(m map[string]any) { delete(m, "node_id") },
		"wrong type":             func(m map[string]any) { m["private"] = "yes" },
		"date-time format":       func(m map[string]any) { m["created_at"] = "yesterday" },
		"uri format":             func(m map[string]any) { m["html_url"] = "not a url" },
	} {
		before := len(s.Violations())
		bad := s.fullRepository()
		mutate(bad)
		rep := ok(bad)
		data, _ := encodeBody(rep.body)
		s.validateResponse(context.Background(), c, rep, data)
		if len(s.Violations()) != before+1 {
			t.Errorf("%s: not flagged", name)
		}
	}
}

func do(t *testing.T, method, url, token, reqBody string) *http.Response {
	t.Helper()
	var rd io.Reader
	if reqBody != "" {
		rd = strings.NewReader(reqBody)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func body(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBodyWithoutContentType(t *testing.T) {
	s := newRecording(t)
	_, tok := installationClient(t, s)
	resp := do(t, http.MethodPost, s.URL()+"repos/acme/config/git/blobs", tok, `{"content": "x"}`)
	if resp.StatusCode != http.StatusCreated || len(s.Violations()) != 0 {
		t.Errorf("status %d, violations %q", resp.StatusCode, s.Violations())
	}
}

func TestRoutingAndHeaders(t *testing.T) {
	s := newRecording(t)
	_, tok := installationClient(t, s)
	for _, prefix := range []string{"", "api/v3/"} {
		resp := do(t, http.MethodGet, s.URL()+prefix+"repos/acme/config", tok, "")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%q: status %d", prefix, resp.StatusCode)
		}
	}
	resp := do(t, http.MethodGet, s.URL()+"repos/acme/config", tok, "")
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource", "X-GitHub-Request-Id"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if used, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Used")); used != 3 || resp.Header.Get("X-RateLimit-Remaining") != "4997" {
		t.Errorf("rate limit: used %s remaining %s", resp.Header.Get("X-RateLimit-Used"), resp.Header.Get("X-RateLimit-Remaining"))
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "nope"},
		{http.MethodGet, "repos/acme/config/nope"},
		{http.MethodDelete, "repos/acme/config"},
		{http.MethodGet, "repos/acme/other"},
		{http.MethodGet, "repos/other/config/pulls"},
	} {
		resp := do(t, tc.method, s.URL()+tc.path, tok, "")
		if resp.StatusCode != http.StatusNotFound || body(t, resp)["message"] != "Not Found" {
			t.Errorf("%s %s: %d", tc.method, tc.path, resp.StatusCode)
		}
	}
	// Calls to what the fake does not serve are recorded; wrong owners and
	// repositories are GitHub's 404s, not the client's mistakes.
	if v := s.Violations(); len(v) != 3 || !strings.HasPrefix(v[0], "unserved: GET /nope") {
		t.Errorf("violations: %q", v)
	}
}
