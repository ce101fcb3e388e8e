package dashboard

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// page is everything a page shows; empty fields are left out.
type page struct {
	Title, Message string
	Login          string
	Permission     string
	SignIn         string // set: the page offers to sign in
	Home           string // set: a link back to the matrix
	Base           string // the public URL's path
	CSRF           string
	Flash          *flash
	Poll           int // milliseconds between polls; 0: no polling
	Problem        string
	Repo           string     // the config repository shown, when stagehand serves several
	Repos          []RepoLink // those the viewer may read

	BaseName, BaseSHA, BaseURL string
	Stages                     []string
	Rows                       []row
	Reasons                    []string // why buttons are disabled, numbered from 1

	App     *row
	Paths   []digestPath
	History []event
}

type flash struct {
	Text  string
	Bad   bool
	PR    int
	PRURL string
}

// row is an app in every stage.
type row struct {
	App, Image, Group string
	Href              string
	Cells             []cell
}

// cell is an app in a stage: what runs there and its states.
type cell struct {
	Stage, Mode             string
	Tag, Digest, Short      string
	Problem                 string
	Since, SinceISO         string
	By, PRURL               string
	PR                      int
	Changed                 bool // the pin is not what stagehand last merged
	States                  []state
	Actions                 []action
	Approvers               string
	Soak                    string
	Behind                  bool
	Moves, MovesShort, From string // what would move from the stage before
	MovesTag, MovesDigest   string
}

// state is one thing to know about a cell, shown as a badge with its
// detail; Link, when set, is where to read more.
type state struct {
	Class, Label, Detail, Link string
	// Fixed is Detail in absolute times, for text that is not refreshed
	// as time passes (the promotions issue); "" when Detail is.
	Fixed string
}

// action is a button; a disabled one says why (Why, numbered in Reasons).
type action struct {
	Act, Label string
	Enabled    bool
	Why        string
	WhyN       int
	Hold       bool // asks for a reason
	Main       bool // the promotion: the one button the matrix shows
}

// stateInput is what the state rules read of a cell.
type stateInput struct {
	c      promote.Cell
	prev   []*promote.Cell // the stages it follows; none for the first
	recent *store.Action   // the newest automatic or requested move into the stage, if newer than its last merge
	now    time.Time
}

// states are the states a cell can be in, in the order they are shown:
// adding one (verified, frozen, …) is one line here.
var states = []func(stateInput) (state, bool){
	held,
	frozen,
	health,
	soaking,
	prOpen,
	refused,
	behind,
}

func held(in stateInput) (state, bool) {
	h := in.c.Held
	if h == nil {
		return state{}, false
	}
	s := state{Class: "held", Label: "held", Detail: "by @" + h.By}
	if h.Rollback {
		s.Label = "rolled back, held"
	}
	if h.Reason != "" {
		s.Detail += ": " + h.Reason
	}
	return s, true
}

func frozen(in stateInput) (state, bool) {
	w, opens, denied := in.c.Stage.Windows.Denied(in.now)
	if !denied {
		return state{}, false
	}
	detail := fmt.Sprintf("%s; opens %s", w, opens.UTC().Format("Mon 2006-01-02 15:04 UTC"))
	if opens.IsZero() {
		detail = fmt.Sprintf("%s; its windows never open", w)
	}
	return state{Class: "frozen", Label: "frozen", Detail: detail}, true
}

// health is the stage's health gate for the image it runs, where the
// stage verifies: verified, verifying (since the merge, until the
// timeout), or unhealthy (which status, where to look).
func health(in stateInput) (state, bool) {
	d, st := in.c.Health, in.c.Stage
	if d == nil || len(st.Verify) == 0 || d.Digest == "" || d.Digest != in.c.File.Pinned.Digest {
		return state{}, false
	}
	contexts := strings.Join(st.Verify, ", ")
	switch d.State {
	case store.DeployHealthy:
		return state{Class: "verified", Label: "verified", Detail: fmt.Sprintf("%s success %s", contexts, ago(in.now, d.DoneAt)),
			Fixed: fmt.Sprintf("%s success at %s", contexts, d.DoneAt.UTC().Format("2006-01-02 15:04 UTC"))}, true
	case store.DeployVerifying:
		detail := fmt.Sprintf("waiting for %s since %s, until %s", contexts, d.MergedAt.UTC().Format("15:04 UTC"), d.Deadline.UTC().Format("Mon 15:04 UTC"))
		if !in.now.Before(d.Deadline) {
			detail = fmt.Sprintf("waiting for %s since %s; its verify_timeout passed at %s", contexts, d.MergedAt.UTC().Format("15:04 UTC"), d.Deadline.UTC().Format("Mon 15:04 UTC"))
		}
		return state{Class: "verifying", Label: "verifying", Detail: detail}, true
	case store.DeployFailed:
		detail := fmt.Sprintf("status %s is failing", d.Context)
		if d.Description != "" {
			detail += ": " + d.Description
		}
		return state{Class: "unhealthy", Label: "unhealthy", Detail: detail, Link: d.TargetURL}, true
	case store.DeployTimedOut:
		return state{Class: "unhealthy", Label: "unhealthy", Detail: fmt.Sprintf("%s not success within verify_timeout (%s)", contexts, st.VerifyTimeout)}, true
	}
	return state{}, false
}

