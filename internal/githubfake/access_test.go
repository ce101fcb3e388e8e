package githubfake

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"
)

// permissionAnswer is repos/get-collaborator-permission-level's body; go-github
// v60's type leaves out role_name.
type permissionAnswer struct {
	Permission string       `json:"permission"`
	RoleName   string       `json:"role_name"`
	User       *github.User `json:"user"`
}

func getPermission(t *testing.T, gh *github.Client, s *Server, login string) (permissionAnswer, int) {
	t.Helper()
	req, err := gh.NewRequest(http.MethodGet, "repos/"+s.Owner()+"/"+s.Repo()+"/collaborators/"+login+"/permission", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out permissionAnswer
	resp, err := gh.Do(context.Background(), req, &out)
	if resp == nil {
		t.Fatalf("permission of %s: %v", login, err)
	}
	return out, resp.StatusCode
}

func TestCollaboratorPermission(t *testing.T) {
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	for _, tc := range []struct {
		role, base     string
		push, maintain bool
	}{
		{"admin", "admin", true, true},
		{"maintain", "write", true, true},
		{"write", "write", true, false},
		{"triage", "read", false, false},
		{"read", "read", false, false},
	} {
		login := "user-" + tc.role
		s.SetPermission(login, tc.role)
		got, status := getPermission(t, gh, s, login)
		if status != http.StatusOK || got.Permission != tc.base || got.RoleName != tc.role || got.User.GetLogin() != login {
			t.Errorf("%s: %d %+v, want permission %s, role_name %s", tc.role, status, got, tc.base, tc.role)
			continue
		}
		if p := got.User.GetPermissions(); p["push"] != tc.push || p["maintain"] != tc.maintain || !p["pull"] {
			t.Errorf("%s: user.permissions %v", tc.role, p)
		}
	}

	if _, status := getPermission(t, gh, s, "mallory"); status != http.StatusNotFound {
		t.Errorf("a stranger: %d, want 404", status)
	}
	s.SetPermission("user-write", "none")
	if _, status := getPermission(t, gh, s, "user-write"); status != http.StatusNotFound {
		t.Errorf("access taken away: %d, want 404", status)
	}
	s.SetPermission("Carol", "write")
	if got, status := getPermission(t, gh, s, "carol"); status != http.StatusOK || got.User.GetLogin() != "Carol" {
		t.Errorf("logins ignore case: %d %+v", status, got)
	}
	defer func() {
		if recover() == nil {
			t.Error("SetPermission with an unknown permission did not panic")
		}
	}()
	s.SetPermission("dave", "owner")
}

func TestTeamMembership(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	s.AddTeamMember("acme", "releasers", "alice")
	s.InviteTeamMember("acme", "releasers", "bob")
	for _, tc := range []struct {
		org, team, login, state string // "" for 404
	}{
		{"acme", "releasers", "alice", "active"},
		{"Acme", "Releasers", "ALICE", "active"},
		{"acme", "releasers", "bob", "pending"},
		{"acme", "releasers", "carol", ""},
		{"acme", "viewers", "alice", ""},
		{"other", "releasers", "alice", ""},
	} {
		m, resp, err := gh.Teams.GetTeamMembershipBySlug(ctx, tc.org, tc.team, tc.login)
		switch {
		case tc.state == "" && (resp == nil || resp.StatusCode != http.StatusNotFound):
			t.Errorf("%s/%s %s: %v, want 404", tc.org, tc.team, tc.login, err)
		case tc.state != "" && (err != nil || m.GetState() != tc.state || m.GetRole() != "member" || m.GetURL() == ""):
			t.Errorf("%s/%s %s: %+v %v, want %s member", tc.org, tc.team, tc.login, m, err, tc.state)
		}
	}
	s.AddTeamMember("acme", "releasers", "bob") // the invitation accepted
	if m, _, err := gh.Teams.GetTeamMembershipBySlug(ctx, "acme", "releasers", "bob"); err != nil || m.GetState() != "active" {
		t.Errorf("bob after accepting: %+v %v", m, err)
	}
}
