package promote

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// Verdict is what a plan does.
type Verdict string

const (
	Propose    Verdict = "propose" // write the change: one commit, the stage's one living PR, merged where the stage allows
	Nothing    Verdict = "nothing" // the stage runs the image already
	Refuse     Verdict = "refuse"  // a rule says no; Reason says which and what to do
	Ignore     Verdict = "ignore"  // not for stagehand (a tag the policy rejects, an older tag)
	Wait       Verdict = "wait"    // a soak time is not over, or a freeze window not open: ask again at Until
	TellManual Verdict = "manual"  // the next stage is manual: nothing moves until someone promotes
	PlaceHold  Verdict = "hold"
	LiftHold   Verdict = "release"
	Gather     Verdict = "gather" // a group's window is still open: ask again at Until, when more of its pushes may have come
)

// Code tells refusals apart for those who show them (the link page picks
// its answer by it); the Reason is for people.
type Code string

const (
	CodeConfig     Code = "config"      // .stagehand.yaml is broken
	CodeUnknown    Code = "unknown"     // no such app or stage
	CodeFile       Code = "file"        // a stage file is missing or unreadable
	CodeOrder      Code = "order"       // the stages do not allow it (first stage, last stage, not the stage before)
	CodeSource     Code = "source"      // the source stage pins nothing to promote
	CodeSuperseded Code = "superseded"  // the source stage runs another image than the link's
	CodeSignIn     Code = "sign-in"     // the person must sign in first
	CodeNotAllowed Code = "not-allowed" // approvers or permission
	CodeUsed       Code = "used"        // the link was used already
	CodeHeld       Code = "held"        // the stage is held
	CodeSoaking    Code = "soaking"     // the image has not soaked long enough
	CodeNotHeld    Code = "not-held"    // a release of a stage that is not held
	CodeRollback   Code = "rolled-back" // the source stage was rolled back and is held
	CodeRewrite    Code = "rewrite"     // the stage file cannot take the image
	CodeFrozen     Code = "frozen"      // the stage is inside a freeze window
	CodeFanIn      Code = "fan-in"      // another stage the target follows does not run the image yet
)

// Gate is one rule as it stands for a request, for pages that list them.
type Gate struct {
	Name string // Approvers, Hold, Soak, Window
	OK   bool
	Text string
}

// Plan is what Decide makes of a request: the change to make, or why not.
// Apply carries it out and does nothing else.
type Plan struct {
	Request Request
	Verdict Verdict
	Code    Code
	Reason  string

	App   config.App
	Stage config.Stage   // the stage written or acted on
	Next  []config.Stage // the stages after Stage, if any
	Base  githubapp.Branch
	Path  string
	From  manifest.Pinned // what Stage pins now
	Want  Want
	// Before and After are Path's content now and as proposed.
	Before, After []byte
	Reformatted   bool
	// Merge: merge the PR once the base branch's checks pass (an
	// auto-merge stage; never a rollback).
	Merge bool
	// Point is what a rollback restores.
	Point *restorePoint
	// Until is when a Wait asks again.
	Until time.Time
	// Forced says which freeze window a person's --force promotes
	// through; "" when none was in the way.
	Forced string
	// Held is the hold that refused; an automatic request it stopped is
	// kept and proposed when the stage is released.
	Held *gate.Hold
	// Open is the PR a Reconsider is about.
	Open *githubapp.PullRequest
	// Gates are the rules a person's promotion is checked against.
	Gates []Gate
	// Health is the stage's health gate a Verify settles (verify.go).
	Health *Health

	// Group is the group a group's request moves; Members are its apps'
	// own plans, each decided by the rules above, and the group's verdict
	// is made of theirs (group.go). Candidates are the pushes a group's
	// push took from its window, to be forgotten once applied.
	Group      *config.Group
	Members    []Plan
	Candidates []Candidate
}

// Key is the app/stage the plan writes to.
func (p Plan) Key() string { return Key(p.Request.App, p.Stage.Name) }