func soaking(in stateInput) (state, bool) {
	if in.c.SoakLeft <= 0 {
		return state{}, false
	}
	return state{Class: "soak", Label: "soaking", Detail: fmt.Sprintf("%s left before %s", roundUp(in.c.SoakLeft), in.c.SoakNext),
		Fixed: fmt.Sprintf("until %s before %s", in.now.Add(in.c.SoakLeft).UTC().Format("Mon 15:04 UTC"), in.c.SoakNext)}, true
}

func prOpen(in stateInput) (state, bool) {
	pr := in.c.Open
	if pr == nil {
		return state{}, false
	}
	return state{Class: "pr", Label: "PR open", Detail: "#" + strconv.Itoa(pr.Number), Link: pr.URL}, true
}

func refused(in stateInput) (state, bool) {
	a := in.recent
	if a == nil || a.Result != string(promote.Refused) {
		return state{}, false
	}
	return state{Class: "refused", Label: "refused last " + a.Kind, Detail: a.Reason}, true
}

// behind: a stage it follows runs another image than the stage; each such
// stage is named, since where stages fan in the image moves only once all
// of them run it.
func behind(in stateInput) (state, bool) {
	var has []string
	for _, prev := range in.ahead() {
		has = append(has, fmt.Sprintf("%s has %s", prev.Stage.Name, prev.File.Pinned.Tag))
	}
	if len(has) == 0 {
		return state{}, false
	}
	return state{Class: "behind", Label: "behind", Detail: strings.Join(has, ", ")}, true
}

// ahead are the stages the cell's stage follows that pin another digest
// than it does.
func (in stateInput) ahead() []*promote.Cell {
	var out []*promote.Cell
	for _, prev := range in.prev {
		if p := prev.File.Pinned; p.Digest != "" && p.Digest != in.c.File.Pinned.Digest {
			out = append(out, prev)
		}
	}
	return out
}

// rows turns a board into the matrix's rows.
func (h *Handler) rows(b promote.Board, recent []store.Action, reasons *reasonList, only string) []row {
	newest := newestMoves(recent)
	var out []row
	for _, a := range b.Apps {
		if only != "" && a.App.Name != only {
			continue
		}
		r := row{App: a.App.Name, Image: a.App.Image, Group: a.Group, Href: h.opts.BasePath + "/apps/" + a.App.Name}
		at := map[string]int{}
		for i, c := range a.Cells {
			at[c.Stage.Name] = i
		}
		for _, c := range a.Cells {
			in := stateInput{c: c, now: b.Now}
			for _, name := range c.Stage.After {
				if i, ok := at[name]; ok {
					in.prev = append(in.prev, &a.Cells[i])
				}
			}
			if x, ok := newest[promote.Key(a.App.Name, c.Stage.Name)]; ok && (c.Merged == nil || x.At.After(c.Merged.At)) {
				in.recent = &x
			}
			r.Cells = append(r.Cells, h.cell(a.App.Name, in, b.Now, reasons, only != ""))
		}
		out = append(out, r)
	}
	return out
}

