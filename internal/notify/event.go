package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is what happened: the "kind" of an Event, and the names a receiver's
// events: list takes.
type Kind string

// The kinds of events. Adding one is a constant here, in Kinds, a line in
// slackLine and one call where the engine decides it (promote's events.go).
const (
	Opened       Kind = "opened"        // a promotion PR was opened, or updated to a newer image
	Merged       Kind = "merged"        // a promotion PR was merged, by stagehand or a person
	Refused      Kind = "refused"       // a rule said no (a hold, permission, approvers, soak, a tag-only source)
	Held         Kind = "held"          // a stage was held
	Released     Kind = "released"      // a stage's hold was lifted
	RolledBack   Kind = "rolled-back"   // a rollback PR was opened (the stage is held until released)
	VerifyFailed Kind = "verify-failed" // the image did not verify after it was merged into a stage
)

// Kinds are every kind, in the order the README lists them.
func Kinds() []Kind {
	return []Kind{Opened, Merged, Refused, Held, Released, RolledBack, VerifyFailed}
}

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); slices.Contains(Kinds(), k) {
		return k, nil
	}
	names := make([]string, 0, len(Kinds()))
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("%q is not an event; the events are %s", s, strings.Join(names, ", "))
}

// SchemaVersion is the version of the JSON event. Fields may be added
// within a version; a field is never removed, renamed or given another
// meaning without a new version.
const SchemaVersion = 1

// Event is one event, as the JSON format sends it (schema version 1).
// Every field is always present; a string that does not apply is "", and
// pr is null when there is no pull request.
type Event struct {
	Version int       `json:"version"` // SchemaVersion
	ID      string    `json:"id"`      // unique per event; also X-Stagehand-Event-Id
	Kind    Kind      `json:"kind"`
	Repo    string    `json:"repo"`  // the config repository, owner/name
	App     string    `json:"app"`   // the app
	Group   string    `json:"group"` // the group the app moved with, or ""
	Stage   string    `json:"stage"` // the stage it concerns
	Tag     string    `json:"tag"`   // the image's tag ("" for a hold or release)
	Digest  string    `json:"digest"`
	PR      *PR       `json:"pr"`
	Actor   string    `json:"actor"`  // a GitHub login, "link" or "stagehand"
	Source  string    `json:"source"` // how it started: push, comment, link, cli, chain, soak, release, checks, reconcile, merge
	Reason  string    `json:"reason"` // why, for a refusal, a hold or a failed verification
	At      time.Time `json:"at"`
}

// PR is the pull request an event concerns.
type PR struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
}

// maxReason bounds an event's reason, so that one body stays small
// whatever a hold's reason or a refusal says.
const maxReason = 1000

// ShortDigest is the first 12 hex digits of a digest, as people read one.
func ShortDigest(d string) string {
	_, hex, ok := strings.Cut(d, ":")
	if !ok {
		hex = d
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
