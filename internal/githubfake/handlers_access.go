package githubfake

import (
	"context"
	"fmt"
	"strings"
)

// roles are the repository roles GitHub has besides custom ones, from most
// to least access.
var roles = []string{"admin", "maintain", "write", "triage", "read"}

// basePermission is the legacy permission GitHub reports beside a role:
// maintain reads as write, triage as read.
func basePermission(role string) string {
	switch role {
	case "maintain":
		return "write"
	case "triage":
		return "read"
	}
	return role
}

// collaboratorJSON renders a "collaborator": a simple user with the
// permissions its role grants.
func (s *Server) collaboratorJSON(cb collaborator) map[string]any {
	out := s.user(cb.Login)
	rank := len(roles)
	for i, r := range roles {
		if r == cb.Role {
			rank = i
		}
	}
	// Each role includes every one below it.
	out["permissions"] = map[string]any{
		"admin":    rank <= 0,
		"maintain": rank <= 1,
		"push":     rank <= 2,
		"triage":   rank <= 3,
		"pull":     rank <= 4,
	}
	out["role_name"] = cb.Role
	return out
}

// getCollaboratorPermission answers for people SetPermission named; anyone
// else is a 404, as GitHub answers for a login that is not a collaborator.
func (s *Server) getCollaboratorPermission(ctx context.Context, c *call) reply {
	cb, found := s.collabs[strings.ToLower(c.params["username"])]
	if !found {
		return notFound()
	}
	return ok(map[string]any{
		"permission": basePermission(cb.Role),
		"role_name":  cb.Role,
		"user":       s.collaboratorJSON(cb),
	})
}

// getTeamMembership answers for memberships AddTeamMember and
// InviteTeamMember made; anything else is a 404, as GitHub answers for a
// login without membership (or a team the App cannot see).
func (s *Server) getTeamMembership(ctx context.Context, c *call) reply {
	org, team, login := c.params["org"], c.params["team_slug"], c.params["username"]
	state, found := s.teams[teamKey{strings.ToLower(org), strings.ToLower(team), strings.ToLower(login)}]
	if !found {
		return notFound()
	}
	return ok(map[string]any{
		"url":   fmt.Sprintf("%s/teams/%d/memberships/%s", s.api(), stableID("team", org+"/"+team), pathEscape(login)),
		"role":  "member",
		"state": state,
	})
}