// Decide turns a request and a snapshot into a plan. It is pure: every rule
// of promotion is applied here and nowhere else, for every way in.
func Decide(r Request, s Snapshot) Plan {
	p := Plan{Request: r, Base: s.Base}
	if s.ConfigErr != nil {
		return p.refuse(CodeConfig, "%s", s.ConfigErr.Error())
	}
	cfg := s.Config
	if r = r.grouped(cfg); r.Group != "" {
		p.Request = r
		return decideGroup(p, s, cfg)
	}
	return decideApp(p, s, cfg)
}

// decideApp decides an app's request, on its own or as one of a group's
// apps.
func decideApp(p Plan, s Snapshot, cfg *config.Config) Plan {
	r := p.Request
	app, ok := cfg.App(r.App)
	if g, isGroup := cfg.Group(r.App); !ok && isGroup {
		return p.refuse(CodeUnknown, "%s is a group (apps: %s); a %s names one of its apps", g.Name, strings.Join(g.Apps, ", "), r.Kind)
	}
	if !ok {
		return p.refuse(CodeUnknown, "there is no app %q in %s (apps: %s)", r.App, config.FileName, appNames(cfg))
	}
	p.App = app
	switch r.Kind {
	case Push:
		return decidePush(p, s, cfg)
	case Promote:
		return decidePromote(p, s, cfg)
	case Chain:
		return decideChain(p, s, cfg)
	case Rollback:
		return decideRollback(p, s, cfg)
	case Hold, Release:
		return decideHold(p, s, cfg)
	case Reconsider:
		return decideReconsider(p, s, cfg)
	case Verify:
		return decideVerify(p, s, cfg)
	}
	return p.refuse(CodeUnknown, "stagehand does not know how to %s", r.Kind)
}

func decidePush(p Plan, s Snapshot, cfg *config.Config) Plan {
	r := p.Request
	p.Stage = cfg.First()
	p.setNext(cfg)
	if v := AcceptsPush(p.App, r.Tag); !v.ok {
		return p.ignore(v.reason)
	}
	f, ok := p.file(s, p.Stage.Name)
	if !ok {
		return p
	}
	if v := notBackwards(p.App, p.Stage.Name, r.Tag, f.Pinned); !v.ok {
		return p.ignore(v.reason)
	}
	if v := notPushedBefore(p.App, p.Stage.Name, r, f.Pinned, s.Merged[p.Stage.Name]); !v.ok {
		return p.ignore(v.reason)
	}
	p.Want = Want{Image: p.App.Image, Tag: r.Tag, Digest: r.Digest, PushedAt: r.PushedAt}
	return p.write(s, f)
}

