// Package appmanifest is what stagehand needs of its GitHub App, said once:
// the permissions and webhook events, and the manifest that registers an
// App with exactly those through GitHub's manifest flow (`stagehand
// setup`). The README's list for registering the App by hand is checked
// against it by a test, so the two cannot drift.
package appmanifest

import (
	"encoding/json"
	"slices"
)

// Permission is one permission the App asks for.
type Permission struct {
	Key    string // as GitHub's API and manifests name it: "pull_requests"
	Access string // "read" or "write"
	Label  string // as GitHub's settings page (and the README) names it: "Pull requests"
	Why    string // what stagehand does with it
}

// Event is one webhook event the App subscribes to.
type Event struct {
	Key   string // as GitHub's API and manifests name it: "issue_comment"
	Label string // as GitHub's settings page (and the README) names it: "Issue comment"
}

// permissions, in the order the README lists them. Packages and Members
// are needed only for GHCR pushes and for approvers that name teams; they
// are asked for anyway, since adding a permission later means every
// installation must accept it again.
var permissions = []Permission{
	{"contents", "write", "Contents", "commits and branches of the config repository"},
	{"pull_requests", "write", "Pull requests", "open, update and merge the promotion PRs"},
	{"issues", "write", "Issues", "labels, comments and reactions, the promotions issue"},
	{"statuses", "read", "Commit statuses", "read the checks a PR's head must pass before an auto-merge, and the health gates' verify statuses"},
	{"deployments", "write", "Deployments", "a GitHub deployment per stage and merge, moved as its health gate moves"},
	{"checks", "write", "Checks", "the stagehand/config check run; read check runs before an auto-merge"},
	{"administration", "read", "Administration", "see the base branch's required status checks"},
	{"metadata", "read", "Metadata", "read the repository"},
	{"packages", "read", "Packages", "GHCR pushes"},
	{"members", "read", "Members", "approvers that name teams"},
}

// events, in the order the README lists them.
var events = []Event{
	{"pull_request", "Pull request"},
	{"check_suite", "Check suite"},
	{"check_run", "Check run"},
	{"status", "Status"},
	{"pull_request_review", "Pull request review"},
	{"issue_comment", "Issue comment"},
	{"issues", "Issues"},
	{"push", "Push"},
	{"registry_package", "Registry package"},
	{"package", "Package"},
}

// Permissions are the permissions stagehand needs.
func Permissions() []Permission { return slices.Clone(permissions) }

// Events are the webhook events stagehand acts on.
func Events() []Event { return slices.Clone(events) }

// Manifest is a GitHub App manifest, as GitHub's manifest flow reads it.
type Manifest struct {
	Name                  string            `json:"name"`
	URL                   string            `json:"url"`
	Description           string            `json:"description,omitempty"`
	HookAttributes        HookAttributes    `json:"hook_attributes"`
	RedirectURL           string            `json:"redirect_url"`
	CallbackURLs          []string          `json:"callback_urls,omitempty"`
	Public                bool              `json:"public"`
	RequestOAuthOnInstall bool              `json:"request_oauth_on_install"`
	DefaultEvents         []string          `json:"default_events"`
	DefaultPermissions    map[string]string `json:"default_permissions"`
}

// HookAttributes is the App's webhook.
type HookAttributes struct {
	URL    string `json:"url"`
	Active bool   `json:"active"`
}

// Options are what differs from one stagehand to the next.
type Options struct {
	Name        string // the App's name, unique on GitHub
	HomeURL     string // the App's homepage
	WebhookURL  string // where GitHub delivers the App's events
	RedirectURL string // where GitHub sends the browser back with the code
	// CallbackURL is where GitHub sends people back after signing in
	// (link pages); "" for none.
	CallbackURL string
}

// New is the manifest of a private App with stagehand's permissions and
// events.
func New(o Options) Manifest {
	m := Manifest{
		Name:               o.Name,
		URL:                o.HomeURL,
		Description:        "Moves container images through the stages of a GitOps config repository by pull request.",
		HookAttributes:     HookAttributes{URL: o.WebhookURL, Active: true},
		RedirectURL:        o.RedirectURL,
		Public:             false,
		DefaultPermissions: map[string]string{},
	}
	if o.CallbackURL != "" {
		m.CallbackURLs = []string{o.CallbackURL}
	}
	for _, p := range permissions {
		m.DefaultPermissions[p.Key] = p.Access
	}
	for _, e := range events {
		m.DefaultEvents = append(m.DefaultEvents, e.Key)
	}
	return m
}

// JSON is the manifest as the form posts it.
func (m Manifest) JSON() string {
	data, err := json.Marshal(m)
	if err != nil {
		panic(err) // strings, bools and a map of strings always encode
	}
	return string(data)
}
