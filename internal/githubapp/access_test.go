package githubapp

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

func TestPermissionReadsRoleThenBase(t *testing.T) {
	for _, tc := range []struct{ base, role, want string }{
		{"admin", "admin", "admin"},
		{"write", "maintain", "maintain"},
		{"write", "write", "write"},
		{"read", "triage", "triage"},
		{"read", "read", "read"},
		{"write", "deployer", "write"}, // a custom role builds on a base
		{"read", "", "read"},
		{"none", "", "none"},
		{"owner", "", "none"}, // unknown: fail closed
		{"", "", "none"},
	} {
		if got := permission(tc.base, tc.role); got != tc.want {
			t.Errorf("permission(%q, %q) = %q, want %q", tc.base, tc.role, got, tc.want)
		}
	}
}

func TestAgainstFakePermission(t *testing.T) {
	ctx := context.Background()
	s, c := fakeClient(t)
	s.SetPermission("alice", "admin")
	s.SetPermission("Bob", "write")
	s.SetPermission("carol", "read")
	s.SetPermission("dave", "maintain")
	s.SetPermission("erin", "triage")
	s.SetPermission("frank", "write")
	s.SetPermission("frank", "none") // access taken away
	for login, want := range map[string]string{
		"alice": "admin", "bob": "write", "carol": "read", "dave": "maintain", "erin": "triage",
		"frank": "none", "mallory": "none",
	} {
		got, err := c.Permission(ctx, login)
		if err != nil || got != want {
			t.Errorf("Permission(%s) = %q, %v; want %q", login, got, err, want)
		}
	}
	if _, err := c.Permission(ctx, ""); err == nil {
		t.Error("Permission of an empty login: no error")
	}
	checkCallsAgree(t, s, c)
}

func TestPermissionFailsClosedOnOtherErrors(t *testing.T) {
	s := newStub(t)
	s.handle("GET /repos/acme/config/collaborators/alice/permission", reply(http.StatusForbidden,
		`{"message":"Resource not accessible by integration"}`))
	got, err := s.client(t).Permission(context.Background(), "alice")
	if err == nil || got != "" {
		t.Fatalf("Permission on 403 = %q, %v; want an error", got, err)
	}
	t.Logf("the caller sees: %v", err)
}

func TestAgainstFakeTeamMember(t *testing.T) {
	ctx := context.Background()
	s, c := fakeClient(t)
	s.AddTeamMember("acme", "releasers", "alice")
	s.InviteTeamMember("acme", "releasers", "bob")
	s.AddTeamMember("acme", "viewers", "carol")
	for _, tc := range []struct {
		org, team, login string
		want             bool
	}{
		{"acme", "releasers", "alice", true},
		{"ACME", "releasers", "Alice", true}, // GitHub ignores case
		{"acme", "releasers", "bob", false},  // invited, not yet a member
		{"acme", "releasers", "carol", false},
		{"acme", "releasers", "mallory", false},
		{"acme", "no-such-team", "alice", false},
		{"other", "releasers", "alice", false},
	} {
		got, err := c.TeamMember(ctx, tc.org, tc.team, tc.login)
		if err != nil || got != tc.want {
			t.Errorf("TeamMember(%s, %s, %s) = %v, %v; want %v", tc.org, tc.team, tc.login, got, err, tc.want)
		}
	}
	if _, err := c.TeamMember(ctx, "acme", "", "alice"); err == nil {
		t.Error("TeamMember without a team: no error")
	}
	checkCallsAgree(t, s, c)
}

func TestAgainstFakeReact(t *testing.T) {
	ctx := context.Background()
	s, c := fakeClient(t)
	n := s.OpenIssue("Promote web to prod?")
	id := s.AddComment(n, "alice", "/stagehand promote web prod")
	if id == 0 {
		t.Fatal("AddComment on an open issue returned no id")
	}
	if err := c.React(ctx, id, "eyes"); err != nil {
		t.Fatal(err)
	}
	if err := c.React(ctx, id, "+1"); err != nil {
		t.Fatal(err)
	}
	if err := c.React(ctx, id, "eyes"); err != nil {
		t.Errorf("the same reaction again: %v, want nil", err)
	}
	if got := s.Reactions(id); len(got) != 2 || got[0] != "eyes" || got[1] != "+1" {
		t.Errorf("Reactions = %q, want [eyes +1]", got)
	}
	if err := c.React(ctx, id+1000, "eyes"); !errors.Is(err, ErrNotFound) {
		t.Errorf("React on a missing comment: %v, want ErrNotFound", err)
	}
	checkCallsAgree(t, s, c)
}
