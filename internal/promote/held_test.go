package promote

import (
	"testing"
	"time"
)

// TestNewerRequest: which of two automatic promotions a hold keeps. A
// version orders a semver app's tags; otherwise the registry's push times
// do, and where they cannot (a time is missing), the later arrival wins,
// as it would into a stage that is not held.
func TestNewerRequest(t *testing.T) {
	t0 := now.Add(-time.Hour)
	push := func(tag, digest string, at time.Time) Request {
		return Request{Kind: Push, Source: FromRegistry, Tag: tag, Digest: digest, PushedAt: at}
	}
	want := func(r Request) Want { return Want{Tag: r.Tag, Digest: r.Digest, PushedAt: r.PushedAt} }
	chain := Request{Kind: Chain, Source: FromMerge, From: "staging"}
	tests := []struct {
		name     string
		app      string
		kept, r  Request
		replaces bool
	}{
		{"semver: higher version", "web", push("1.1.0", d1, time.Time{}), push("1.2.0", d2, time.Time{}), true},
		{"semver: lower version, even pushed later", "web", push("1.2.0", d1, t0), push("1.1.0", d2, t0.Add(time.Minute)), false},
		{"semver: same tag pushed again, no times", "web", push("1.2.0", d1, time.Time{}), push("1.2.0", d2, time.Time{}), true},
		{"semver: same tag pushed again, earlier", "web", push("1.2.0", d1, t0), push("1.2.0", d2, t0.Add(-time.Minute)), false},
		{"pattern: pushed later", "worker", push("main-aaaaaaa", d1, t0), push("main-bbbbbbb", d2, t0.Add(time.Minute)), true},
		{"pattern: pushed earlier", "worker", push("main-aaaaaaa", d1, t0), push("main-bbbbbbb", d2, t0.Add(-time.Minute)), false},
		{"pattern: no times, later arrival", "worker", push("main-aaaaaaa", d1, time.Time{}), push("main-bbbbbbb", d2, time.Time{}), true},
		{"pattern: one time missing, later arrival", "worker", push("main-aaaaaaa", d1, t0), push("main-bbbbbbb", d2, time.Time{}), true},
		{"the same image again", "worker", push("main-aaaaaaa", d1, t0), push("main-aaaaaaa", d1, t0.Add(-time.Minute)), true},
		{"a chain replaces a push", "web", push("1.2.0", d1, t0), chain, true},
		{"a push replaces a chain", "web", chain, push("1.0.1", d2, time.Time{}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := want(tt.r)
			if got := newerRequest(app(t, tt.app), tt.r, w, tt.kept); got != tt.replaces {
				t.Errorf("replaces the kept one: %v, want %v", got, tt.replaces)
			}
		})
	}
}
