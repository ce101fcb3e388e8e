package server

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/link"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// linkPage is everything a link's page shows; empty fields are left out.
type linkPage struct {
	Title, Message string
	Move           *move
	Gates          []gateLine
	CSRF           string // set: the page offers to confirm
	SignIn         string // set: the page offers to sign in with GitHub here
	Login          string // the signed-in person, with sign-in on
	SignInOn       bool   // GitHub sign-in is configured
	PR             int
	PRURL          string
}

// move is what a link promotes.
type move struct {
	App, From, To             string
	Known                     bool // the to stage's pin was read
	Found                     bool // the to stage pins the app's image
	CurrentTag, CurrentDigest string
	NewTag, NewDigest         string
	Expires                   string
	Done                      bool // the promotion was made: "current" is what was there before
}

func moveFor(c link.Claims, st linkState) *move {
	if c.App == "" {
		return nil
	}
	m := &move{App: c.App, From: c.From, To: c.To, NewTag: st.newTag(c), NewDigest: c.Digest, Expires: c.Expires.Format(time.RFC1123)}
	m.Known = st.base != "" && st.problem == ""
	m.Found, m.CurrentTag, m.CurrentDigest = st.current.Found, st.current.Tag, st.current.Digest
	return m
}

// linkPageFor is the page of a link before it is confirmed.
func linkPageFor(c link.Claims, st linkState, v linkVerdict) linkPage {
	p := linkPage{Move: moveFor(c, st), Gates: v.gates, Login: st.auth.login}
	switch v.kind {
	case linkReady:
		p.Title = fmt.Sprintf("Promote %s to %s?", c.App, c.To)
		p.Message = "Nothing has changed yet. " + confirmDoes(st.target, st.base) + " Confirm below; the link then is used up."
	case linkNothing:
		p.Title, p.Message = "Nothing to promote", v.reason+"."
	case linkSignIn:
		p.Title, p.Message = "Sign in to promote", v.reason+". Nothing has changed yet."
	case linkChanged, linkSuperseded:
		p.Title, p.Message = "This link no longer applies", v.reason+". Nothing was changed."
	default:
		p.Title, p.Message = "This link cannot promote now", v.reason+". Nothing was changed, and the link stays unused until it expires."
	}
	return p
}

// confirmDoes says what confirming leads to in the target stage's mode.
func confirmDoes(target config.Stage, base string) string {
	if target.Mode == config.AutoMerge {
		return fmt.Sprintf("Confirming opens the pull request for %s and merges it as soon as %s's required checks pass.", target.Name, base)
	}
	return fmt.Sprintf("Confirming opens (or updates) the pull request for %s; merging it deploys.", target.Name)
}

// resultPage is the page after the engine was asked.
func resultPage(c link.Claims, st linkState, o promote.Outcome) linkPage {
	p := linkPage{Move: moveFor(c, st), PR: o.PR, PRURL: o.PRURL, Login: st.auth.login}
	if p.Move != nil && o.Result != promote.Refused {
		p.Move.Done = true
		if o.To.Tag != "" {
			p.Move.NewTag = o.To.Tag
		}
	}
	p.Title = fmt.Sprintf("Promoted %s to %s", c.App, c.To)
	switch o.Result {
	case promote.Refused:
		p.Title = "Not promoted"
		p.Message = o.Reason + ". This link is now used up; once that is fixed, comment `/promote` on the stage's pull request."
	case promote.AlreadyThere:
		p.Title, p.Message = "Nothing to promote", o.Reason+"."
	case promote.Merged:
		p.Message = fmt.Sprintf("stagehand opened the pull request for %s and merged it.", c.To)
	case promote.Updated:
		p.Message = fmt.Sprintf("stagehand updated the pull request for %s to this image; merging it deploys.", c.To)
	case promote.Unchanged:
		p.Message = fmt.Sprintf("The open pull request for %s already proposes this image; merging it deploys.", c.To)
	default:
		p.Message = fmt.Sprintf("stagehand opened the pull request for %s; merging it deploys.", c.To)
	}
	if o.Reason != "" && o.Result != promote.Refused && o.Result != promote.AlreadyThere {
		p.Message += " " + o.Reason + "."
	}
	return p
}

// renderLink renders a link's page, saying how links are authorised.
func (s *Server) renderLink(w http.ResponseWriter, code int, p linkPage) {
	p.SignInOn = s.opts.Links.OAuth != nil
	render(w, code, p)
}

// render writes a page with headers that keep it, and the token in its
// URL, out of caches, referrers and frames, and let it load nothing.
func render(w http.ResponseWriter, code int, p linkPage) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		text(w, http.StatusInternalServerError, "internal error: cannot render the page")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}

// codeSpans shows the `code` of messages written for GitHub comments as
// code: s is escaped first, and backticks mean nothing to HTML.
var codeSpans = regexp.MustCompile("`([^`]+)`")

func withCode(s string) template.HTML {
	return template.HTML(codeSpans.ReplaceAllString(template.HTMLEscapeString(s), "<code>$1</code>"))
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"code": withCode}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · stagehand</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
code { font: .9em ui-monospace, monospace; word-break: break-all; }
th, td { text-align: left; vertical-align: top; padding: .2rem 1rem .2rem 0; }
.ok::before { content: "✓ "; color: #1a7f37; }
.no::before { content: "✗ "; color: #b42318; }
button { font: inherit; padding: .5rem 1.5rem; }
.note { color: #59636e; font-size: .9em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{with .Message}}<p>{{code .}}</p>{{end}}
{{with .PRURL}}<p>Pull request: <a href="{{.}}">#{{$.PR}}</a> <code>{{.}}</code></p>{{end}}
{{with .Move}}
<table>
<tr><th>App</th><td>{{.App}}</td></tr>
<tr><th>From</th><td>{{.From}}</td></tr>
<tr><th>To</th><td>{{.To}}</td></tr>
<tr><th>{{if .Done}}Before, in{{else}}Now in{{end}} {{.To}}</th><td>{{if not .Known}}unknown{{else if .Found}}<code>{{.CurrentTag}}</code> {{with .CurrentDigest}}<code>{{.}}</code>{{else}}(by tag, no digest){{end}}{{else}}no image pinned{{end}}</td></tr>
<tr><th>Promoted</th><td>{{with .NewTag}}<code>{{.}}</code> {{end}}<code>{{.NewDigest}}</code></td></tr>
<tr><th>Link expires</th><td>{{.Expires}}</td></tr>
</table>
{{end}}
{{with .Gates}}
<h2>Gates</h2>
<ul>
{{range .}}<li class="{{if .OK}}ok{{else}}no{{end}}"><strong>{{.Name}}:</strong> {{code .Text}}</li>
{{end}}</ul>
{{end}}
{{with .SignIn}}
<p><a href="{{.}}">Sign in with GitHub</a></p>
{{end}}
{{with .CSRF}}
<form method="post">
<input type="hidden" name="csrf" value="{{.}}">
<button type="submit">Promote {{$.Move.App}} to {{$.Move.To}}</button>
</form>
{{end}}
{{if and .Move .SignInOn}}<p class="note">{{with .Login}}Signed in with GitHub as @{{.}}. {{end}}This link acts only for a person who signs in with GitHub and may promote into this stage: its approvers, or anyone with write permission when it names none.</p>
{{else if .Move}}<p class="note">Anyone who has this link can make this one promotion until it is used or expires: stagehand has no GitHub sign-in yet, so the link itself is the permission. Share it only as you would share write access.</p>{{end}}
</body>
</html>
`))
