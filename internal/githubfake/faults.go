package githubfake

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// Fault is what the fake does to one API request instead of answering it
// as GitHub would, so that a client's retries can be tested against the
// failures GitHub really produces. Faults reach only requests the fake
// would serve (authenticated, valid, for its repository), never the
// OAuth web flow, and are not flagged as violations.
type Fault int

const (
	// FaultNone answers the request normally.
	FaultNone Fault = iota
	// Fault500 answers 500 {"message": "Server Error"}; nothing changes.
	Fault500
	// Fault502 answers 502 with the JSON body GitHub sends when a request
	// timed out behind its front end; nothing changes.
	Fault502
	// FaultSecondaryLimit answers as GitHub does over a secondary rate
	// limit: 403, Retry-After (Options.FaultRetryAfter) and GitHub's
	// message; nothing changes.
	FaultSecondaryLimit
	// FaultLostResponse applies the request (a write happens) and then
	// closes the connection before a byte of the answer is sent.
	FaultLostResponse
)

var faultNames = [...]string{"none", "500", "502", "secondary-limit", "lost-response"}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// FaultFunc chooses the fault for one API request; opID is its operation
// ("pulls/create"). It is called outside the fake's lock, concurrently
// for concurrent requests, and may block to hold a request back.
type FaultFunc func(r *http.Request, opID string) Fault

// faults is the injector in force and what it injected.
type faults struct {
	mu     sync.Mutex
	choose FaultFunc
	counts map[Fault]int
}

// SetFaults makes f choose the fault of every API request from now on;
// nil is StopFaults.
func (s *Server) SetFaults(f FaultFunc) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.choose = f
}

// StopFaults stops injecting faults; requests under way keep theirs.
func (s *Server) StopFaults() { s.SetFaults(nil) }

// FaultCounts returns how many faults of each kind were injected.
func (s *Server) FaultCounts() map[Fault]int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return maps.Clone(s.faults.counts)
}

func (s *Server) chooseFault(r *http.Request, opID string) Fault {
	s.faults.mu.Lock()
	choose := s.faults.choose
	s.faults.mu.Unlock()
	if choose == nil {
		return FaultNone
	}
	f := choose(r, opID)
	if f <= FaultNone || f > FaultLostResponse {
		return FaultNone
	}
	s.faults.mu.Lock()
	s.faults.counts[f]++
	s.faults.mu.Unlock()
	return f
}

// RandomFaults is a ready-made injector: each request for one of ops (any
// operation when none is named) is faulted with probability p, with a
// kind drawn evenly from kinds. The same seed gives the same sequence of
// choices; it is safe for concurrent use.
func RandomFaults(seed uint64, p float64, kinds []Fault, ops ...string) FaultFunc {
	if p < 0 || p > 1 || len(kinds) == 0 {
		panic(fmt.Sprintf("githubfake: RandomFaults(p=%v, kinds=%v): want 0 ≤ p ≤ 1 and at least one kind", p, kinds))
	}
	kinds = slices.Clone(kinds)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func(_ *http.Request, opID string) Fault {
		if len(ops) > 0 && !slices.Contains(ops, opID) {
			return FaultNone
		}
		mu.Lock()
		defer mu.Unlock()
		if rng.Float64() >= p {
			return FaultNone
		}
		return kinds[rng.IntN(len(kinds))]
	}
}

// GitHub's words for the failures faults stand for.
const (
	msgTimeout        = "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists."
	msgSecondaryLimit = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID %s."
	// secondaryDocs ends in "secondary-rate-limits", which is how
	// go-github recognises the answer (an *AbuseRateLimitError).
	secondaryDocs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

func (s *Server) faultReply(f Fault, reqID string) reply {
	switch f {
	case Fault502:
		return reply{status: http.StatusBadGateway, body: map[string]any{"message": msgTimeout, "documentation_url": docsURL}}
	case FaultSecondaryLimit:
		return secondaryLimitReply(http.StatusForbidden, s.opts.FaultRetryAfter, reqID)
	}
	return apiError(http.StatusInternalServerError, "Server Error")
}

// secondaryLimitReply is GitHub's answer over a secondary rate limit.
func secondaryLimitReply(status, retryAfter int, reqID string) reply {
	return reply{
		status: status,
		body: map[string]any{
			"message":           fmt.Sprintf(msgSecondaryLimit, reqID),
			"documentation_url": secondaryDocs,
			"status":            strconv.Itoa(status),
		},
		header: http.Header{"Retry-After": {strconv.Itoa(retryAfter)}},
	}
}

// loseResponse closes the connection without answering: the client sees
// its request vanish after it was applied.
func loseResponse(w http.ResponseWriter) int {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
	return 0
}
