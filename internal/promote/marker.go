package promote

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Marker is the machine-readable record of a promotion, hidden in the pull
// request body as an HTML comment, so that later events (a merge, a check, a
// comment) can recognise the promotion from the pull request alone.
type Marker struct {
	App    string `json:"app,omitempty"`
	Stage  string `json:"stage"`
	Image  string `json:"image,omitempty"`
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest,omitempty"`
	// From is the stage the image was promoted from; empty for a push.
	From string `json:"from,omitempty"`
	// Rollback marks a PR that restores an earlier image: a person merges
	// it, whatever the stage's mode.
	Rollback bool `json:"rollback,omitempty"`
	// PushedAt is when the registry said the image was pushed, for a push:
	// a later push of another tag replaces it only if it is newer.
	PushedAt time.Time `json:"pushed_at,omitzero"`
	// Group marks a group's PR, which moves every app of Apps (App, Image,
	// Tag and Digest are empty then).
	Group string      `json:"group,omitempty"`
	Apps  []MemberPin `json:"apps,omitempty"`
}

// MemberPin is what a group's PR proposes for one of its apps.
type MemberPin struct {
	App      string    `json:"app"`
	Image    string    `json:"image"`
	Tag      string    `json:"tag"`
	Digest   string    `json:"digest"`
	From     string    `json:"from,omitempty"`
	PushedAt time.Time `json:"pushed_at,omitzero"`
}

// Name is what the PR is about: its group, or its app. Its branch is
// Branch(Name, Stage).
func (m Marker) Name() string {
	if m.Group != "" {
		return m.Group
	}
	return m.App
}

// want is what the marked PR proposes.
func (m Marker) want() Want {
	return Want{Image: m.Image, Tag: m.Tag, Digest: m.Digest, From: m.From, PushedAt: m.PushedAt}
}

func (m MemberPin) want() Want {
	return Want{Image: m.Image, Tag: m.Tag, Digest: m.Digest, From: m.From, PushedAt: m.PushedAt}
}

const (
	markerOpen  = "<!-- stagehand:v1 "
	markerClose = " -->"
)

// String renders the marker as the HTML comment that goes into a PR body.
func (m Marker) String() string {
	b, err := json.Marshal(m)
	if err != nil { // a struct of strings always marshals
		panic(err)
	}
	return markerOpen + string(b) + markerClose
}

// ParseMarker finds the marker in a pull request body. ok is false when the
// body has none, which means the PR is not stagehand's.
func ParseMarker(body string) (m Marker, ok bool, err error) {
	i := strings.Index(body, markerOpen)
	if i < 0 {
		return Marker{}, false, nil
	}
	rest := body[i+len(markerOpen):]
	j := strings.Index(rest, markerClose)
	if j < 0 {
		return Marker{}, false, fmt.Errorf("stagehand marker is not closed")
	}
	if err := json.Unmarshal([]byte(rest[:j]), &m); err != nil {
		return Marker{}, false, fmt.Errorf("stagehand marker: %w", err)
	}
	if m.Group != "" {
		if m.Stage == "" || len(m.Apps) == 0 || slices.ContainsFunc(m.Apps, func(p MemberPin) bool { return p.App == "" || p.Digest == "" }) {
			return Marker{}, false, fmt.Errorf("stagehand marker of group %s lacks its stage, or an app or digest", m.Group)
		}
		return m, true, nil
	}
	if m.App == "" || m.Stage == "" || m.Digest == "" {
		return Marker{}, false, fmt.Errorf("stagehand marker lacks app, stage or digest")
	}
	return m, true, nil
}

// Branch is the one branch, and so the one living pull request, that an app
// and stage ever have.
func Branch(app, stage string) string { return "stagehand/" + app + "/" + stage }

// ParseBranch reads stagehand/<app>/<stage>.
func ParseBranch(b string) (app, stage string, ok bool) {
	rest, ok := strings.CutPrefix(b, "stagehand/")
	if !ok {
		return "", "", false
	}
	app, stage, ok = strings.Cut(rest, "/")
	return app, stage, ok && app != "" && stage != "" && !strings.Contains(stage, "/")
}

// Labels are put on every stagehand pull request of an app.
func Labels(app, stage string) []string {
	return []string{"stagehand", "stage/" + stage, "app/" + app}
}

// GroupLabels are put on every pull request of a group: one label for the
// group rather than one per app, since GitHub allows 100 labels a PR.
func GroupLabels(group, stage string) []string {
	return []string{"stagehand", "stage/" + stage, "group/" + group}
}
