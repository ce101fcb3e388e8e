// Package gate decides whether a promotion into a stage may happen now: who
// may promote there, whether the stage is held, and whether the image has
// soaked long enough in the stage before. It is pure: callers look up
// permissions, holds and merge times, and gate says yes or why not, in
// words a person can act on.
package gate

import (
	"fmt"
	"strings"
	"time"
)

// Verdict is a gate's answer: OK, or Reason says why not.
type Verdict struct {
	OK     bool
	Reason string
	// Wait is how long until the answer may change (soak time left).
	Wait time.Duration
}

func pass() Verdict { return Verdict{OK: true} }

func fail(format string, args ...any) Verdict {
	return Verdict{Reason: fmt.Sprintf(format, args...)}
}

// Person is who asks to promote, as GitHub knows them.
type Person struct {
	Login string
	// Permission on the config repository: admin, maintain, write, triage,
	// read or none.
	Permission string
	// MemberOf reports membership of an "@org/team" slug; nil means none.
	MemberOf func(team string) bool
}

// CanWrite reports whether a permission lets a person change the repository.
func CanWrite(permission string) bool {
	switch permission {
	case "admin", "maintain", "write":
		return true
	}
	return false
}

// Allowed decides whether p may promote into stage. With no approvers
// configured, anyone with write permission may; otherwise only the listed
// logins (case does not matter, as on GitHub) and members of listed teams.
func Allowed(stage string, approvers []string, p Person) Verdict {
	return AllowedTo("promote into "+stage, stage, approvers, p)
}

// AllowedTo is Allowed for any act on stage, named by what ("hold prod",
// "roll back prod") in the refusal: the same people may promote into a
// stage, hold it, release it and roll it back.
func AllowedTo(what, stage string, approvers []string, p Person) Verdict {
	if len(approvers) == 0 {
		if CanWrite(p.Permission) {
			return pass()
		}
		return fail("@%s may not %s: that needs write permission on the config repository (they have %s)", p.Login, what, orNone(p.Permission))
	}
	for _, a := range approvers {
		if team, ok := strings.CutPrefix(a, "@"); ok {
			if p.MemberOf != nil && p.MemberOf(team) {
				return pass()
			}
			continue
		}
		if strings.EqualFold(a, p.Login) {
			return pass()
		}
	}
	return fail("@%s may not %s: only %s may (approvers of %s in .stagehand.yaml)", p.Login, what, strings.Join(approvers, ", "), stage)
}

// Hold is a stop placed on a stage.
type Hold struct {
	By, Reason string
	At         time.Time
	Rollback   bool
}

// NotHeld refuses any promotion, automatic or manual, into a held stage.
func NotHeld(app, stage string, h *Hold) Verdict {
	if h == nil {
		return pass()
	}
	why := ""
	if h.Reason != "" {
		why = ": " + h.Reason
	}
	if h.Rollback {
		why = " after a rollback" + why
	}
	return fail("%s is held in %s by @%s%s; release it with `/release %s %s` first", app, stage, h.By, why, app, stage)
}

// Soaked requires the image to have run in the previous stage for at least
// soak, counted from the merge that put it there.
func Soaked(from, to string, soak time.Duration, mergedAt, now time.Time) Verdict {
	if soak <= 0 {
		return pass()
	}
	if mergedAt.IsZero() {
		return fail("%s requires a soak of %s in %s, and stagehand cannot tell when this image reached %s", to, soak, from, from)
	}
	ran := now.Sub(mergedAt)
	if ran >= soak {
		return pass()
	}
	left := (soak - ran).Round(time.Second)
	v := fail("%s requires the image to soak %s in %s; it has run there %s, so %s is left", to, soak, from, ran.Round(time.Second), left)
	v.Wait = left
	return v
}

func orNone(p string) string {
	if p == "" {
		return "none"
	}
	return p
}
