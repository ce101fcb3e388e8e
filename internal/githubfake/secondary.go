package githubfake

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// SecondaryLimits are GitHub's secondary rate limits ("Rate limits for the
// REST API" → "About secondary rate limits"), enforced per client (the
// App, its installation, each person) on requests the fake would serve.
// Zero fields take GitHub's numbers; a negative one turns that limit off.
// Window stands for GitHub's minute, so that tests can scale time: the
// hour is 60 Windows.
type SecondaryLimits struct {
	// Concurrent bounds requests in flight at once (GitHub: 100),
	// counted from arrival, time spent waiting for the fake included.
	Concurrent int
	// PerMinute and PerHour bound content-generating requests per Window
	// and per 60 Windows (GitHub: 80 and 500). GitHub does not list which
	// requests generate content; the fake counts every POST, PATCH, PUT
	// and DELETE, the methods GitHub's advice on content creation names.
	PerMinute, PerHour int
	// Points bounds the points spent on one endpoint (operation) per
	// Window (GitHub: 900), a GET costing 1 and a POST, PATCH, PUT or
	// DELETE 5.
	Points int
	// Window is GitHub's minute; default time.Minute.
	Window time.Duration
	// Status is the answer's status: 403 (default; what GitHub mostly
	// sends, and what go-github recognises) or 429.
	Status int
	// Now is the clock the windows run on; default time.Now. A test can
	// step a clock of its own instead of sleeping.
	Now func() time.Time
}

// withDefaults fills GitHub's numbers into zero fields.
func (l SecondaryLimits) withDefaults() SecondaryLimits {
	def := func(v *int, github int) {
		if *v == 0 {
			*v = github
		}
	}
	def(&l.Concurrent, 100)
	def(&l.PerMinute, 80)
	def(&l.PerHour, 500)
	def(&l.Points, 900)
	def(&l.Status, http.StatusForbidden)
	if l.Window == 0 {
		l.Window = time.Minute
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	return l
}

// The limits a refusal names, as SecondaryStats counts them.
const (
	LimitConcurrent = "concurrent"
	LimitPerMinute  = "content-per-minute"
	LimitPerHour    = "content-per-hour"
	LimitPoints     = "points"
)

// SecondaryStats is what the secondary limits did.
type SecondaryStats struct {
	// Refused counts secondary-limit answers by the limit that gave them
	// (LimitConcurrent, LimitPerMinute, LimitPerHour, LimitPoints).
	Refused map[string]int
	// ContentAccepted counts the content-generating requests accepted in
	// each Window since the fake started, oldest first, all clients
	// together.
	ContentAccepted []int
}

// limiter is the secondary limits' state; guarded by Server.lim.
type limiter struct {
	limits   SecondaryLimits
	start    time.Time
	inFlight map[string]int
	content  map[string][]time.Time     // client → accepted content-generating requests, last hour
	points   map[[2]string][]pointSpend // client, operation → spending, last Window
	refused  map[string]int
	accepted []int // per Window since start
}

type pointSpend struct {
	at     time.Time
	points int
}

// limitClient names who a request counts against: the App (a JWT), its
// installation (an installation token), or the credential itself.
func limitClient(r *http.Request) string {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "bearer") && strings.Count(cred, ".") == 2:
		return "app"
	case strings.HasPrefix(cred, "ghs_"):
		return "installation"
	case cred == "":
		return "anonymous:" + r.RemoteAddr
	}
	return cred
}

// contentGenerating reports whether a request of method creates content.
func contentGenerating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// enter counts a request in flight and reports whether it is one too
// many. leave undoes it.
func (s *Server) enter(client string) (crowded bool) {
	if s.limiter == nil {
		return false
	}
	s.lim.Lock()
	defer s.lim.Unlock()
	s.limiter.inFlight[client]++
	return s.limiter.limits.Concurrent > 0 && s.limiter.inFlight[client] > s.limiter.limits.Concurrent
}

func (s *Server) leave(client string) {
	if s.limiter == nil {
		return
	}
	s.lim.Lock()
	defer s.lim.Unlock()
	if s.limiter.inFlight[client]--; s.limiter.inFlight[client] <= 0 {
		delete(s.limiter.inFlight, client)
	}
}

// admit applies the secondary limits to a request the fake would serve:
// nil lets it through (and spends its share), a reply refuses it.
func (s *Server) admit(client, opID, method string, crowded bool, reqID string) *reply {
	l := s.limiter
	if l == nil {
		return nil
	}
	s.lim.Lock()
	defer s.lim.Unlock()
	lim := l.limits
	now := lim.Now()
	refuse := func(limit string, wait time.Duration) *reply {
		l.refused[limit]++
		rep := secondaryLimitReply(lim.Status, max(1, int(math.Ceil(wait.Seconds()))), reqID)
		return &rep
	}
	if crowded {
		return refuse(LimitConcurrent, time.Second)
	}

	cost := 1
	content := contentGenerating(method)
	if content {
		cost = 5
	}
	key := [2]string{client, opID}
	spent := l.points[key]
	for len(spent) > 0 && now.Sub(spent[0].at) >= lim.Window {
		spent = spent[1:]
	}
	l.points[key] = spent
	if lim.Points > 0 {
		total := 0
		for _, p := range spent {
			total += p.points
		}
		// Wait until enough of the oldest spending leaves the window.
		for i := 0; total+cost > lim.Points && i < len(spent); i++ {
			total -= spent[i].points
			if total+cost <= lim.Points {
				return refuse(LimitPoints, spent[i].at.Add(lim.Window).Sub(now))
			}
		}
		if total+cost > lim.Points {
			return refuse(LimitPoints, lim.Window)
		}
	}

	if content {
		hour := 60 * lim.Window
		times := l.content[client]
		for len(times) > 0 && now.Sub(times[0]) >= hour {
			times = times[1:]
		}
		l.content[client] = times
		if lim.PerHour > 0 && len(times) >= lim.PerHour {
			return refuse(LimitPerHour, times[len(times)-lim.PerHour].Add(hour).Sub(now))
		}
		if lim.PerMinute > 0 {
			first := len(times)
			for first > 0 && now.Sub(times[first-1]) < lim.Window {
				first--
			}
			if inWindow := len(times) - first; inWindow >= lim.PerMinute {
				return refuse(LimitPerMinute, times[len(times)-lim.PerMinute].Add(lim.Window).Sub(now))
			}
		}
		l.content[client] = append(times, now)
		w := int(now.Sub(l.start) / lim.Window)
		for len(l.accepted) <= w {
			l.accepted = append(l.accepted, 0)
		}
		l.accepted[w]++
	}
	l.points[key] = append(spent, pointSpend{at: now, points: cost})
	return nil
}

// SecondaryStats reports the secondary limits' refusals and the
// content-generating requests they let through; zero when the limits are
// off.
func (s *Server) SecondaryStats() SecondaryStats {
	out := SecondaryStats{Refused: map[string]int{}}
	if s.limiter == nil {
		return out
	}
	s.lim.Lock()
	defer s.lim.Unlock()
	for k, v := range s.limiter.refused {
		out.Refused[k] = v
	}
	out.ContentAccepted = append([]int(nil), s.limiter.accepted...)
	return out
}
