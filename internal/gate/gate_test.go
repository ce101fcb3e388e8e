package gate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAllowed(t *testing.T) {
	teams := func(member ...string) func(string) bool {
		return func(team string) bool {
			for _, m := range member {
				if m == team {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name      string
		approvers []string
		p         Person
		ok        bool
		reason    string
	}{
		{"writer, no approvers", nil, Person{Login: "ann", Permission: "write"}, true, ""},
		{"maintainer", nil, Person{Login: "ann", Permission: "maintain"}, true, ""},
		{"admin", nil, Person{Login: "ann", Permission: "admin"}, true, ""},
		{"reader", nil, Person{Login: "bob", Permission: "read"}, false, "@bob may not promote into prod: that needs write permission on the config repository (they have read)"},
		{"triage", nil, Person{Login: "bob", Permission: "triage"}, false, "(they have triage)"},
		{"stranger", nil, Person{Login: "eve"}, false, "(they have none)"},
		{"listed login", []string{"octocat", "@acme/release"}, Person{Login: "OctoCat", Permission: "read"}, true, ""},
		{"team member", []string{"octocat", "@acme/release"}, Person{Login: "ann", Permission: "write", MemberOf: teams("acme/release")}, true, ""},
		{"writer but not an approver", []string{"octocat", "@acme/release"}, Person{Login: "ann", Permission: "admin", MemberOf: teams("acme/dev")}, false, "only octocat, @acme/release may"},
	}
	for _, tt := range tests {
		v := Allowed("prod", tt.approvers, tt.p)
		if v.OK != tt.ok || !strings.Contains(v.Reason, tt.reason) {
			t.Errorf("%s: got %+v, want ok=%v ~%q", tt.name, v, tt.ok, tt.reason)
		}
	}
}

func TestNotHeld(t *testing.T) {
	if v := NotHeld("web", "prod", nil); !v.OK {
		t.Fatal("no hold refused")
	}
	v := NotHeld("web", "prod", &Hold{By: "ann", Reason: "incident 42"})
	if v.OK || v.Reason != "web is held in prod by @ann: incident 42; release it with `/release web prod` first" {
		t.Fatalf("hold: %+v", v)
	}
	v = NotHeld("web", "prod", &Hold{By: "ann", Rollback: true})
	if v.OK || !strings.Contains(v.Reason, "by @ann after a rollback;") {
		t.Fatalf("rollback hold: %+v", v)
	}
}

func TestSoaked(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		soak     time.Duration
		mergedAt time.Time
		ok       bool
		wait     time.Duration
		reason   string
	}{
		{"no soak", 0, time.Time{}, true, 0, ""},
		{"soaked", 30 * time.Minute, now.Add(-31 * time.Minute), true, 0, ""},
		{"exactly soaked", 30 * time.Minute, now.Add(-30 * time.Minute), true, 0, ""},
		{"too early", 30 * time.Minute, now.Add(-18 * time.Minute), false, 12 * time.Minute, "prod requires the image to soak 30m0s in preprod; it has run there 18m0s, so 12m0s is left"},
		{"unknown merge time fails closed", 30 * time.Minute, time.Time{}, false, 0, "cannot tell when"},
	}
	for _, tt := range tests {
		v := Soaked("preprod", "prod", tt.soak, tt.mergedAt, now)
		if v.OK != tt.ok || v.Wait != tt.wait || !strings.Contains(v.Reason, tt.reason) {
			t.Errorf("%s: got %+v", tt.name, v)
		}
	}
}

type fakeAccess struct {
	perms   map[string]string
	teams   map[string]bool // "org/team/login"
	teamErr error
}

func (f fakeAccess) Permission(ctx context.Context, login string) (string, error) {
	return f.perms[login], nil
}

func (f fakeAccess) TeamMember(ctx context.Context, org, team, login string) (bool, error) {
	return f.teams[org+"/"+team+"/"+login], f.teamErr
}

func TestCheck(t *testing.T) {
	a := fakeAccess{perms: map[string]string{"ann": "write"}, teams: map[string]bool{"acme/release/rel": true}}
	ctx := context.Background()
	if v, err := Check(ctx, a, "prod", nil, "ann"); err != nil || !v.OK {
		t.Fatalf("writer: %+v %v", v, err)
	}
	if v, err := Check(ctx, a, "prod", []string{"@acme/release"}, "rel"); err != nil || !v.OK {
		t.Fatalf("team approver: %+v %v", v, err)
	}
	if v, err := Check(ctx, a, "prod", []string{"@acme/release"}, "ann"); err != nil || v.OK {
		t.Fatalf("writer who is no approver: %+v %v", v, err)
	}
	a.teamErr = errors.New("GitHub 502")
	if _, err := Check(ctx, a, "prod", []string{"@acme/release"}, "ann"); err == nil {
		t.Fatal("a failed team lookup must be an error, not a refusal")
	}
}
