package promote

import (
	"fmt"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
)

// A group's request: each of its apps decided by the rules every app's
// request is decided by, and the group's verdict made of theirs. Pure,
// like the rest of Decide.

// grouped is r as its group's request where the config makes it one: a
// request that names a group is the group's, and a promotion or a chain of
// one of its apps moves the whole group. An app's push joins its group's
// window before it gets here (gather.go); rollbacks, holds and releases
// stay an app's own.
func (r Request) grouped(cfg *config.Config) Request {
	if r.Group != "" {
		return r
	}
	switch r.Kind {
	case Push, Reconsider, Chain, Promote:
		if g, ok := cfg.Group(r.App); ok {
			r.Group = g.Name
			return r
		}
	}
	switch r.Kind {
	case Chain, Promote:
		if g, ok := cfg.GroupOf(r.App); ok {
			r.App, r.Group = g.Name, g.Name
		}
	}
	return r
}

// decideGroup decides a group's request: each app as an app's request of
// the same kind, on the same snapshot with the app's own records; then the
// group as one. Any app a rule refuses refuses the group, with every
// reason; apps with nothing to do are left out; the rest move together.
func decideGroup(p Plan, s Snapshot, cfg *config.Config) Plan {
	r := p.Request
	g, ok := cfg.Group(r.Group)
	if !ok {
		return p.refuse(CodeUnknown, "there is no group %q in %s", r.Group, config.FileName)
	}
	p.Group = &g
	if r.LinkID != "" || r.Digest != "" {
		return p.refuse(CodeOrder, "a link promotes one app's image, and %s's apps move only together; comment `/promote %s to <stage>` to promote the group", g.Name, g.Name)
	}
	if r.Kind == Promote && r.Stage == "" {
		switch next := cfg.Next(r.From); {
		case len(next) == 0:
			p.Stage = config.Stage{Name: r.From}
			return p.refuse(CodeOrder, "%s is the last stage of %s: there is nowhere to promote it", r.From, g.Name)
		case len(next) > 1 || r.All:
			p.Stage = config.Stage{Name: r.From}
			return p.refuse(CodeOrder, "%s is followed by %s: say which, with `/promote %s to %s`, or `/promote %s to all` for each of them",
				r.From, names(next), g.Name, next[0].Name, g.Name)
		}
		r = r.resolve(cfg)
		r.From = "" // it named the PR's stage
		p.Request = r
	}
	if name, ok := target(r, cfg); ok {
		p.Stage, _ = cfg.Stage(name)
		p.setNext(cfg)
	}
	var apps []Request
	switch r.Kind {
	case Push:
		if until, open := windowOpen(g, s.Candidates, s.Now); open {
			p.Verdict, p.Until = Gather, until
			p.Reason = fmt.Sprintf("group %s waits until %s for more pushes of its apps", g.Name, until.UTC().Format(time.RFC3339Nano))
			return p
		}
		p.Candidates = s.Candidates
		apps = pushed(r, g, s, cfg)
	case Reconsider:
		return decideGroupReconsider(p, s, cfg)
	default:
		for _, name := range g.Apps {
			a := r
			a.App, a.Group = name, ""
			apps = append(apps, a)
		}
	}
	for _, a := range apps {
		as := s.member(a.App)
		if mp, ok := unmoved(a, as, cfg); ok {
			p.Members = append(p.Members, mp)
			continue
		}
		p.Members = append(p.Members, decideApp(Plan{Request: a, Base: s.Base}, as, cfg))
	}
	return p.combine()
}

// windowOpen says whether a group's window is still open, and until when:
// one window after the newest push it gathered, and no later than
// MaxGather windows after the first, so that a steady stream still moves.
func windowOpen(g config.Group, cands []Candidate, now time.Time) (time.Time, bool) {
	if len(cands) == 0 {
		return time.Time{}, false
	}
	first, last := cands[0].At, cands[0].At
	for _, c := range cands[1:] {
		if c.At.Before(first) {
			first = c.At
		}
		if c.At.After(last) {
			last = c.At
		}
	}
	until := last.Add(g.Window)
	if limit := first.Add(config.MaxGather * g.Window); limit.Before(until) {
		until = limit
	}
	return until, now.Before(until)
}