func decidePromote(p Plan, s Snapshot, cfg *config.Config) Plan {
	if p.Request.Stage == "" {
		switch next := cfg.Next(p.Request.From); {
		case len(next) == 0:
			p.Stage = config.Stage{Name: p.Request.From}
			return p.refuse(CodeOrder, "%s is the last stage of %s: there is nowhere to promote it", p.Request.From, p.Request.App)
		case len(next) > 1 || p.Request.All:
			p.Stage = config.Stage{Name: p.Request.From}
			return p.refuse(CodeOrder, "%s is followed by %s: say which, with `/promote %s to %s`, or `/promote %s to all` for each of them",
				p.Request.From, names(next), p.Request.App, next[0].Name, p.Request.App)
		}
		p.Request = p.Request.resolve(cfg)
		p.Request.From = "" // it named the PR's stage, not a link's source
	}
	r := p.Request
	from, target, v := sourceStage(cfg, r.Stage, r.From)
	p.Stage = target
	if !v.ok {
		if target.Name == "" {
			return p.refuse(CodeUnknown, "%s", v.reason)
		}
		return p.refuse(CodeOrder, "%s", v.reason)
	}
	p.setNext(cfg)
	if r.From != "" && r.From != from.Name {
		return p.refuse(CodeOrder, "%s no longer comes right after %s in %s", r.Stage, r.From, config.FileName)
	}
	sources := cfg.Prev(target.Name)
	// What would move where, for those who show a refusal too.
	src, srcOK := s.Files[p.App.Path(from.Name)]
	dst, dstOK := s.Files[p.App.Path(target.Name)]
	want, wantOK := takeSource(p.App, from.Name, src.Path, src.Pinned)
	if srcOK && src.Problem == "" && wantOK.ok {
		p.Want = want
	}
	if dstOK && dst.Problem == "" {
		p.From, p.Path, p.Before = dst.Pinned, dst.Path, dst.Data
	}
	allowed, code := mayAct(r, s, target, "promote into "+target.Name)
	p.Gates = []Gate{{Name: "Approvers", OK: allowed.OK, Text: allowed.Reason}, holdGate(p, s), soakGates(p, s, sources)}
	health, healthCode := healthGates(sources, s, p.Want.Digest, !r.Source.automatic())
	p.Gates = append(p.Gates, health, windowGate(p, s))

	if r.LinkID != "" && s.LinkUsed {
		return p.refuse(CodeUsed, "the link was already used; each link works once. See the stage's pull request, or comment `/promote %s to %s` on it", r.App, r.Stage)
	}
	// A link promotes one image: once its source stage runs another, the
	// link no longer applies, whoever clicks it.
	if r.Digest != "" && srcOK && src.Problem == "" && src.Pinned.Digest != r.Digest {
		ran := fmt.Sprintf("%s pins no digest for %s on %s", from.Name, r.App, s.BaseName)
		if src.Pinned.Digest != "" {
			ran = fmt.Sprintf("%s runs %s@%s on %s", from.Name, src.Pinned.Tag, src.Pinned.Digest, s.BaseName)
		}
		return p.refuse(CodeSuperseded, "%s, not the image this link promotes (%s). The link works only while %s runs that image: if its pull request is not merged yet, merge it first; if %s has moved on, use a newer link or comment `/promote`",
			ran, r.Digest, from.Name, from.Name)
	}
	// Who may comes before what the stages hold.
	if !allowed.OK {
		return p.refuse(code, "%s", allowed.Reason)
	}
	if _, ok := p.file(s, from.Name); !ok {
		return p
	}
	if !wantOK.ok {
		return p.refuse(CodeSource, "%s", wantOK.reason)
	}
	if v := fanIn(p, s, sources, from.Name, want); !v.ok {
		return p.refuse(CodeFanIn, "%s", v.reason)
	}
	f, ok := p.file(s, target.Name)
	if !ok {
		return p
	}
	if alreadyRuns(f.Pinned, want) {
		return p.nothing()
	}
	if h, held := s.Holds[target.Name]; held {
		hold := h
		p.Held = &hold
		return p.refuse(CodeHeld, "%s", gate.NotHeld(p.App.Name, target.Name, &hold).Reason)
	}
	if !health.OK {
		return p.refuse(healthCode, "%s %s: %s", r.App, want.Tag, health.Text)
	}
	if g := p.Gates[2]; !g.OK {
		return p.refuse(CodeSoaking, "%s", g.Text)
	}
	return p.write(s, f)
}

