package githubapp

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is at most N requests in any window of Per.
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.N, r.Per) }

// Pace is how fast one installation talks to GitHub. GitHub documents its
// secondary rate limits as no more than 100 concurrent requests and, in
// general, no more than 80 content-generating requests a minute and 500 an
// hour; over them it answers 403 or 429 and may block the App for longer.
// They bound every design, so stagehand keeps under them rather than
// learning them from refusals.
type Pace struct {
	// Writes bound content-generating requests (POST, PATCH, PUT, DELETE):
	// each rate holds over any sliding window, so a burst up to the
	// smallest N goes at once and a single promotion is never slowed.
	// Empty means DefaultWrites.
	Writes []Rate
	// Concurrent bounds requests in flight; 0 means 100.
	Concurrent int
}

// DefaultWrites are GitHub's documented content-generating limits.
var DefaultWrites = []Rate{{80, time.Minute}, {500, time.Hour}}

// ParseRates reads "80/1m,500/1h" (counts per Go durations); "" is the
// default.
func ParseRates(s string) ([]Rate, error) {
	if strings.TrimSpace(s) == "" {
		return DefaultWrites, nil
	}
	var out []Rate
	for _, part := range strings.Split(s, ",") {
		n, per, ok := strings.Cut(strings.TrimSpace(part), "/")
		count, err := strconv.Atoi(n)
		d, derr := time.ParseDuration(per)
		if !ok || err != nil || derr != nil || count <= 0 || d <= 0 {
			return nil, fmt.Errorf("pace %q: want counts per duration such as 80/1m,500/1h", part)
		}
		out = append(out, Rate{count, d})
	}
	return out, nil
}

// PaceStats is what the pacer did, for metrics.
type PaceStats struct {
	Waits    int64         // requests that waited for a window or a pause
	Waited   time.Duration // how long they waited in all
	Limited  int64         // secondary-limit answers GitHub sent all the same
	InFlight int
}

// pacer is the RoundTripper that keeps one installation within its Pace.
// A secondary-limit answer, or the primary limit spent, pauses the whole
// installation until GitHub says it may go on, not only the request that
// met it: the others would meet it too, and GitHub penalises those who
// keep trying.
type pacer struct {
	next  http.RoundTripper
	rates []Rate
	slots chan struct{}
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	sent   [][]*stamp // per rate: content-generating requests in its window, oldest first
	paused time.Time  // nothing is sent before this
	stats  PaceStats
}

// stamp is when a request counts for GitHub: somewhere between its
// admission and its answer, so a write in flight counts as now, and once
// answered counts as of its answer.
type stamp struct {
	at       time.Time // the answer, once done
	answered bool
}

func newPacer(next http.RoundTripper, p Pace) *pacer {
	if len(p.Writes) == 0 {
		p.Writes = DefaultWrites
	}
	if p.Concurrent <= 0 {
		p.Concurrent = 100
	}
	return &pacer{next: next, rates: p.Writes, slots: make(chan struct{}, p.Concurrent), now: time.Now, sleep: sleepCtx,
		sent: make([][]*stamp, len(p.Writes))}
}

func (p *pacer) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slots }()

	s, err := p.admit(ctx, contentGenerating(req.Method))
	if err != nil {
		return nil, err
	}
	resp, err := p.next.RoundTrip(req)
	var until time.Time
	limited := false
	if err == nil {
		until, limited = p.learn(resp)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s != nil {
		s.at, s.answered = p.now(), true
	}
	if limited {
		p.stats.Limited++
	}
	if until.After(p.paused) {
		p.paused = until
	}
	return resp, err
}

// admit waits until a request may go: no pause in force and, for a
// content-generating one, room in every window. It returns the write's
// stamp (nil for a read).
func (p *pacer) admit(ctx context.Context, write bool) (*stamp, error) {
	var waited time.Duration
	defer func() {
		if waited > 0 {
			p.mu.Lock()
			p.stats.Waits++
			p.stats.Waited += waited
			p.mu.Unlock()
		}
	}()
	for {
		p.mu.Lock()
		now := p.now()
		until := p.paused
		if write {
			for i, r := range p.rates {
				if free := p.window(i, r, now); free.After(until) {
					until = free
				}
			}
		}
		if !until.After(now) {
			var s *stamp
			if write {
				s = &stamp{}
				for i := range p.sent {
					p.sent[i] = append(p.sent[i], s)
				}
			}
			p.mu.Unlock()
			return s, nil
		}
		p.mu.Unlock()
		d := until.Sub(now)
		if err := p.sleep(ctx, d); err != nil {
			return nil, err
		}
		waited += d
	}
}

// inFlightPoll is how soon a write waiting for writes in flight (whose
// time will be their answer's) looks again.
const inFlightPoll = 10 * time.Millisecond

// window drops rate i's writes that left its window by now and returns
// when the next write fits in it: now when it does, else when enough
// answered writes leave it (or, when writes in flight fill it, soon, to
// look again once they are answered). Called with p.mu held.
func (p *pacer) window(i int, r Rate, now time.Time) time.Time {
	live := p.sent[i][:0]
	var leave []time.Time // when each answered write leaves the window
	for _, s := range p.sent[i] {
		if s.answered && now.Sub(s.at) >= r.Per {
			continue
		}
		live = append(live, s)
		if s.answered {
			leave = append(leave, s.at.Add(r.Per))
		}
	}
	clear(p.sent[i][len(live):])
	p.sent[i] = live
	if len(live) < r.N {
		return now
	}
	need := len(live) - r.N + 1 // writes that must leave first
	if need > len(leave) {
		return now.Add(inFlightPoll)
	}
	slices.SortFunc(leave, time.Time.Compare)
	return leave[need-1]
}

// learn says until when the installation pauses after resp, if GitHub
// said to wait: a secondary limit for its Retry-After (a minute without
// one, as GitHub advises), the primary limit until its reset.
func (p *pacer) learn(resp *http.Response) (until time.Time, limited bool) {
	switch {
	case (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) && secondaryLimit(resp):
		wait := retryAfterHeader(resp)
		if wait == 0 {
			wait = time.Minute
		}
		return p.now().Add(wait), true
	case resp.Header.Get("X-RateLimit-Remaining") == "0":
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return time.Unix(reset, 0), false
		}
	}
	return time.Time{}, false
}

// Stats reports what the pacer did so far.
func (p *pacer) Stats() PaceStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.InFlight = len(p.slots)
	return s
}

// contentGenerating reports whether GitHub counts a request of method
// against the content-generating limits: its advice names POST, PATCH, PUT
// and DELETE.
func contentGenerating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
