package githubapp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Permission is login's permission on the config repository: "admin",
// "maintain", "write", "triage", "read" or "none". Someone GitHub does not
// count as a collaborator (404) is "none". Any other failure is an error,
// and the caller must treat the person as allowed nothing.
func (c *Client) Permission(ctx context.Context, login string) (string, error) {
	op := fmt.Sprintf("read %s's permission", login)
	if login == "" {
		return "", fmt.Errorf("%s: empty login", op)
	}
	// Not Repositories.GetPermissionLevel: in go-github v60 it drops
	// role_name, and only role_name tells maintain from write and triage
	// from read.
	req, err := c.gh.NewRequest(http.MethodGet,
		fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", c.owner, c.name, url.PathEscape(login)), nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	var body struct {
		Permission string `json:"permission"`
		RoleName   string `json:"role_name"`
	}
	if _, err := c.gh.Do(ctx, req, &body); err != nil {
		if statusOf(err) == http.StatusNotFound {
			return "none", nil
		}
		return "", wrap(op, err, nil)
	}
	return permission(body.Permission, body.RoleName), nil
}

// permission reads GitHub's answer: the role when it is one of the five
// built-in ones, else (a custom role) the base permission it builds on.
// Anything unknown is "none": fail closed.
func permission(base, role string) string {
	switch role {
	case "admin", "maintain", "write", "triage", "read":
		return role
	}
	switch base {
	case "admin", "write", "read":
		return base
	}
	return "none"
}

// TeamMember reports whether login is an active member of team (its slug)
// in org. A pending invitation is not membership, and neither is a 404,
// which GitHub also answers for a team the App cannot see. Reading
// membership needs the App's "Members: read" organization permission.
func (c *Client) TeamMember(ctx context.Context, org, team, login string) (bool, error) {
	op := fmt.Sprintf("read %s's membership of %s/%s", login, org, team)
	if org == "" || team == "" || login == "" {
		return false, fmt.Errorf("%s: org, team and login are all needed", op)
	}
	m, _, err := c.gh.Teams.GetTeamMembershipBySlug(ctx, url.PathEscape(org), url.PathEscape(team), url.PathEscape(login))
	if err != nil {
		if statusOf(err) == http.StatusNotFound {
			return false, nil
		}
		return false, wrap(op, err, nil)
	}
	return m.GetState() == "active", nil
}
