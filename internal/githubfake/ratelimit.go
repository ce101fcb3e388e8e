package githubfake

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rate is one credential's primary rate-limit window.
type rate struct {
	limit int
	used  int
	reset time.Time
}

// credential names what a request authenticates with, for rate limiting.
func credential(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if _, tok, ok := strings.Cut(h, " "); ok && tok != "" {
		return tok
	}
	return "anonymous:" + r.RemoteAddr
}

// rateHeaders counts the request against its credential, unless free
// (GitHub does not count a 304 to a conditional request), and sets
// GitHub's X-RateLimit-* headers. It takes lim, not mu.
func (s *Server) rateHeaders(h http.Header, cred string, free bool) {
	s.lim.Lock()
	defer s.lim.Unlock()
	now := time.Now()
	rt := s.rates[cred]
	if rt == nil || now.After(rt.reset) {
		limit := 5000
		if strings.HasPrefix(cred, "anonymous:") {
			limit = 60
		}
		rt = &rate{limit: limit, reset: now.Add(time.Hour).Truncate(time.Second)}
		s.rates[cred] = rt
	}
	if !free {
		rt.used++
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(rt.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(rt.limit-rt.used, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(rt.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(rt.used))
	h.Set("X-RateLimit-Resource", "core")
}