func (h *Handler) cell(app string, in stateInput, now time.Time, reasons *reasonList, every bool) cell {
	c := in.c
	v := cell{Stage: c.Stage.Name, Mode: string(c.Stage.Mode), Tag: c.File.Pinned.Tag, Digest: c.File.Pinned.Digest, Short: shortDigest(c.File.Pinned.Digest), Problem: c.File.Problem,
		Approvers: strings.Join(c.Stage.Approvers, ", ")}
	if c.Stage.Soak > 0 {
		v.Soak = c.Stage.Soak.String()
	}
	if m := c.Merged; m != nil && m.Digest == c.File.Pinned.Digest && c.File.Pinned.Digest != "" {
		v.Since, v.SinceISO = ago(now, m.At), m.At.UTC().Format(time.RFC3339)
		v.PR, v.PRURL, v.By = m.PR, h.prURL(m.PR), m.MergedBy
		if m.Group != "" {
			v.By += " (group " + m.Group + ")"
		}
	} else if c.File.Pinned.Found {
		v.Changed = true
	}
	for _, rule := range states {
		if s, ok := rule(in); ok {
			v.States = append(v.States, s)
		}
	}
	if ahead := in.ahead(); len(ahead) > 0 {
		p := ahead[0].File.Pinned
		v.Behind, v.From = true, ahead[0].Stage.Name
		v.Moves, v.MovesShort = p.Tag+"@"+p.Digest, p.Tag+" "+shortDigest(p.Digest)
		v.MovesTag, v.MovesDigest = p.Tag, p.Digest
	}
	add := func(act, label string, p promote.Plan, hold bool) {
		a := action{Act: act + " " + app + " " + c.Stage.Name, Label: label, Hold: hold, Main: act == "promote"}
		switch p.Verdict {
		case promote.Propose, promote.PlaceHold, promote.LiftHold:
			a.Enabled = true
		case promote.Nothing:
			a.Why = "nothing to promote: " + p.Reason
		default:
			a.Why = p.Reason
		}
		// A reason is numbered only where its button is shown: the
		// matrix shows the promotion of a stage that is behind, an app's
		// page every button.
		if !a.Enabled && (every || a.Main && v.Behind) {
			a.WhyN = reasons.number(a.Why)
		}
		v.Actions = append(v.Actions, a)
	}
	if len(in.prev) > 0 {
		add("promote", "Promote to "+c.Stage.Name, c.Promote, false)
	}
	if c.Held != nil {
		add("release", "Release", c.Release, false)
	} else {
		add("hold", "Hold", c.Hold, true)
	}
	add("rollback", "Roll back", c.Rollback, false)
	return v
}

// reasonList numbers the reasons buttons are disabled, each once: a
// read-only viewer's hundreds of buttons share a few reasons.
type reasonList struct {
	list []string
	n    map[string]int
}

func (l *reasonList) number(why string) int {
	if why == "" {
		why = "not possible now"
	}
	if n, ok := l.n[why]; ok {
		return n
	}
	if l.n == nil {
		l.n = map[string]int{}
	}
	l.list = append(l.list, why)
	l.n[why] = len(l.list)
	return len(l.list)
}

func (h *Handler) base(b promote.Board, v viewer) page {
	pg := page{Login: v.Login, Permission: v.Permission, Base: h.opts.BasePath, BaseName: b.BaseName, BaseSHA: shortSHA(b.Base.SHA),
		Poll: int(h.opts.Poll / time.Millisecond)}
	if b.Base.SHA != "" && h.opts.RepoURL != "" {
		pg.BaseURL = h.opts.RepoURL + "/commit/" + b.Base.SHA
	}
	if b.ConfigErr != nil {
		pg.Problem = b.ConfigErr.Error()
	}
	if b.Config != nil {
		for _, s := range b.Config.Stages {
			pg.Stages = append(pg.Stages, s.Name)
		}
	}
	return pg
}

func (h *Handler) matrixPage(b promote.Board, recent []store.Action, v viewer) page {
	pg := h.base(b, v)
	pg.Title = "stagehand"
	var reasons reasonList
	pg.Rows = h.rows(b, recent, &reasons, "")
	pg.Reasons = reasons.list
	return pg
}

func (h *Handler) appPage(b promote.Board, recent []store.Action, merges []store.Merge, app string, v viewer) (page, bool) {
	pg := h.base(b, v)
	var reasons reasonList
	rows := h.rows(b, recent, &reasons, app)
	if len(rows) != 1 {
		return pg, false
	}
	pg.Title, pg.App, pg.Home, pg.Reasons = app+" · stagehand", &rows[0], h.opts.BasePath+"/", reasons.list
	pg.Paths = h.paths(b.Config, merges)
	pg.History = h.history(recent, merges)
	return pg, true
}

