package promote

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// Kind is what a request asks for.
type Kind string

const (
	// Push: an image was pushed; propose it for the app's first stage.
	Push Kind = "push"
	// Promote: move the image the previous stage pins into Stage.
	Promote Kind = "promote"
	// Chain: a stagehand PR into From was merged (or its next stage's soak
	// time is over); move what From pins now on to the next stage, Stage,
	// or to each stage after From when Stage is "" (Split).
	Chain Kind = "chain"
	// Rollback: restore an earlier image in Stage, and hold it.
	Rollback Kind = "rollback"
	// Hold and Release stop and restart promotions into Stage.
	Hold    Kind = "hold"
	Release Kind = "release"
	// Reconsider: the checks of Stage's open PR changed; bring it up to
	// date with the base branch and merge it where the stage auto-merges.
	Reconsider Kind = "reconsider"
)

// Source is the way in a request came by.
type Source string

const (
	FromRegistry  Source = "push"      // a registry's push notification
	FromReconcile Source = "reconcile" // stagehand found a push whose notification never came
	FromMerge     Source = "chain"     // a merged stagehand PR
	FromSoak      Source = "soak"      // a chain that waited for a soak time
	FromRelease   Source = "release"   // a promotion a hold stopped, proposed on release
	FromChecks    Source = "checks"    // checks or reviews changed on a PR
	FromComment   Source = "comment"   // a comment command on GitHub
	FromLink      Source = "link"      // a one-click link
	FromCLI       Source = "cli"       // stagehand promote
	FromDashboard Source = "dashboard" // a button on the dashboard, by a person signed in with GitHub
)

// automatic reports whether stagehand makes requests of this source on its
// own, with no person asking: they are not checked against approvers, and
// a hold that stops them keeps them for its release.
func (s Source) automatic() bool {
	switch s {
	case FromRegistry, FromReconcile, FromMerge, FromSoak, FromRelease, FromChecks, FromVerify:
		return true
	}
	return false
}

// Actor is who asks.
type Actor struct {
	// Login is the GitHub login of a person; "" for stagehand itself and
	// for whoever holds a link or the App's key without saying who they are.
	Login string `json:"login,omitempty"`
	// Bearer marks a one-click link without GitHub sign-in: it stands in
	// for write permission on the config repository, never for an approver.
	Bearer bool `json:"bearer,omitempty"`
}

// Name is how records and replies name the actor.
func (a Actor) Name(s Source) string {
	switch {
	case a.Login != "":
		return a.Login
	case s == FromLink:
		return "link"
	case s == FromCLI:
		return "cli"
	case s == FromDashboard:
		return "dashboard"
	}
	return "stagehand"
}

// Request is one way in, reduced to what it asks: every way a promotion
// starts (a push, a merge, a comment, a link, the CLI, a soak coming due,
// a release) builds one, and one function (Decide) plans it.
type Request struct {
	// ID names a request whose maker waits for its outcome (a link, the
	// CLI); "" otherwise.
	ID string `json:"id,omitempty"`
	// Repo is the config repository (owner/name) the request is for; ""
	// for the one stagehand serves when it serves one.
	Repo   string `json:"repo,omitempty"`
	Kind   Kind   `json:"kind"`
	Source Source `json:"source"`
	Actor  Actor  `json:"actor"`
	// App names the app, or the group, the request is about.
	App string `json:"app"`
	// Group is set on a group's request (App names the group then): one
	// that moves the group's members together (group.go). A request that
	// names a group, or promotes or chains a member, becomes one; a
	// member's push joins its group's window first (gather.go).
	Group string `json:"group,omitempty"`
	// Stage is the stage acted on: the target of a promotion, rollback,
	// hold or release. "" means the first stage for a push and the stages
	// after From for a chain (one request each, Split).
	Stage string `json:"stage,omitempty"`
	// From is the stage a chain moves on from, or the stage a link
	// promotes from.
	From string `json:"from,omitempty"`
	// Image and Tag are what was pushed; Digest is what the registry
	// resolved the tag to (a push), or the exact image a link promotes.
	Image    string    `json:"image,omitempty"`
	Tag      string    `json:"tag,omitempty"`
	Digest   string    `json:"digest,omitempty"`
	PushedAt time.Time `json:"pushed_at,omitzero"`
	// Target is what a rollback restores: a tag, a digest or a commit; ""
	// for the previous image.
	Target string `json:"target,omitempty"`
	// Reason is why a person holds a stage.
	Reason string `json:"reason,omitempty"`
	// Issue is the issue or pull request a comment came from, or the PR
	// whose merge a chain follows: where stagehand answers.
	Issue int `json:"issue,omitempty"`
	// LinkID is a one-click link's nonce: the link is spent when its
	// promotion is applied or refused by a rule.
	LinkID string `json:"link_id,omitempty"`
	// SHA is, for a Verify, the commit whose statuses changed, if known.
	SHA string `json:"sha,omitempty"`
	// All is a person's `/promote <app> to all` on a stagehand PR into
	// From: promote to every stage after From, one request each (Split).
	All bool `json:"all,omitempty"`
	// Force is a person's `/promote --force`: promote inside the target
	// stage's freeze window. Those who may promote into the stage (its
	// approvers, where it names them) may force; it is recorded as forced.
	Force bool `json:"force,omitempty"`
}

// NewID is a fresh request id.
func NewID() string { return rand.Text() }

// Encode and DecodeRequest carry a request through the queue.
func (r Request) Encode() ([]byte, error) { return json.Marshal(r) }

// DecodeRequest reads what Encode wrote.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if err := json.Unmarshal(b, &r); err != nil {
		return Request{}, fmt.Errorf("request: %w", err)
	}
	if r.Kind == "" || r.App == "" {
		return Request{}, fmt.Errorf("request: kind and app are required")
	}
	return r, nil
}

// Key names the one stage a request writes to, as the queue serialises
// writers: app/stage.
func Key(app, stage string) string { return app + "/" + stage }
