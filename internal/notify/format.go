package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// Format is how a receiver wants events.
type Format string

const (
	// FormatJSON is the versioned Event, signed.
	FormatJSON Format = "json"
	// FormatSlack is a Slack incoming webhook's body: one readable line.
	FormatSlack Format = "slack"
)

// Headers of a delivery.
const (
	SignatureHeader = "X-Stagehand-Signature-256" // "sha256=" + hex HMAC-SHA256 of the body
	EventIDHeader   = "X-Stagehand-Event-Id"      // Event.ID: the same on every retry
	EventHeader     = "X-Stagehand-Event"         // Event.Kind
)

// Body is what format sends for ev.
func Body(format Format, ev Event) ([]byte, error) {
	ev.Version = SchemaVersion
	ev.Reason = clip(ev.Reason, maxReason)
	ev.At = ev.At.UTC()
	switch format {
	case FormatJSON:
		return json.Marshal(ev)
	case FormatSlack:
		return slackBody(ev)
	}
	return nil, fmt.Errorf("notify: unknown format %q", format)
}

// Sign is the value of SignatureHeader for body: "sha256=" and the hex
// HMAC-SHA256 of the body under secret, as GitHub signs its deliveries.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// slack is an incoming webhook's body: text for notifications and clients
// without blocks, and the same line as a section block, with the reason in
// a context block below it.
type slack struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func slackBody(ev Event) ([]byte, error) {
	s := slack{
		Text:   slackLine(ev, false),
		Blocks: []slackBlock{{Type: "section", Text: &slackText{Type: "mrkdwn", Text: slackLine(ev, true)}}},
	}
	if ev.Reason != "" {
		s.Blocks = append(s.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: slackEscape(ev.Reason)}}})
	}
	return json.Marshal(s)
}

// slackLine is the event in one line: app, tag and short digest, what
// happened in which stage, the PR and who. mrkdwn formats it with bold
// and a link; otherwise it is plain text with the PR's URL.
func slackLine(ev Event, mrkdwn bool) string {
	esc, bold, code := func(s string) string { return s }, func(s string) string { return s }, func(s string) string { return s }
	if mrkdwn {
		esc = slackEscape
		bold = func(s string) string { return "*" + slackEscape(s) + "*" }
		code = func(s string) string { return "`" + slackEscape(s) + "`" }
	}
	image := bold(ev.App)
	if ev.Tag != "" {
		image += " " + code(ev.Tag)
	}
	if ev.Digest != "" {
		image += " (" + esc(ShortDigest(ev.Digest)) + ")"
	}
	stage := bold(ev.Stage)
	var what string
	switch ev.Kind {
	case Opened:
		what = image + " proposed for " + stage
	case Merged:
		what = image + " merged into " + stage
	case Refused:
		what = image + " refused for " + stage
	case Held:
		what = stage + " held for " + bold(ev.App)
	case Released:
		what = stage + " released for " + bold(ev.App)
	case RolledBack:
		what = stage + " rolling back " + image
	case VerifyFailed:
		what = image + " failed verification in " + stage
	default:
		what = esc(string(ev.Kind)) + ": " + image + " in " + stage
	}
	if ev.Group != "" {
		what += " (group " + esc(ev.Group) + ")"
	}
	parts := []string{what}
	if ev.PR != nil {
		pr := fmt.Sprintf("PR #%d", ev.PR.Number)
		switch {
		case mrkdwn && ev.PR.URL != "":
			pr = "<" + slackEscape(ev.PR.URL) + "|" + pr + ">"
		case ev.PR.URL != "":
			pr += " " + ev.PR.URL
		}
		parts = append(parts, pr)
	}
	if ev.Actor != "" {
		parts = append(parts, "by "+esc(ev.Actor))
	}
	line := strings.Join(parts, " · ")
	if !mrkdwn {
		line = "stagehand: " + line
		if ev.Reason != "" {
			line += ": " + ev.Reason
		}
	}
	return line
}

// slackEscape escapes what Slack's mrkdwn reads as markup: &, < and >.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
