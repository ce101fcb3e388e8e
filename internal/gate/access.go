package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Access is what GitHub says about a person: their permission on the
// config repository and their team memberships.
type Access interface {
	Permission(ctx context.Context, login string) (string, error)
	TeamMember(ctx context.Context, org, team, login string) (bool, error)
}

// Check asks GitHub about login and decides with Allowed whether they may
// promote into stage. Team memberships are looked up only as far as needed;
// a lookup that failed where it could have allowed is an error, not a no.
func Check(ctx context.Context, a Access, stage string, approvers []string, login string) (Verdict, error) {
	perm, err := a.Permission(ctx, login)
	if err != nil {
		return Verdict{}, fmt.Errorf("read @%s's permission: %w", login, err)
	}
	var teamErr error
	p := Person{Login: login, Permission: perm, MemberOf: func(slug string) bool {
		org, team, ok := strings.Cut(slug, "/")
		if !ok {
			return false
		}
		member, err := a.TeamMember(ctx, org, team, login)
		teamErr = errors.Join(teamErr, err)
		return member
	}}
	v := Allowed(stage, approvers, p)
	if !v.OK && teamErr != nil {
		return Verdict{}, fmt.Errorf("read team membership of @%s: %w", login, teamErr)
	}
	return v, nil
}