// digestPath is an image's way through the stages: when it was merged into
// each, by which PR.
type digestPath struct {
	Tag, Digest, Short string
	Steps              []step
}

type step struct {
	Stage, At, ISO, PRURL string
	PR                    int
	Reached               bool
}

// paths are the newest images' paths through the stages, newest first.
func (h *Handler) paths(cfg *config.Config, merges []store.Merge) []digestPath {
	if cfg == nil {
		return nil
	}
	byDigest := map[string]map[string]store.Merge{}
	var order []string
	for _, m := range merges { // newest first
		if byDigest[m.Digest] == nil {
			byDigest[m.Digest] = map[string]store.Merge{}
			order = append(order, m.Digest)
		}
		if _, ok := byDigest[m.Digest][m.Stage]; !ok {
			byDigest[m.Digest][m.Stage] = m
		}
	}
	if len(order) > 8 {
		order = order[:8]
	}
	var out []digestPath
	for _, d := range order {
		p := digestPath{Digest: d, Short: shortDigest(d)}
		for _, st := range cfg.Stages {
			s := step{Stage: st.Name}
			if m, ok := byDigest[d][st.Name]; ok {
				s.Reached, s.At, s.ISO, s.PR, s.PRURL = true, m.At.UTC().Format("2006-01-02 15:04"), m.At.UTC().Format(time.RFC3339), m.PR, h.prURL(m.PR)
				p.Tag = m.Tag
			}
			p.Steps = append(p.Steps, s)
		}
		out = append(out, p)
	}
	return out
}

// event is a line of an app's history: an action, or a merge.
type event struct {
	At, ISO                string
	What, Stage, Actor     string
	Result, Reason, Source string
	FromTag, ToTag, To     string
	PR                     int
	PRURL, Commit, SHA     string
	Bad                    bool
	at                     time.Time
}

func (h *Handler) history(actions []store.Action, merges []store.Merge) []event {
	var out []event
	for _, a := range actions {
		out = append(out, event{at: a.At, What: a.Kind, Stage: a.Stage, Actor: a.Actor, Result: a.Result, Reason: a.Reason, Source: a.Source,
			FromTag: a.FromTag, ToTag: a.ToTag, To: shortDigest(a.ToDigest), PR: a.PR, PRURL: h.prURL(a.PR),
			Bad: a.Result == string(promote.Refused) || a.Result == string(promote.Failed)})
	}
	for _, m := range merges {
		e := event{at: m.At, What: "merged", Stage: m.Stage, Actor: m.MergedBy, Result: "merged", ToTag: m.Tag, To: shortDigest(m.Digest), PR: m.PR, PRURL: h.prURL(m.PR), SHA: shortSHA(m.MergeSHA)}
		if m.MergeSHA != "" && h.opts.RepoURL != "" {
			e.Commit = h.opts.RepoURL + "/commit/" + m.MergeSHA
		}
		if m.Group != "" {
			e.Source = "group " + m.Group
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.After(out[j].at) })
	if len(out) > 200 {
		out = out[:200]
	}
	for i := range out {
		out[i].At, out[i].ISO = out[i].at.UTC().Format("2006-01-02 15:04:05"), out[i].at.UTC().Format(time.RFC3339)
	}
	return out
}

// newestMoves is, by app/stage, the newest action that tried to move an
// image into the stage (a push, chain or promotion), from actions newest
// first.
func newestMoves(actions []store.Action) map[string]store.Action {
	out := map[string]store.Action{}
	for _, a := range actions {
		switch promote.Kind(a.Kind) {
		case promote.Push, promote.Chain, promote.Promote:
		default:
			continue
		}
		if a.Stage == "" {
			continue
		}
		k := promote.Key(a.App, a.Stage)
		if _, ok := out[k]; !ok {
			out[k] = a
		}
	}
	return out
}

func (h *Handler) prURL(pr int) string {
	if pr <= 0 || h.opts.RepoURL == "" {
		return ""
	}
	return h.opts.RepoURL + "/pull/" + strconv.Itoa(pr)
}

// shortDigest is sha256: and the first 12 hex digits.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

// ago is how long before now t was, in the largest unit that fits.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// roundUp shows a time left in whole minutes, never "0m".
func roundUp(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}
