package registry_test

import (
	"testing"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

func TestSemverPolicy(t *testing.T) {
	cases := []struct {
		constraint string
		accepts    []string
		rejects    []string
	}{
		{">=1.0.0",
			[]string{"1.0.0", "v1.0.0", "2.3.4", "1.0.0+build.7"},
			[]string{"0.9.9", "latest", "main-3f2a1c9", "V1.0.0", "2.0.0-rc.1", "", "1", "1.2", "v2", "01.2.3"}},
		{"~1.4",
			[]string{"1.4.0", "v1.4.9"},
			[]string{"1.3.9", "1.5.0", "2.4.0"}},
		{">=2.0.0-0",
			[]string{"2.0.0-rc.1", "2.0.0"},
			[]string{"1.9.9"}},
		{"1.x",
			[]string{"1.0.0", "1.99.0"},
			[]string{"2.0.0", "0.1.0"}},
	}
	for _, tc := range cases {
		p, err := registry.SemverPolicy(tc.constraint)
		if err != nil {
			t.Fatalf("SemverPolicy(%q): %v", tc.constraint, err)
		}
		if !p.Ordered() || p.String() != "semver "+tc.constraint {
			t.Errorf("%q: Ordered = %v, String = %q", tc.constraint, p.Ordered(), p)
		}
		for _, tag := range tc.accepts {
			if !p.Accepts(tag) {
				t.Errorf("semver %q rejects %q", tc.constraint, tag)
			}
		}
		for _, tag := range tc.rejects {
			if p.Accepts(tag) {
				t.Errorf("semver %q accepts %q", tc.constraint, tag)
			}
		}
	}
}

func TestSemverPolicyOlder(t *testing.T) {
	p, err := registry.SemverPolicy(">=0.0.0")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		candidate, current string
		older              bool
	}{
		{"1.2.2", "1.2.3", true},
		{"v1.2.2", "1.2.3", true},
		{"1.2.3-rc.1", "1.2.3", true},
		{"1.2.3", "1.2.3", false},
		{"1.2.3+b", "1.2.3+a", false},
		{"1.10.0", "1.9.0", false},
		{"2.0.0", "1.9.9", false},
		{"1.0.0", "latest", false}, // current is no version: nothing is older
		{"latest", "1.0.0", false},
	}
	for _, tc := range cases {
		if got := p.Older(tc.candidate, tc.current); got != tc.older {
			t.Errorf("Older(%q, %q) = %v, want %v", tc.candidate, tc.current, got, tc.older)
		}
	}
}

func TestPatternPolicy(t *testing.T) {
	cases := []struct {
		expr    string
		accepts []string
		rejects []string
	}{
		{`^main-[0-9a-f]{7}$`, []string{"main-3f2a1c9"}, []string{"main-3f2a1c", "feature-3f2a1c9", "main-3f2a1c9x", "1.0.0"}},
		{`rc`, []string{"1.0.0-rc.1", "rc"}, []string{"1.0.0"}}, // unanchored: matches in part
	}
	for _, tc := range cases {
		p, err := registry.PatternPolicy(tc.expr)
		if err != nil {
			t.Fatalf("PatternPolicy(%q): %v", tc.expr, err)
		}
		if p.Ordered() || p.Older("1.0.0", "2.0.0") {
			t.Errorf("pattern %q claims an order", tc.expr)
		}
		if p.String() != "pattern "+tc.expr {
			t.Errorf("String = %q", p)
		}
		for _, tag := range tc.accepts {
			if !p.Accepts(tag) {
				t.Errorf("pattern %q rejects %q", tc.expr, tag)
			}
		}
		for _, tag := range tc.rejects {
			if p.Accepts(tag) {
				t.Errorf("pattern %q accepts %q", tc.expr, tag)
			}
		}
	}
}

func TestPolicyErrors(t *testing.T) {
	for _, c := range []string{"bogus", ">=", "~>1.0.0.0", ""} {
		if _, err := registry.SemverPolicy(c); err == nil {
			t.Errorf("SemverPolicy(%q) accepted", c)
		}
	}
	for _, e := range []string{"(", "[a-", `\`, "a{2,1}"} {
		if _, err := registry.PatternPolicy(e); err == nil {
			t.Errorf("PatternPolicy(%q) accepted", e)
		}
	}
}

func TestZeroPolicyAcceptsNothing(t *testing.T) {
	var p registry.TagPolicy
	if p.Accepts("1.0.0") || p.Accepts("") || p.Ordered() || p.Older("1.0.0", "2.0.0") || p.String() != "no tags" {
		t.Errorf("zero TagPolicy = %q accepts or orders something", p)
	}
}
