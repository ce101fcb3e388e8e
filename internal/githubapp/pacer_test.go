package githubapp

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
)

// clock is a fake time the pacer sleeps on: sleeping moves it on.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return nil
}

func pacedWith(next http.RoundTripper, p Pace) (*pacer, *clock) {
	c := &clock{t: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}
	pc := newPacer(next, p)
	pc.now, pc.sleep = c.now, c.sleep
	return pc, c
}

func send(t *testing.T, rt http.RoundTripper, method string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, "https://api.github.test/repos/a/b/git/blobs", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Writes go at once up to each window's count, then wait for the oldest to
// leave it; reads never wait for the write windows.
func TestPacerKeepsWritesInEveryWindow(t *testing.T) {
	s := &script{answers: []answer{{status: 201}}}
	p, c := pacedWith(s, Pace{Writes: []Rate{{3, time.Second}, {5, time.Minute}}})
	for range 3 {
		send(t, p, http.MethodPost)
	}
	if len(c.slept) != 0 {
		t.Fatalf("a burst within the window waited %v", c.slept)
	}
	send(t, p, http.MethodGet)
	send(t, p, http.MethodPost) // the fourth write: the 1 s window is full
	if len(c.slept) != 1 || c.slept[0] != time.Second {
		t.Fatalf("the fourth write waited %v, want 1s", c.slept)
	}
	send(t, p, http.MethodPatch)  // the fifth: room in both
	send(t, p, http.MethodDelete) // the sixth: the minute window is full
	if got := c.slept[len(c.slept)-1]; len(c.slept) != 2 || got != time.Minute-time.Second {
		t.Fatalf("the sixth write waited %v, want 59s (until the first leaves the minute)", c.slept)
	}
	send(t, p, http.MethodGet)
	if len(c.slept) != 2 {
		t.Errorf("a read waited for the write windows: %v", c.slept)
	}
	if st := p.Stats(); st.Waits != 2 || st.Waited != time.Minute {
		t.Errorf("stats %+v, want 2 waits, 1m in all", st)
	}
}

// GitHub counts a write when it arrives, somewhere before its answer: a
// write still in flight after a whole window counts as now, and once
// answered, as of its answer. (Counted from its admission, a slow write
// left the window while GitHub still had it to count, and the stand-in's
// limits were met on a loaded machine.)
func TestPacerCountsAWriteInFlight(t *testing.T) {
	inside, release := make(chan struct{}), make(chan struct{})
	slow := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("X-Slow") != "" {
			close(inside)
			<-release
		}
		return &http.Response{StatusCode: http.StatusCreated, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	p, c := pacedWith(slow, Pace{Writes: []Rate{{2, time.Second}}})
	start := c.now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest(http.MethodPost, "https://api.github.test/repos/a/b/git/trees", nil)
		req.Header.Set("X-Slow", "1")
		if _, err := p.RoundTrip(req); err != nil {
			t.Error(err)
		}
	}()
	<-inside
	c.mu.Lock()
	c.t = c.t.Add(2 * time.Second) // the slow write is in flight for two windows
	c.mu.Unlock()
	send(t, p, http.MethodPost) // the second write of the window: at once
	if len(c.slept) != 0 {
		t.Fatalf("the second write waited %v", c.slept)
	}
	third := make(chan time.Time)
	go func() {
		send(t, p, http.MethodPost)
		third <- c.now()
	}()
	for deadline := time.Now().Add(5 * time.Second); ; {
		c.mu.Lock()
		waiting := len(c.slept) > 0
		c.mu.Unlock()
		if waiting {
			break
		}
		select {
		case at := <-third:
			close(release)
			t.Fatalf("the third write went at once (+%s), with the slow one still in flight", at.Sub(start))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the third write neither went nor waited")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	<-done
	at := <-third
	// The second write (answered at start+2s) leaves the window first.
	if want := start.Add(3 * time.Second); at.Before(want) {
		t.Errorf("the third write went at +%s, while two writes were in the window until +3s", at.Sub(start))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A secondary-limit answer pauses every request of the installation for
// its Retry-After, reads too; the primary limit spent pauses until reset.
func TestPacerPausesTheInstallationWhenGitHubSaysWait(t *testing.T) {
	s := &script{answers: []answer{secondary("7"), {status: 200}}}
	p, c := pacedWith(s, Pace{})
	if resp := send(t, p, http.MethodPost); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d", resp.StatusCode)
	}
	send(t, p, http.MethodGet)
	if len(c.slept) != 1 || c.slept[0] != 7*time.Second {
		t.Fatalf("the next read waited %v, want the 7s GitHub asked for", c.slept)
	}
	if st := p.Stats(); st.Limited != 1 {
		t.Errorf("secondary limits counted %d, want 1", st.Limited)
	}

	reset := c.now().Add(90 * time.Second).Unix()
	s.answers = []answer{{status: 200, header: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {strconv.FormatInt(reset, 10)}}}, {status: 200}}
	send(t, p, http.MethodGet)
	send(t, p, http.MethodGet)
	if got := c.slept[len(c.slept)-1]; got != 90*time.Second {
		t.Errorf("after the primary limit was spent the next request waited %v, want until the reset (90s)", got)
	}
}

// blockTransport holds requests until released, and counts those in
// flight.
type blockTransport struct {
	mu       sync.Mutex
	inFlight int
	most     int
	release  chan struct{}
}

func (b *blockTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.inFlight++
	b.most = max(b.most, b.inFlight)
	b.mu.Unlock()
	<-b.release
	b.mu.Lock()
	b.inFlight--
	b.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// No more requests are in flight than Concurrent.
func TestPacerBoundsRequestsInFlight(t *testing.T) {
	b := &blockTransport{release: make(chan struct{})}
	p := newPacer(b, Pace{Concurrent: 3})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, "https://api.github.test/", nil)
			_, _ = p.RoundTrip(req)
		}()
	}
	for p.Stats().InFlight < 3 {
		time.Sleep(time.Millisecond)
	}
	close(b.release)
	wg.Wait()
	if b.most != 3 {
		t.Errorf("%d requests in flight at most, want 3", b.most)
	}
}

func TestParseRates(t *testing.T) {
	if got, err := ParseRates("80/1m, 500/1h"); err != nil || len(got) != 2 || got[0] != (Rate{80, time.Minute}) || got[1] != (Rate{500, time.Hour}) {
		t.Errorf("ParseRates = %v, %v", got, err)
	}
	if got, err := ParseRates(""); err != nil || len(got) != 2 || got[0] != DefaultWrites[0] {
		t.Errorf("ParseRates(\"\") = %v, %v; want GitHub's", got, err)
	}
	for _, bad := range []string{"80", "80/", "/1m", "x/1m", "80/x", "0/1m", "-1/1m", "80/0s", "80/1m,"} {
		if _, err := ParseRates(bad); err == nil {
			t.Errorf("ParseRates(%q) took it", bad)
		}
	}
}

// Against the stand-in enforcing GitHub's secondary limits (its minute made
// 400 ms): many concurrent writes through a paced client meet no refusal;
// the same writes unpaced do.
func TestPacedClientMeetsNoSecondaryLimit(t *testing.T) {
	for _, tt := range []struct {
		name  string
		pace  Pace
		limit bool
	}{
		{"paced", Pace{Writes: []Rate{{10, 400 * time.Millisecond}}}, false},
		{"unpaced", Pace{Writes: []Rate{{1000, time.Millisecond}}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key, err := testKey()
			if err != nil {
				t.Fatal(err)
			}
			s := githubfake.NewTest(t, githubfake.Options{Seed: seedDir, AppKey: &key.PublicKey, AppID: testAppID,
				SecondaryLimits: &githubfake.SecondaryLimits{PerMinute: 10, PerHour: 1000, Window: 400 * time.Millisecond}})
			c, err := New(context.Background(), Options{APIURL: s.URL(), AppID: testAppID, Repo: s.Owner() + "/" + s.Repo(), Pace: tt.pace,
				PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})})
			if err != nil {
				t.Fatal(err)
			}
			main, err := c.Branch(context.Background(), "main")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 15)
			for i := range 15 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// A commit is two writes: a tree and a commit.
					_, _, err := c.CreateCommit(context.Background(), main, "paced", map[string][]byte{fmt.Sprintf("f%d.txt", i): []byte("x\n")})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			refused := s.SecondaryStats().Refused
			total := 0
			for _, n := range refused {
				total += n
			}
			if tt.limit {
				if total == 0 {
					t.Errorf("30 writes at once met no secondary limit unpaced: the stand-in does not enforce it")
				}
				return
			}
			for err := range errs {
				if err != nil {
					t.Errorf("a paced commit failed: %v", err)
				}
			}
			if total != 0 || c.Pace().Limited != 0 {
				t.Errorf("paced writes met secondary limits: %v", refused)
			}
			if c.Pace().Waits == 0 {
				t.Errorf("30 writes over a limit of 10 per window never waited")
			}
		})
	}
}
