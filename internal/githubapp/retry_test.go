package githubapp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
)

// answer is one canned reply of the scripted transport.
type answer struct {
	status int
	header http.Header
	body   string
	err    error
}

// script answers requests in turn and keeps the bodies it was sent.
type script struct {
	mu      sync.Mutex
	answers []answer
	bodies  []string
}

func (s *script) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body := ""
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
	}
	s.bodies = append(s.bodies, body)
	a := s.answers[0]
	if len(s.answers) > 1 {
		s.answers = s.answers[1:]
	}
	if a.err != nil {
		return nil, a.err
	}
	h := a.header
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

func secondary(retryAfter string) answer {
	h := http.Header{"X-Ratelimit-Remaining": {"4000"}}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return answer{status: http.StatusForbidden, header: h,
		body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`}
}

// What is retried, how often, after how long; and what is not.
func TestRetryTransport(t *testing.T) {
	ok := answer{status: http.StatusOK, body: `{}`}
	reset := errors.New("connection reset by peer")
	tests := []struct {
		name    string
		answers []answer
		sends   int             // requests sent
		status  int             // final status; 0 for an error
		pauses  []time.Duration // waits asked for; -1 for "backoff"
	}{
		{"a 502 passes", []answer{{status: 502}, ok}, 2, 200, []time.Duration{-1}},
		{"500, 503, 504 pass", []answer{{status: 500}, {status: 503}, {status: 504}, ok}, 4, 200, []time.Duration{-1, -1, -1}},
		{"a connection reset passes", []answer{{err: reset}, ok}, 2, 200, []time.Duration{-1}},
		{"a lasting 500 is returned after 4 sends", []answer{{status: 500}}, 4, 500, []time.Duration{-1, -1, -1}},
		{"a 503's Retry-After is honoured", []answer{{status: 503, header: http.Header{"Retry-After": {"2"}}}, ok}, 2, 200, []time.Duration{2 * time.Second}},
		{"a short secondary limit is waited out", []answer{secondary("3"), ok}, 2, 200, []time.Duration{3 * time.Second}},
		{"a 429 secondary limit too", []answer{{status: 429, header: http.Header{"Retry-After": {"1"}}}, ok}, 2, 200, []time.Duration{time.Second}},
		{"a long secondary limit is left to the queue", []answer{secondary("60")}, 1, 403, nil},
		{"a secondary limit without Retry-After means a minute: the queue's", []answer{secondary("")}, 1, 403, nil},
		{"a permission refusal is final", []answer{{status: 403, body: `{"message":"Resource not accessible by integration"}`}}, 1, 403, nil},
		{"the primary limit is the queue's", []answer{{status: 403, header: http.Header{"X-Ratelimit-Remaining": {"0"}}, body: `{"message":"API rate limit exceeded"}`}}, 1, 403, nil},
		{"a 404 is an answer", []answer{{status: 404}}, 1, 404, nil},
		{"a 422 is an answer", []answer{{status: 422}}, 1, 422, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{answers: tt.answers}
			var pauses []time.Duration
			rt := newRetryTransport(s)
			rt.sleep = func(_ context.Context, d time.Duration) error {
				pauses = append(pauses, d)
				return nil
			}
			req, _ := http.NewRequest(http.MethodPost, "https://api.github.test/repos/a/b/git/blobs", strings.NewReader(`{"content":"x"}`))
			resp, err := rt.RoundTrip(req)
			status := 0
			if err == nil {
				status = resp.StatusCode
				if b, _ := io.ReadAll(resp.Body); tt.status == 403 && !strings.Contains(string(b), "message") {
					t.Errorf("the refusal's body was lost: %q", b)
				}
			}
			if status != tt.status || len(s.bodies) != tt.sends {
				t.Fatalf("status %d after %d sends (err %v); want %d after %d", status, len(s.bodies), err, tt.status, tt.sends)
			}
			for i, b := range s.bodies {
				if b != `{"content":"x"}` {
					t.Errorf("send %d carried %q, not the request's body", i+1, b)
				}
			}
			if len(pauses) != len(tt.pauses) {
				t.Fatalf("paused %v, want %v", pauses, tt.pauses)
			}
			wait := rt.wait
			for i, want := range tt.pauses {
				if want == -1 { // backoff: wait, doubled each time, plus up to half of it
					if pauses[i] < wait || pauses[i] > wait+wait/2 {
						t.Errorf("pause %d = %s, want within [%s, %s]", i+1, pauses[i], wait, wait+wait/2)
					}
					wait *= 2
				} else if pauses[i] != want {
					t.Errorf("pause %d = %s, want %s", i+1, pauses[i], want)
				}
			}
		})
	}
}

// A cancelled request stops retrying at once.
func TestRetryTransportStopsWhenCancelled(t *testing.T) {
	s := &script{answers: []answer{{status: 502}}}
	rt := newRetryTransport(s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.github.test/repos/a/b", nil)
	if _, err := rt.RoundTrip(req); !errors.Is(err, context.Canceled) || len(s.bodies) != 1 {
		t.Fatalf("err %v after %d sends; want context.Canceled after 1", err, len(s.bodies))
	}
}

// Against the GitHub stand-in: each kind of passing fault, injected on a
// request's first send, costs that request one more send and the caller
// nothing; a write whose answer was lost is done once (a PR opened so is
// ErrConflict the second time, and found where it is).
func TestClientRidesOutPassingFaults(t *testing.T) {
	ctx := context.Background()
	for _, fault := range []githubfake.Fault{githubfake.Fault500, githubfake.Fault502, githubfake.FaultSecondaryLimit, githubfake.FaultLostResponse} {
		t.Run(fault.String(), func(t *testing.T) {
			s, c := fakeClient(t)
			var mu sync.Mutex
			seen := map[string]bool{}
			s.SetFaults(func(r *http.Request, opID string) githubfake.Fault {
				mu.Lock()
				defer mu.Unlock()
				if seen[opID] {
					return githubfake.FaultNone
				}
				seen[opID] = true
				return fault
			})
			main, err := c.Branch(ctx, "main")
			if err != nil {
				t.Fatalf("Branch: %v", err)
			}
			sha, _, err := c.CreateCommit(ctx, main, "retry", map[string][]byte{"retry.txt": []byte("once\n")})
			if err != nil {
				t.Fatalf("CreateCommit: %v", err)
			}
			if _, err := c.CreateBranch(ctx, "retry", sha); err != nil {
				t.Fatalf("CreateBranch: %v", err)
			}
			pr, err := c.OpenPR(ctx, "retry", "main", "Retry", "body")
			if fault == githubfake.FaultLostResponse && errors.Is(err, ErrConflict) {
				pr, err = c.FindOpenPR(ctx, "retry", "main")
			}
			if err != nil || pr == nil {
				t.Fatalf("OpenPR: %v", err)
			}
			if n := len(s.PullRequests()); n != 1 || pr.Number != s.PullRequests()[0].Number {
				t.Errorf("%d PRs after one OpenPR under %s; want the one returned", n, fault)
			}
			if got := s.FaultCounts()[fault]; got == 0 {
				t.Errorf("no %s injected", fault)
			}
		})
	}
}