func decideChain(p Plan, s Snapshot, cfg *config.Config) Plan {
	r := p.Request.resolve(cfg)
	p.Request = r
	if _, ok := cfg.Stage(r.From); !ok {
		p.Stage = config.Stage{Name: r.From}
		return p.refuse(CodeUnknown, "there is no stage %q in %s (stages: %s)", r.From, config.FileName, stageNames(cfg))
	}
	nexts := cfg.Next(r.From)
	if len(nexts) == 0 {
		p.Stage = config.Stage{Name: r.From}
		return p.ignore(r.From + " is the last stage")
	}
	if r.Stage == "" {
		p.Stage = config.Stage{Name: r.From}
		return p.refuse(CodeOrder, "%s is followed by %s; a chain moves on to one of them at a time", r.From, names(nexts))
	}
	next, ok := cfg.Stage(r.Stage)
	if !ok || !slices.Contains(next.After, r.From) {
		p.Stage = config.Stage{Name: r.Stage}
		return p.ignore(fmt.Sprintf("%s no longer follows %s in %s", r.Stage, r.From, config.FileName))
	}
	sources := cfg.Prev(next.Name)
	p.Stage = next
	p.setNext(cfg)
	if h, held := s.Holds[r.From]; held && h.Rollback {
		return p.refuse(CodeRollback, "%s was rolled back and is held by @%s, so nothing moves on from it to %s until `/release %s %s`", r.From, h.By, next.Name, r.App, r.From)
	}
	src, ok := p.file(s, r.From)
	if !ok {
		return p
	}
	want, v := takeSource(p.App, r.From, src.Path, src.Pinned)
	if !v.ok {
		return p.refuse(CodeSource, "%s", v.reason)
	}
	p.Want = want
	if v := fanIn(p, s, sources, r.From, want); !v.ok {
		return p.refuse(CodeFanIn, "%s", v.reason)
	}
	if next.Mode == config.Manual {
		p.Verdict = TellManual
		p.Reason = fmt.Sprintf("%s is a manual stage: nothing moves until someone promotes %s there, with a comment `/promote %s to %s` or `stagehand promote --app %s --to %s`", next.Name, r.App, r.App, next.Name, r.App, next.Name)
		return p
	}
	dst, ok := p.file(s, next.Name)
	if !ok {
		return p
	}
	if alreadyRuns(dst.Pinned, want) {
		p.From, p.Path, p.Before = dst.Pinned, dst.Path, dst.Data
		return p.nothing()
	}
	if g, code := healthGates(sources, s, want.Digest, false); !g.OK {
		return p.refuse(code, "%s %s: %s", r.App, want.Tag, g.Text)
	}
	if next.Soak > 0 {
		if g := soakGates(p, s, sources); !g.OK {
			// It soaks in each stage it follows: the wait ends when the
			// last of them is done.
			var until time.Time
			for _, from := range sources {
				since := ranSince(s, from, want.Digest)
				if since.IsZero() {
					return p.refuse(CodeSoaking, "%s", g.Text)
				}
				until = maxTime(until, since.Add(next.Soak))
			}
			p.Verdict, p.Code, p.Reason = Wait, CodeSoaking, g.Text
			p.Until = until
			return p
		}
	}
	return p.write(s, dst)
}

func decideRollback(p Plan, s Snapshot, cfg *config.Config) Plan {
	r := p.Request
	stage, ok := cfg.Stage(r.Stage)
	if !ok {
		return p.refuse(CodeUnknown, "there is no stage %q in %s (stages: %s)", r.Stage, config.FileName, stageNames(cfg))
	}
	p.Stage = stage
	p.setNext(cfg)
	if v, code := mayAct(r, s, stage, "roll back "+stage.Name); !v.OK {
		return p.refuse(code, "%s", v.Reason)
	}
	cur, ok := p.file(s, stage.Name)
	if !ok {
		return p
	}
	p.From, p.Path, p.Before = cur.Pinned, cur.Path, cur.Data
	if s.Restore == nil {
		return p.refuse(CodeFile, "stagehand did not read %s's history", cur.Path)
	}
	if !s.Restore.Verdict.ok {
		return p.refuse(CodeSource, "%s", s.Restore.Verdict.reason)
	}
	point := s.Restore.Point
	p.Point = &point
	p.Want = Want{Image: p.App.Image, Tag: point.Pin.Tag, Digest: point.Pin.Digest}
	if alreadyRuns(cur.Pinned, p.Want) {
		p.Verdict = Nothing
		p.Reason = fmt.Sprintf("%s already runs %s@%s, which commit %s pinned; nothing to roll back", stage.Name, cur.Pinned.Tag, short(p.Want.Digest), shortSHA(point.Commit.SHA))
		return p
	}
	// A rollback is a person's explicit act: holds do not refuse it (it
	// places one itself), and a person merges it whatever the stage's mode.
	p = p.rewrite(cur)
	if p.Verdict == Propose {
		p.Merge = false
		p.Reason = fmt.Sprintf("restores what commit %s pinned in %s", shortSHA(point.Commit.SHA), stage.Name)
	}
	return p
}

