package link

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// page is everything a link's page shows; empty fields are left out.
type page struct {
	Title, Message string
	Move           *moveView
	Gates          []promote.Gate
	CSRF           string // set: the page offers to confirm
	SignIn         string // set: the page offers to sign in with GitHub here
	Login          string // the signed-in person, with sign-in on
	SignInOn       bool   // GitHub sign-in is configured
	PR             int
	PRURL          string
	Refresh        string // set: the page reloads itself there in a few seconds
}

// moveView is what a link promotes.
type moveView struct {
	App, From, To             string
	Known                     bool // the to stage's pin was read
	Found                     bool // the to stage pins the app's image
	CurrentTag, CurrentDigest string
	NewTag, NewDigest         string
	Expires                   string
	Done                      bool // the promotion was made: "current" is what was there before
}

func move(c Claims, p promote.Plan) *moveView {
	m := &moveView{App: c.App, From: c.From, To: c.To, NewDigest: c.Digest, Expires: c.Expires.Format(time.RFC1123)}
	if p.Want.Digest == c.Digest {
		m.NewTag = p.Want.Tag
	}
	m.Known = p.Path != ""
	m.Found, m.CurrentTag, m.CurrentDigest = p.From.Found, p.From.Tag, p.From.Digest
	return m
}

// planPage is the page of a link before it is confirmed, from the plan the
// engine made of it: the same plan, by the same rules, as the confirmation
// will meet.
func (h *Handler) planPage(c Claims, p promote.Plan, token string) (int, page) {
	pg := page{Move: move(c, p), Gates: p.Gates, Login: p.Request.Actor.Login, SignInOn: h.opts.OAuth != nil}
	switch {
	case p.Verdict == promote.Propose:
		pg.Title = fmt.Sprintf("Promote %s to %s?", c.App, c.To)
		pg.Message = "Nothing has changed yet. " + confirmDoes(p.Stage, p.Base.Name) + " Confirm below; the link then is used up."
		return http.StatusOK, pg
	case p.Verdict == promote.Nothing:
		pg.Title, pg.Message = "Nothing to promote", p.Reason+"."
		return http.StatusOK, pg
	}
	switch p.Code {
	case promote.CodeSignIn:
		pg.Title, pg.Message = "Sign in to promote", p.Reason+". Nothing has changed yet."
		pg.SignIn = h.opts.Signer.signInURL(token)
		return http.StatusUnauthorized, pg
	case promote.CodeUsed:
		pg.Title, pg.Message = "This link was already used", "Each link works once. Nothing was changed now. See the stage's pull request, or comment `/promote` on it to promote again."
		return http.StatusGone, pg
	case promote.CodeNotAllowed:
		pg.Title, pg.Message = "This link cannot promote now", p.Reason+". Nothing was changed."
		return http.StatusForbidden, pg
	case promote.CodeHeld, promote.CodeSoaking, promote.CodeFrozen, promote.CodeFanIn:
		pg.Title, pg.Message = "This link cannot promote now", p.Reason+". Nothing was changed, and the link stays unused until it expires."
		return http.StatusConflict, pg
	}
	pg.Title, pg.Message = "This link no longer applies", p.Reason+". Nothing was changed."
	return http.StatusConflict, pg
}

// confirmDoes says what confirming leads to in the target stage's mode.
func confirmDoes(target config.Stage, base string) string {
	if target.Mode == config.AutoMerge {
		return fmt.Sprintf("Confirming opens the pull request for %s and merges it as soon as %s's required checks pass.", target.Name, base)
	}
	return fmt.Sprintf("Confirming opens (or updates) the pull request for %s; merging it deploys.", target.Name)
}

// outcomePage is the page once the promotion ran: a refusal reads as the
// link's page would have put it.
func (h *Handler) outcomePage(c Claims, p promote.Plan, o store.Request, token string) (int, page) {
	result := promote.Result(o.Result)
	if result == promote.Refused {
		p.Verdict, p.Code, p.Reason = promote.Refuse, promote.Code(o.Code), o.Reason
		code, pg := h.planPage(c, p, token)
		if p.Code != promote.CodeSignIn && p.Code != promote.CodeUsed {
			pg.Title = "Not promoted"
		}
		pg.Gates, pg.PR, pg.PRURL = nil, o.PR, o.PRURL
		return code, pg
	}
	pg := page{Move: move(c, p), PR: o.PR, PRURL: o.PRURL, Login: p.Request.Actor.Login}
	pg.Move.Done = true
	pg.Title = fmt.Sprintf("Promoted %s to %s", c.App, c.To)
	switch result {
	case promote.AlreadyThere:
		pg.Title, pg.Message = "Nothing to promote", o.Reason+"."
	case promote.Merged:
		pg.Message = fmt.Sprintf("stagehand opened the pull request for %s and merged it.", c.To)
	case promote.Updated:
		pg.Message = fmt.Sprintf("stagehand updated the pull request for %s to this image; merging it deploys.", c.To)
	case promote.Unchanged:
		pg.Message = fmt.Sprintf("The open pull request for %s already proposes this image; merging it deploys.", c.To)
	default:
		pg.Message = fmt.Sprintf("stagehand opened the pull request for %s; merging it deploys.", c.To)
	}
	if o.Reason != "" && result != promote.AlreadyThere {
		pg.Message += " " + o.Reason + "."
	}
	return http.StatusOK, pg
}

// render writes a page with headers that keep it, and the token in its
// URL, out of caches, referrers and frames, and let it load nothing.
func (h *Handler) render(w http.ResponseWriter, code int, p page) {
	p.SignInOn = h.opts.OAuth != nil
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		http.Error(w, "internal error: cannot render the page", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
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
{{with .Refresh}}<meta http-equiv="refresh" content="3;url={{.}}">{{end}}
<title>{{.Title}} · stagehand</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
code { font: .9em ui-monospace, monospace; word-break: break-all; }
th, td { text-align: left; vertical-align: top; padding: .2rem 1rem .2rem 0; }
.ok::before { content: "✓ "; color: #1a7f37; }
.no::before { content: "✗ "; color: #b42318; }
button { font: inherit; padding: .5rem 1.5rem; }
.note { color: #59636e; font-size: .9em; }
@media (prefers-color-scheme: dark) { body { background: #0d1117; color: #e6edf3; } .note { color: #9198a1; } a { color: #4493f8; } }
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
