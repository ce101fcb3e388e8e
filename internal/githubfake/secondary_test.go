package githubfake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func limitedOptions(t *testing.T, l SecondaryLimits) Options {
	opts := seededOptions(t)
	opts.SecondaryLimits = &l
	return opts
}

// TestSecondaryLimitContent: with GitHub's numbers, the installation's
// 81st content-generating request in a minute gets GitHub's answer while
// its GETs still pass.
func TestSecondaryLimitContent(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, limitedOptions(t, SecondaryLimits{}))
	gh, _ := installationClient(t, s)
	for i := range 80 {
		if _, _, err := gh.Git.CreateBlob(ctx, s.Owner(), s.Repo(), &github.Blob{Content: github.String(fmt.Sprint(i))}); err != nil {
			t.Fatalf("blob %d: %v", i, err)
		}
	}
	_, _, err := gh.Git.CreateBlob(ctx, s.Owner(), s.Repo(), &github.Blob{Content: github.String("81st")})
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.Response.StatusCode != http.StatusForbidden || abuse.RetryAfter == nil ||
		*abuse.RetryAfter < 50*time.Second || !strings.HasPrefix(abuse.Message, "You have exceeded a secondary rate limit.") {
		t.Fatalf("81st: %T %v", err, err)
	}
	// go-github now holds its own calls back until Retry-After; a plain
	// GET goes through at the fake.
	_, tok := installationClient(t, s)
	if resp := do(t, http.MethodGet, s.URL()+"repos/acme/config/branches/main", tok, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET after the limit: %d", resp.StatusCode)
	}
	st := s.SecondaryStats()
	// 80 blobs from the installation, and the App's two token requests.
	if st.Refused[LimitPerMinute] != 1 || len(st.ContentAccepted) != 1 || st.ContentAccepted[0] != 82 {
		t.Errorf("stats %+v", st)
	}
}

// clock is a test's own time, stepped by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestSecondaryLimitScaledWindow: a short "minute" on a clock the test
// steps lets it see the window roll over; the hour is sixty of them.
func TestSecondaryLimitScaledWindow(t *testing.T) {
	clk := &clock{now: time.Now()}
	s := NewTest(t, limitedOptions(t, SecondaryLimits{PerMinute: 3, PerHour: 5, Window: 300 * time.Millisecond, Status: http.StatusTooManyRequests, Now: clk.Now}))
	_, tok := installationClient(t, s)
	post := func() *http.Response {
		return do(t, http.MethodPost, s.URL()+"repos/acme/config/git/blobs", tok, `{"content": "x"}`)
	}
	for i := range 3 {
		if resp := post(); resp.StatusCode != http.StatusCreated {
			t.Fatalf("post %d: %d", i, resp.StatusCode)
		}
	}
	resp := post()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || resp.Header.Get("X-RateLimit-Remaining") == "" {
		t.Fatalf("4th: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	clk.step(300 * time.Millisecond)
	for i := range 2 {
		if resp := post(); resp.StatusCode != http.StatusCreated {
			t.Fatalf("next window, post %d: %d", i, resp.StatusCode)
		}
	}
	if resp := post(); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("6th in the hour: %d", resp.StatusCode)
	}
	st := s.SecondaryStats()
	if st.Refused[LimitPerMinute] != 1 || st.Refused[LimitPerHour] != 1 {
		t.Errorf("refused %v", st.Refused)
	}
	for i, n := range st.ContentAccepted {
		if n > 3+1 { // the token request is the App's own
			t.Errorf("window %d accepted %d", i, n)
		}
	}
}

// TestSecondaryLimitPoints: 900 points per endpoint per minute, a GET one
// point; another endpoint is not affected.
func TestSecondaryLimitPoints(t *testing.T) {
	s := NewTest(t, limitedOptions(t, SecondaryLimits{Points: 10, Window: time.Hour}))
	_, tok := installationClient(t, s)
	for i := range 10 {
		if resp := do(t, http.MethodGet, s.URL()+"repos/acme/config", tok, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %d: %d", i, resp.StatusCode)
		}
	}
	if resp := do(t, http.MethodGet, s.URL()+"repos/acme/config", tok, ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("11th GET: %d", resp.StatusCode)
	}
	if resp := do(t, http.MethodGet, s.URL()+"repos/acme/config/branches/main", tok, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("another endpoint: %d", resp.StatusCode)
	}
	if n := s.SecondaryStats().Refused[LimitPoints]; n != 1 {
		t.Errorf("points refusals %d", n)
	}
}

// TestSecondaryLimitConcurrent: requests waiting for the fake count as in
// flight, so one more than the limit is refused.
func TestSecondaryLimitConcurrent(t *testing.T) {
	s := NewTest(t, limitedOptions(t, SecondaryLimits{Concurrent: 3}))
	_, tok := installationClient(t, s)
	s.mu.Lock() // hold every request at the lock
	var wg sync.WaitGroup
	codes := make(chan int, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, s.URL()+"repos/acme/config", nil)
			req.Header.Set("Authorization", "token "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s.lim.Lock()
		n := s.limiter.inFlight["installation"]
		s.lim.Unlock()
		if n == 4 {
			break
		}
		if time.Now().After(deadline) {
			s.mu.Unlock()
			t.Fatalf("%d in flight", n)
		}
	}
	s.mu.Unlock()
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[http.StatusOK] != 3 || got[http.StatusForbidden] != 1 {
		t.Errorf("statuses %v", got)
	}
	if n := s.SecondaryStats().Refused[LimitConcurrent]; n != 1 {
		t.Errorf("concurrent refusals %d", n)
	}
}

func TestSecondaryLimitsOffByDefault(t *testing.T) {
	s := NewTest(t, seededOptions(t))
	if st := s.SecondaryStats(); len(st.Refused) != 0 || st.ContentAccepted != nil {
		t.Errorf("stats %+v", st)
	}
	if _, err := New(Options{AppKey: &appKey(t).PublicKey, SecondaryLimits: &SecondaryLimits{Status: 500}}); !errors.Is(err, ErrOptions) {
		t.Errorf("status 500: %v", err)
	}
}