func decideHold(p Plan, s Snapshot, cfg *config.Config) Plan {
	r := p.Request
	stage, ok := cfg.Stage(r.Stage)
	if !ok {
		return p.refuse(CodeUnknown, "there is no stage %q in %s (stages: %s)", r.Stage, config.FileName, stageNames(cfg))
	}
	p.Stage = stage
	verb := "hold " + r.App + " in " + stage.Name
	if r.Kind == Release {
		verb = "release " + r.App + " in " + stage.Name
	}
	if v, code := mayAct(r, s, stage, verb); !v.OK {
		return p.refuse(code, "%s", v.Reason)
	}
	if r.Kind == Hold {
		p.Verdict = PlaceHold
		return p
	}
	if _, held := s.Holds[stage.Name]; !held {
		return p.refuse(CodeNotHeld, "%s is not held in %s; there is nothing to release", r.App, stage.Name)
	}
	p.Verdict = LiftHold
	return p
}

func decideReconsider(p Plan, s Snapshot, cfg *config.Config) Plan {
	r := p.Request
	p.Stage = config.Stage{Name: r.Stage}
	pr := s.Open
	if pr == nil {
		return p.ignore("no open stagehand PR for " + r.App + " in " + r.Stage)
	}
	m, ok, err := ParseMarker(pr.Body)
	if err != nil || !ok || m.App != r.App || m.Stage != r.Stage {
		return p.ignore(fmt.Sprintf("PR #%d on %s carries no stagehand marker for %s/%s", pr.Number, pr.Head, r.App, r.Stage))
	}
	if m.Rollback {
		return p.ignore(fmt.Sprintf("PR #%d is a rollback, which a person merges", pr.Number))
	}
	stage, ok := cfg.Stage(r.Stage)
	if !ok {
		return p.refuse(CodeUnknown, "%s no longer has stage %s; close PR #%d by hand", config.FileName, r.Stage, pr.Number)
	}
	p.Stage, p.Open = stage, pr
	p.setNext(cfg)
	f, ok := p.file(s, stage.Name)
	if !ok {
		return p
	}
	p.Want = m.want()
	return p.write(s, f)
}

// write is the end every proposal shares: nothing when the stage runs the
// image, a refusal when it is held, a wait or a refusal inside a freeze
// window, else the rewritten file. Every way in that writes a stage (a
// push, a chain, a soak's end, reconcile, a release, a PR's checks, a
// comment, a link, the CLI) comes through here, so the window is checked
// once for all of them.
func (p Plan) write(s Snapshot, f File) Plan {
	p.From, p.Path, p.Before = f.Pinned, f.Path, f.Data
	if alreadyRuns(f.Pinned, p.Want) {
		return p.nothing()
	}
	if h, held := s.Holds[p.Stage.Name]; held {
		hold := h
		p.Held = &hold
		return p.refuse(CodeHeld, "%s", gate.NotHeld(p.App.Name, p.Stage.Name, &hold).Reason)
	}
	if fz := frozen(p.Stage, s.Now); fz.denied {
		r := p.Request
		switch {
		case fz.opens.IsZero():
			return p.refuse(CodeFrozen, "%s", fz.text())
		case r.Source.automatic():
			// Waits, and is asked again when the window opens.
			p.Verdict, p.Code, p.Reason, p.Until = Wait, CodeFrozen, fz.text(), fz.opens
			return p
		case !r.Force:
			return p.refuse(CodeFrozen, "%s. Those who may promote into %s may override it with `/promote %s to %s --force`", fz.text(), p.Stage.Name, r.App, p.Stage.Name)
		}
		// Who may promote was checked before (mayAct): they may force.
		p.Forced = fmt.Sprintf("forced by %s inside %s's freeze window %s, which opens %s", r.Actor.Name(r.Source), p.Stage.Name, fz.window, when(fz.opens))
	}
	if s.Preview {
		p.Verdict = Propose
	} else {
		p = p.rewrite(f)
	}
	p.Merge = p.Verdict == Propose && p.Stage.Mode == config.AutoMerge
	return p
}

