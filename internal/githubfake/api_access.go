package githubfake

import (
	"fmt"
	"slices"
	"strings"
)

// SetPermission makes login a collaborator on the repository with
// permission admin, maintain, write, triage or read; "none" (or "") takes
// the access away. Anyone never given access is not a collaborator: the
// permission endpoint answers 404 for them, as GitHub does. Any other
// permission is a mistake in the test and panics.
func (s *Server) SetPermission(login, permission string) {
	if permission != "" && permission != "none" && !slices.Contains(roles, permission) {
		panic(fmt.Sprintf("githubfake: SetPermission(%q, %q): want one of %v or none", login, permission, roles))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(login)
	if permission == "" || permission == "none" {
		delete(s.collabs, key)
		return
	}
	s.collabs[key] = collaborator{Login: login, Role: permission}
}

// AddTeamMember makes login an active member of team (its slug) in org.
func (s *Server) AddTeamMember(org, team, login string) {
	s.setTeamMembership(org, team, login, "active")
}

// InviteTeamMember invites login to team in org: the membership is
// pending until accepted, which AddTeamMember stands for.
func (s *Server) InviteTeamMember(org, team, login string) {
	s.setTeamMembership(org, team, login, "pending")
}

func (s *Server) setTeamMembership(org, team, login, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teams[teamKey{strings.ToLower(org), strings.ToLower(team), strings.ToLower(login)}] = state
}