// pushed are the pushes a group's push proposes, one per app: the one its
// window gathered, or the one the group's open PR into the first stage
// proposes already, whichever is newer. The open PR's images stay in it:
// a push of one app adds to what the PR moves rather than replacing it.
func pushed(r Request, g config.Group, s Snapshot, cfg *config.Config) []Request {
	open := pinsOf(s.Open, g.Name, cfg.First().Name)
	var out []Request
	for _, name := range g.Apps {
		app, _ := cfg.App(name)
		var got *Request
		for _, c := range s.Candidates {
			if c.App == name {
				a := c.Request
				got = &a
			}
		}
		if pin, ok := open[name]; ok && (got == nil || Newer(app, pin.want(), wantOf(*got))) {
			got = &Request{Kind: Push, App: name, Image: pin.Image, Tag: pin.Tag, Digest: pin.Digest, PushedAt: pin.PushedAt}
		}
		if got == nil {
			continue
		}
		a := *got
		a.ID, a.LinkID, a.Group, a.Source = "", "", "", r.Source
		out = append(out, a)
	}
	return out
}

func wantOf(r Request) Want {
	return Want{Image: r.Image, Tag: r.Tag, Digest: r.Digest, PushedAt: r.PushedAt}
}

// pinsOf is what an open PR of group into stage proposes, by app; nothing
// for a PR that is not that group's.
func pinsOf(pr *githubapp.PullRequest, group, stage string) map[string]MemberPin {
	out := map[string]MemberPin{}
	if pr == nil {
		return out
	}
	m, ok, err := ParseMarker(pr.Body)
	if err != nil || !ok || m.Group != group || m.Stage != stage {
		return out
	}
	for _, pin := range m.Apps {
		out[pin.App] = pin
	}
	return out
}

// unmoved: an app whose source and target stage pin the same image by tag
// alone, as a config repository pins it before stagehand first moves it,
// has nothing to move; the rule against tag-only sources is about an image
// that would move, and must not stop its group.
func unmoved(r Request, s Snapshot, cfg *config.Config) (Plan, bool) {
	var from, to string
	switch r.Kind {
	case Chain:
		from, to = r.From, r.resolve(cfg).Stage
	case Promote:
		prev := cfg.Prev(r.Stage)
		if len(prev) != 1 {
			return Plan{}, false // a stage after several: the rules say whether they agree
		}
		from, to = prev[0].Name, r.Stage
	default:
		return Plan{}, false
	}
	app, _ := cfg.App(r.App)
	src, srcOK := s.Files[app.Path(from)]
	dst, dstOK := s.Files[app.Path(to)]
	if !srcOK || !dstOK || src.Problem != "" || dst.Problem != "" || src.Pinned.Digest != "" ||
		src.Pinned.Found != dst.Pinned.Found || src.Pinned.Tag != dst.Pinned.Tag || src.Pinned.Digest != dst.Pinned.Digest {
		return Plan{}, false
	}
	p := Plan{Request: r, Base: s.Base, App: app, Verdict: Nothing, From: dst.Pinned, Path: dst.Path, Before: dst.Data}
	p.Stage, _ = cfg.Stage(to)
	p.Reason = fmt.Sprintf("%s and %s pin %s alike, by tag alone; nothing to move", from, to, app.Name)
	return p, true
}

// decideGroupReconsider brings a group's open PR up to date, as
// decideReconsider does an app's: every app it moves, each by the rules.
func decideGroupReconsider(p Plan, s Snapshot, cfg *config.Config) Plan {
	r, g := p.Request, p.Group
	p.Stage = config.Stage{Name: r.Stage}
	pr := s.Open
	if pr == nil {
		return p.ignore("no open stagehand PR for group " + g.Name + " in " + r.Stage)
	}
	pins := pinsOf(pr, g.Name, r.Stage)
	if len(pins) == 0 {
		return p.ignore(fmt.Sprintf("PR #%d on %s carries no stagehand marker for group %s in %s", pr.Number, pr.Head, g.Name, r.Stage))
	}
	stage, ok := cfg.Stage(r.Stage)
	if !ok {
		return p.refuse(CodeUnknown, "%s no longer has stage %s; close PR #%d by hand", config.FileName, r.Stage, pr.Number)
	}
	p.Stage, p.Open = stage, pr
	p.setNext(cfg)
	m, _, _ := ParseMarker(pr.Body)
	for _, pin := range m.Apps {
		a := Plan{Request: Request{Kind: Reconsider, Source: r.Source, App: pin.App, Stage: r.Stage}, Base: s.Base, Stage: stage, Next: p.Next}
		app, ok := cfg.App(pin.App)
		if !ok || !g.Has(pin.App) {
			p.Members = append(p.Members, a.refuse(CodeUnknown, "PR #%d moves %s, which is no longer an app of group %s; close it by hand", pr.Number, pin.App, g.Name))
			continue
		}
		a.App = app
		as := s.member(pin.App)
		f, ok := a.file(as, stage.Name)
		if ok {
			a.Want = pin.want()
			a = a.write(as, f)
		}
		p.Members = append(p.Members, a)
	}
	return p.combine()
}

