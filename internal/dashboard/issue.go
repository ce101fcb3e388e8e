package dashboard

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// The promotions issue is the dashboard's matrix in Markdown, kept in the
// config repository: the same rows and states as the page (rows), so the
// two never disagree, and a checkbox per promotion that would move
// something. Ticking one is a /promote by whoever ticked it (Ticked).

// IssueMarker starts the body of stagehand's promotions issue: the issue
// is found by it (and its label), never by its title.
const IssueMarker = "<!-- stagehand:promotions-issue -->"

// IssueTitle is the promotions issue's title when stagehand opens it.
const IssueTitle = "stagehand: promotions"

// IssueBody renders the promotions issue for board b; recent are the
// newest actions, newest first (for "refused last push"); repoURL is the
// config repository's web URL, for links to PRs and commits.
func IssueBody(b promote.Board, recent []store.Action, repoURL string) string {
	h := &Handler{opts: Options{RepoURL: strings.TrimRight(repoURL, "/")}}
	pg := h.base(b, viewer{})
	var sb strings.Builder
	sb.WriteString(IssueMarker + "\n")
	sb.WriteString("Every app in every stage, as `" + md(b.BaseName) + "` pins them")
	if pg.BaseSHA != "" {
		if pg.BaseURL != "" {
			fmt.Fprintf(&sb, " at [`%s`](%s)", pg.BaseSHA, pg.BaseURL)
		} else {
			fmt.Fprintf(&sb, " at `%s`", pg.BaseSHA)
		}
	}
	sb.WriteString(". stagehand keeps this issue current: tick a box to promote (it is a `/promote` by you, by the same rules, answered here); other edits of this text are undone.\n\n")
	if pg.Problem != "" {
		sb.WriteString("> stagehand cannot read its configuration: " + md(pg.Problem) + "\n")
		return sb.String()
	}
	var reasons reasonList
	rows := h.rows(b, recent, &reasons, "")
	if len(rows) == 0 {
		sb.WriteString("No apps yet.\n")
		return sb.String()
	}
	sb.WriteString("| app |")
	for _, st := range pg.Stages {
		sb.WriteString(" " + md(st) + " |")
	}
	sb.WriteString("\n| --- |" + strings.Repeat(" --- |", len(pg.Stages)) + "\n")
	for _, r := range rows {
		sb.WriteString("| **" + md(r.App) + "** |")
		for _, c := range r.Cells {
			sb.WriteString(" " + h.issueCell(c) + " |")
		}
		sb.WriteString("\n")
	}
	var boxes []string
	for _, r := range rows {
		byStage := make(map[string]cell, len(r.Cells))
		for _, c := range r.Cells {
			byStage[c.Stage] = c
		}
		for _, c := range r.Cells {
			if !c.Behind {
				continue
			}
			line := fmt.Sprintf("- [ ] promote %s %s (%s) to %s", md(r.App), md(c.MovesTag), md(shortDigest(c.MovesDigest)), md(c.Stage))
			// What keeps it back is in the stage it would move from, which
			// with after: need not be the column to its left.
			if why := whyNot(byStage[c.From], c); why != "" {
				line += " — " + why
			}
			boxes = append(boxes, line+" "+boxID(r.App, c.Stage))
		}
	}
	sb.WriteString("\n### Promotions\n\n")
	if len(boxes) == 0 {
		sb.WriteString("Nothing to promote: every stage runs what the stage before it runs.\n")
	} else {
		sb.WriteString(strings.Join(boxes, "\n") + "\n")
	}
	return sb.String()
}

// issueCell is a cell of the matrix in Markdown: tag and short digest,
// since when and by which PR, and its states, in absolute times: the issue
// is edited when the board changes, not as time passes.
func (h *Handler) issueCell(c cell) string {
	if c.Problem != "" {
		return "⚠ " + md(c.Problem)
	}
	if c.Tag == "" && c.Digest == "" {
		return "—"
	}
	parts := []string{"`" + md(c.Tag) + "`"}
	if c.Short != "" {
		parts[0] += " `" + md(c.Short) + "`"
	}
	if c.Since != "" {
		s := "since " + c.SinceISO[:len("2006-01-02")]
		if c.PR > 0 && c.PRURL != "" {
			s += fmt.Sprintf(" ([#%d](%s))", c.PR, c.PRURL)
		}
		parts = append(parts, s)
	}
	for _, st := range c.States {
		s := "**" + md(st.Label) + "**"
		if d := cmp.Or(st.Fixed, st.Detail); d != "" {
			s += " " + md(noMention(d))
		}
		if st.Link != "" {
			s = "[" + s + "](" + st.Link + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "<br>")
}

// whyNot says what stands in the way of a promotion from src into dst
// that anyone may read: dst held or frozen, src not (yet) healthy or
// soaking. Who may promote is decided when the box is ticked, for the
// person who ticked it.
func whyNot(src, dst cell) string {
	var out []string
	for _, st := range dst.States {
		switch st.Class {
		case "held", "frozen":
			out = append(out, md(st.Label))
		}
	}
	for _, st := range src.States {
		switch st.Class {
		case "verifying", "unhealthy", "soak":
			out = append(out, md(src.Stage+" "+st.Label))
		}
	}
	return strings.Join(out, ", ")
}

// boxID is the hidden name of a promotion's checkbox: app and stage.
func boxID(app, stage string) string {
	return "<!-- stagehand:promote " + app + " " + stage + " -->"
}

// md makes text safe inside a Markdown table cell: no pipe, no line
// break, no HTML (a hold's reason cannot forge a checkbox or a comment).
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// noMention keeps "by @login" from notifying login on every edit.
func noMention(s string) string { return strings.ReplaceAll(s, "@", "@\u200b") }

// Box is a promotion's checkbox in the promotions issue.
type Box struct {
	App, Stage string
}

// boxLine matches a checkbox line stagehand wrote: its state and hidden id.
var boxLine = regexp.MustCompile(`^\s*[-*] \[([ xX])\] .*<!-- stagehand:promote ([a-z0-9][a-z0-9-]{0,62}) ([a-z0-9][a-z0-9-]{0,62}) -->\s*$`)

// Ticked returns the boxes ticked between from and body: unticked in
// from, ticked in body, in body's order, each once. A box that was not in
// from (someone wrote one) ticks nothing.
func Ticked(from, body string) []Box {
	before := boxes(from)
	var out []Box
	seen := map[Box]bool{}
	for _, line := range strings.Split(body, "\n") {
		m := boxLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil || m[1] == " " {
			continue
		}
		b := Box{App: m[2], Stage: m[3]}
		if ticked, was := before[b]; was && !ticked && !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	return out
}

// boxes are the boxes of body and whether each is ticked; a box twice is
// ticked when any of its lines is.
func boxes(body string) map[Box]bool {
	out := map[Box]bool{}
	for _, line := range strings.Split(body, "\n") {
		m := boxLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		b := Box{App: m[2], Stage: m[3]}
		out[b] = out[b] || m[1] != " "
	}
	return out
}