func (p Plan) rewrite(f File) Plan {
	t := f.Target
	if t.File == "" {
		t = manifest.Kustomization(f.Path)
	}
	rw, err := t.Rewrite(f.Data, manifest.Image{Name: p.App.Image, Tag: p.Want.Tag, Digest: p.Want.Digest})
	if err != nil {
		return p.refuse(CodeRewrite, "cannot set %s's image in %s: %v", p.App.Name, f.Path, err)
	}
	p.After, p.Reformatted = rw.Out, rw.Reformatted
	p.Verdict = Propose
	return p
}

func (p Plan) nothing() Plan {
	p.Verdict = Nothing
	p.Reason = fmt.Sprintf("%s already runs %s@%s", p.Stage.Name, p.From.Tag, short(p.Want.Digest))
	return p
}

// file is the stage's file from the snapshot, or a refusal saying what is
// wrong with it.
func (p *Plan) file(s Snapshot, stage string) (File, bool) {
	path := p.App.Path(stage)
	f, ok := s.Files[path]
	switch {
	case path == "":
		*p = p.refuse(CodeUnknown, "%s has no path for stage %s in %s", p.App.Name, stage, config.FileName)
		return File{}, false
	case !ok:
		*p = p.refuse(CodeFile, "stagehand did not read %s", path)
		return File{}, false
	case f.Problem != "":
		p.Path = path
		*p = p.refuse(CodeFile, "%s", f.Problem)
		return File{}, false
	}
	return f, true
}

func (p *Plan) setNext(cfg *config.Config) {
	p.Next = cfg.Next(p.Stage.Name)
}

func (p Plan) refuse(code Code, format string, args ...any) Plan {
	p.Verdict, p.Code, p.Reason = Refuse, code, fmt.Sprintf(format, args...)
	return p
}

func (p Plan) ignore(reason string) Plan {
	p.Verdict, p.Reason = Ignore, reason
	return p
}

// windowGate is the target stage's freeze windows as a page lists them.
func windowGate(p Plan, s Snapshot) Gate {
	if len(p.Stage.Windows) == 0 {
		return Gate{Name: "Window", OK: true, Text: fmt.Sprintf("%s has no freeze windows", p.Stage.Name)}
	}
	if fz := frozen(p.Stage, s.Now); fz.denied {
		return Gate{Name: "Window", Text: fz.text()}
	}
	return Gate{Name: "Window", OK: true, Text: fmt.Sprintf("%s is outside its freeze windows now", p.Stage.Name)}
}

// holdGate is the target stage's hold as a page lists it.
func holdGate(p Plan, s Snapshot) Gate {
	h, held := s.Holds[p.Stage.Name]
	if !held {
		return Gate{Name: "Hold", OK: true, Text: fmt.Sprintf("%s is not held", p.Stage.Name)}
	}
	return Gate{Name: "Hold", Text: gate.NotHeld(p.App.Name, p.Stage.Name, &h).Reason}
}

// soakGate is the target stage's soak time: the image must have run in the
// stage before long enough, counted from the merge stagehand saw put it
// there.
func soakGate(p Plan, s Snapshot, from config.Stage) Gate {
	to := p.Stage
	if to.Soak <= 0 {
		return Gate{Name: "Soak", OK: true, Text: fmt.Sprintf("%s requires no soak time", to.Name)}
	}
	// Where the stage before verifies, the image runs there from when its
	// health gate went green, not from the merge.
	at := ranSince(s, from, p.Want.Digest)
	if v := gate.Soaked(from.Name, to.Name, to.Soak, at, s.Now); !v.OK {
		return Gate{Name: "Soak", Text: v.Reason}
	}
	return Gate{Name: "Soak", OK: true, Text: fmt.Sprintf("the image has run at least %s in %s, as %s requires", to.Soak, from.Name, to.Name)}
}