// combine makes the group's verdict of its apps' plans: a refusal of any
// app refuses the group, with every reason; then a soak time, then a
// manual stage, then the apps that move; apps with nothing to do are left
// out, and a group none of whose apps has anything to do does nothing.
func (p Plan) combine() Plan {
	g := p.Group.Name
	if p.Stage.Name == "" && len(p.Members) > 0 {
		p.Stage, p.Next = p.Members[0].Stage, p.Members[0].Next
	}
	p.Members = inTurn(p.Members)
	by := map[Verdict][]Plan{}
	for _, m := range p.Members {
		by[m.Verdict] = append(by[m.Verdict], m)
	}
	switch {
	case len(by[Refuse]) > 0:
		refused := by[Refuse]
		p = p.refuse(refused[0].Code, "%s", reasons(refused))
		for _, m := range refused {
			if m.Held != nil {
				h := *m.Held
				p.Held = &h
				break
			}
		}
	case len(by[Wait]) > 0:
		last := by[Wait][0]
		for _, m := range by[Wait][1:] {
			if m.Until.After(last.Until) {
				last = m
			}
		}
		p.Verdict, p.Code, p.Reason, p.Until = Wait, last.Code, last.Reason, last.Until
	case len(by[TellManual]) > 0:
		st := p.Stage.Name
		p.Verdict = TellManual
		p.Reason = fmt.Sprintf("%s is a manual stage: nothing moves until someone promotes %s there, with a comment `/promote %s to %s` or `stagehand promote --app %s --to %s`", st, g, g, st, g, st)
	case len(by[Propose]) > 0:
		p.Verdict = Propose
		p.Merge = p.Stage.Mode == config.AutoMerge
		for _, m := range by[Propose] {
			p.Reformatted = p.Reformatted || m.Reformatted
			if p.Forced == "" {
				p.Forced = m.Forced // the window is the stage's, the same for every app
			}
		}
	case len(by[Nothing]) > 0:
		p.Verdict = Nothing
		p.Reason = fmt.Sprintf("%s already runs what group %s would move there", p.Stage.Name, g)
	case len(p.Members) > 0:
		p = p.ignore(reasons(p.Members))
	default:
		p = p.ignore("no push of group " + g + "'s apps waits to be proposed")
	}
	return p
}

// inTurn makes the apps that pin their images in one file (an umbrella
// chart's values, one kustomization's images:) write it in turn: each
// app's rewrite was made on the base's file, and the group's commit holds
// one content per file, so each app after the first rewrites the output
// of the one before. Each app's Before is then what it rewrote, and its
// diff shows its own change.
func inTurn(members []Plan) []Plan {
	written := map[string][]byte{}
	for i, m := range members {
		if m.Verdict != Propose || m.After == nil {
			continue
		}
		if prev, ok := written[m.Path]; ok {
			m = m.rewrite(File{Path: m.Path, Target: m.App.Target(m.Stage.Name), Data: prev})
			m.Before = prev
			members[i] = m
		}
		if m.Verdict == Propose {
			written[m.Path] = m.After
		}
	}
	return members
}

// reasons joins the apps' reasons, each once: a refusal every app shares
// (who may promote) is said once, one that names an app (a hold) each time.
func reasons(ps []Plan) string {
	const most = 5
	var out []string
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[p.Reason] {
			seen[p.Reason] = true
			out = append(out, p.Reason)
		}
	}
	if len(out) > most {
		out = append(out[:most], fmt.Sprintf("and %d more", len(out)-most))
	}
	return strings.Join(out, "; ")
}
