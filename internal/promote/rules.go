package promote

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/window"
)

// The rules: each is pure, takes plain values and says yes or why not, in
// words a person can act on. Decide (plan.go) applies them; nothing else
// does.

// Want is an image proposed for a stage: always a tag and a digest, and
// always the digest that was resolved from the registry or read from the
// previous stage, never re-resolved.
type Want struct {
	Image    string // the app's repository, as in .stagehand.yaml
	Tag      string
	Digest   string
	From     string    // the stage it is promoted from; "" for a push
	PushedAt time.Time // when the registry says it was pushed; zero when unknown
}

// verdict is a decision that may refuse: ok, or a reason a person can act on.
type verdict struct {
	ok     bool
	reason string
}

func yes() verdict                          { return verdict{ok: true} }
func no(format string, args ...any) verdict { return verdict{reason: fmt.Sprintf(format, args...)} }
func (v verdict) String() string            { return v.reason }

func pinnedString(p manifest.Pinned) (tag, digest string) {
	tag, digest = p.Tag, p.Digest
	if tag == "" {
		tag = "none"
	}
	if digest == "" {
		digest = "none pinned"
	}
	return tag, digest
}

// AcceptsPush says whether a pushed tag may enter the app's first stage,
// before anything is read: the tag policy is checked first so that a tag it
// rejects costs no request at all.
func AcceptsPush(app config.App, tag string) verdict {
	if !app.Tags.Accepts(tag) {
		return no("tag %s is not accepted by %s's tag policy (%s); nothing was changed", tag, app.Name, app.Tags)
	}
	return yes()
}

// notBackwards refuses a pushed tag that would move an ordered (semver)
// policy backwards from what the first stage runs now.
func notBackwards(app config.App, stage, tag string, current manifest.Pinned) verdict {
	if current.Found && app.Tags.Ordered() && app.Tags.Older(tag, current.Tag) {
		return no("%s runs %s in %s; %s is older and a semver policy never moves a stage back (use a rollback for that)", app.Name, current.Tag, stage, tag)
	}
	return yes()
}

// notPushedBefore refuses, for a policy with no version order, an image
// the registry says was pushed before the one the stage runs (a late
// notification of an older push, or a reconcile finding an older tag).
func notPushedBefore(app config.App, stage string, r Request, current manifest.Pinned, merged MergedAt) verdict {
	if app.Tags.Ordered() || r.PushedAt.IsZero() || merged.PushedAt.IsZero() || !current.Found || merged.Digest != current.Digest {
		return yes()
	}
	if r.PushedAt.Before(merged.PushedAt) && r.Digest != current.Digest {
		return no("%s runs %s in %s, pushed at %s; %s was pushed before it, at %s, so it is not proposed", app.Name, current.Tag, stage,
			merged.PushedAt.UTC().Format(time.RFC3339), r.Tag, r.PushedAt.UTC().Format(time.RFC3339))
	}
	return yes()
}

// freeze is a stage's freeze windows at one time: whether one denies it,
// which, and when they all open (zero: never).
type freeze struct {
	denied bool
	window window.Window
	opens  time.Time
	stage  string
}

// frozen says whether stage is inside one of its freeze windows at now.
func frozen(stage config.Stage, now time.Time) freeze {
	w, opens, denied := stage.Windows.Denied(now)
	return freeze{denied: denied, window: w, opens: opens, stage: stage.Name}
}

func (f freeze) text() string {
	if f.opens.IsZero() {
		return fmt.Sprintf("%s is inside its freeze window %s, and its windows never open", f.stage, f.window)
	}
	return fmt.Sprintf("%s is inside its freeze window %s: nothing moves into it until it opens %s", f.stage, f.window, when(f.opens))
}

// when names a time for people in two zones: UTC, which everyone can
// compare, and the window's own, which its author thinks in.
func when(t time.Time) string {
	utc := t.UTC().Format("Mon 2006-01-02 15:04 MST")
	if t.Location() == time.UTC {
		return "at " + utc
	}
	return fmt.Sprintf("at %s (%s)", utc, t.Format("Mon 15:04 MST"))
}

// sourceStage finds the stage a promotion into `to` takes its image from:
// a stage it follows, never one further back; from, where a link names it,
// else the first it follows. A stage that follows several takes an image
// they all run (fanIn), so any of them will do.
func sourceStage(cfg *config.Config, to, from string) (config.Stage, config.Stage, verdict) {
	target, ok := cfg.Stage(to)
	if !ok {
		return config.Stage{}, config.Stage{}, no("there is no stage %q in %s (stages: %s)", to, config.FileName, stageNames(cfg))
	}
	prev := cfg.Prev(to)
	if len(prev) == 0 {
		return config.Stage{}, target, no("%s is the first stage: images enter it when they are pushed to the registry, not by promotion", to)
	}
	for _, st := range prev {
		if st.Name == from {
			return st, target, yes()
		}
	}
	return prev[0], target, yes()
}

// fanIn: a stage that follows several takes an image only once every one
// of them runs it, so that it never runs what one of them has not run.
// from is the stage the image comes from.
func fanIn(p Plan, s Snapshot, sources []config.Stage, from string, want Want) verdict {
	var behind, names []string
	for _, st := range sources {
		names = append(names, st.Name)
		if st.Name == from {
			continue
		}
		f, ok := s.Files[p.App.Path(st.Name)]
		switch {
		case !ok || f.Problem != "":
			behind = append(behind, st.Name+" (its file could not be read)")
		case !f.Pinned.Found:
			behind = append(behind, st.Name+" (pins nothing)")
		case f.Pinned.Digest != want.Digest:
			behind = append(behind, fmt.Sprintf("%s (runs `%s`)", st.Name, f.Pinned.Tag))
		}
	}
	if len(behind) == 0 {
		return yes()
	}
	return no("%s takes an image only once %s all run it, and %s %s not run %s `%s` yet; it moves on to %s when %s",
		p.Stage.Name, strings.Join(names, ", "), strings.Join(behind, " and "), map[bool]string{true: "does", false: "do"}[len(behind) == 1],
		p.App.Name, want.Tag, p.Stage.Name, map[bool]string{true: "that stage runs it too", false: "they run it too"}[len(behind) == 1])
}

// soakGates is the target stage's soak time over the stages it takes
// images from: the first not passed, else the first passed.
func soakGates(p Plan, s Snapshot, sources []config.Stage) Gate {
	var first Gate
	for i, from := range sources {
		g := soakGate(p, s, from)
		if !g.OK {
			return g
		}
		if i == 0 {
			first = g
		}
	}
	if len(sources) == 0 {
		return soakGate(p, s, config.Stage{})
	}
	return first
}

// healthGates is the health gate of each stage the target takes images
// from: the first not passed, else the first passed.
func healthGates(sources []config.Stage, s Snapshot, digest string, person bool) (Gate, Code) {
	var first Gate
	for i, from := range sources {
		g, code := healthGate(from, s.health(from.Name), digest, person)
		if !g.OK {
			return g, code
		}
		if i == 0 {
			first = g
		}
	}
	if len(sources) == 0 {
		return healthGate(config.Stage{}, nil, digest, person)
	}
	return first, ""
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// names lists stages for messages: "prod-eu, prod-us".
func names(stages []config.Stage) string {
	out := make([]string, len(stages))
	for i, s := range stages {
		out[i] = s.Name
	}
	return strings.Join(out, ", ")
}

// takeSource takes the image to promote exactly as the source stage pins
// it. A source pinned by tag alone is refused: promoting it would mean
// re-resolving the tag, and a tag can point at another image by now.
func takeSource(app config.App, from string, path string, src manifest.Pinned) (Want, verdict) {
	if t := app.Target(from); !src.Found && !t.IsKustomization() {
		return Want{}, no("%s pins nothing at %s in %s, so there is nothing to promote from %s", from, t.Tag+t.Image, path, from)
	} else if !src.Found {
		return Want{}, no("%s has no images: entry for %s in %s, so there is nothing to promote from %s", from, app.Image, path, from)
	}
	if src.Digest == "" {
		return Want{}, no("%s pins %s by tag %s only, with no digest, in %s; stagehand promotes only an exact digest. Let stagehand pin it (push the image again) or add `digest: sha256:…` to that entry", from, app.Image, src.Tag, path)
	}
	return Want{Image: app.Image, Tag: src.Tag, Digest: src.Digest, From: from}, yes()
}

// alreadyRuns: the stage pins the digest wanted, so there is nothing to do.
func alreadyRuns(current manifest.Pinned, want Want) bool {
	return current.Found && current.Digest == want.Digest
}

// Newer reports whether a is a newer image than b for app: a higher
// version under a semver policy, else a later push by the registry's clock.
// It decides which of two proposals a hold keeps, and which tag of a burst
// wins.
func Newer(app config.App, a, b Want) bool {
	if a.Digest == b.Digest && a.Tag == b.Tag {
		return false
	}
	if app.Tags.Ordered() && a.Tag != b.Tag && app.Tags.Accepts(a.Tag) && app.Tags.Accepts(b.Tag) {
		return app.Tags.Older(b.Tag, a.Tag)
	}
	return a.PushedAt.After(b.PushedAt)
}

// existingStep is what to do about the living PR of an app and stage when
// its branch already exists.
type existingStep int

const (
	openNew    existingStep = iota // no open PR: (re)use the branch and open one
	keepOpen                       // the open PR proposes exactly this, or something newer: touch nothing
	updateOpen                     // the open PR proposes something else: move it to this
)

func decideExisting(pr *githubapp.PullRequest, app config.App, want Want) (existingStep, string) {
	if pr == nil {
		return openNew, ""
	}
	m, ok, err := ParseMarker(pr.Body)
	if err != nil || !ok {
		// Our branch, but not our body: take the PR over with a proper one.
		return updateOpen, ""
	}
	if m.Digest == want.Digest && m.Tag == want.Tag {
		return keepOpen, fmt.Sprintf("#%d already proposes %s@%s", pr.Number, want.Tag, short(want.Digest))
	}
	if want.From == "" && m.From == "" && !m.Rollback && Newer(app, m.want(), want) {
		return keepOpen, fmt.Sprintf("#%d proposes %s, newer than %s", pr.Number, m.Tag, want.Tag)
	}
	return updateOpen, ""
}

// isStale reports whether an open PR proposes what the stage already runs.
func isStale(pr *githubapp.PullRequest, current manifest.Pinned) bool {
	if pr == nil || !current.Found {
		return false
	}
	m, ok, err := ParseMarker(pr.Body)
	return err == nil && ok && m.Digest == current.Digest
}

// mergeStep is what to do with an auto-merge PR now.
type mergeStep int

const (
	mergeNow  mergeStep = iota
	waitCheck           // a required check has not passed yet: a later check event retries
	blocked             // a required check failed: a person must act
)

// decideMerge fails closed: a required check that is missing, pending or
// failing never merges.
func decideMerge(base string, required []string, checks []githubapp.Check) (mergeStep, string) {
	if len(required) == 0 {
		return mergeNow, ""
	}
	state := make(map[string]string, len(checks))
	for _, c := range checks {
		state[c.Name] = c.State
	}
	var failing, waiting []string
	for _, name := range required {
		switch state[name] {
		case "success":
		case "failure":
			failing = append(failing, name)
		case "pending":
			waiting = append(waiting, name+" (pending)")
		default:
			waiting = append(waiting, name+" (not reported yet)")
		}
	}
	switch {
	case len(failing) > 0:
		sort.Strings(failing)
		return blocked, fmt.Sprintf("required check %s failed, so stagehand will not merge; fix it and re-run the check, or close this PR", strings.Join(failing, ", "))
	case len(waiting) > 0:
		sort.Strings(waiting)
		return waitCheck, fmt.Sprintf("waiting for %s's required checks: %s; stagehand merges as soon as they pass", base, strings.Join(waiting, ", "))
	}
	return mergeNow, ""
}

// mayAct is who may act on a stage: nobody is asked for stagehand's own
// requests; a bearer link stands in for write permission and never for an
// approver; an actor without a login cannot be checked against approvers;
// a person is checked as GitHub knows them.
func mayAct(r Request, s Snapshot, stage config.Stage, what string) (gate.Verdict, Code) {
	if r.Source.automatic() {
		return gate.Verdict{OK: true}, ""
	}
	who := fmt.Sprintf("anyone with write permission on the config repository may %s", what)
	if len(stage.Approvers) > 0 {
		who = fmt.Sprintf("only %s may %s", strings.Join(stage.Approvers, ", "), what)
	}
	switch {
	case r.Actor.Login == "" && r.Source == FromLink && !r.Actor.Bearer:
		return gate.Verdict{Reason: who + "; sign in with GitHub so stagehand can check that you may"}, CodeSignIn
	case r.Actor.Bearer && len(stage.Approvers) > 0:
		return gate.Verdict{Reason: fmt.Sprintf("%s, and a link cannot tell who clicked it (GitHub sign-in is not configured); an approver must comment `/promote %s to %s`", who, r.App, stage.Name)}, CodeNotAllowed
	case r.Actor.Bearer:
		return gate.Verdict{OK: true, Reason: fmt.Sprintf("%s names no approvers, so anyone with write permission may %s, and this link stands in for that permission", stage.Name, what)}, ""
	case r.Actor.Login == "" && len(stage.Approvers) > 0:
		return gate.Verdict{Reason: fmt.Sprintf("%s; stagehand cannot tell who you are, so set GITHUB_TOKEN to your own GitHub token and it will check", who)}, CodeNotAllowed
	case r.Actor.Login == "":
		// The App's private key is write access to the repository already.
		return gate.Verdict{OK: true, Reason: fmt.Sprintf("%s names no approvers, and the App's key is write access", stage.Name)}, ""
	case s.Person == nil:
		return gate.Verdict{Reason: fmt.Sprintf("stagehand could not look up @%s on GitHub", r.Actor.Login)}, CodeNotAllowed
	}
	v := gate.AllowedTo(what, stage.Name, stage.Approvers, *s.Person)
	if v.OK {
		v.Reason = fmt.Sprintf("@%s: %s, and you may", r.Actor.Login, who)
		return v, ""
	}
	return v, CodeNotAllowed
}

func appNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Apps))
	for i, a := range cfg.Apps {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

func stageNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Stages))
	for i, s := range cfg.Stages {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// short abbreviates a digest for titles and messages: sha256:0123456789ab.
func short(digest string) string {
	if len(digest) > len("sha256:")+12 {
		return digest[:len("sha256:")+12]
	}
	return digest
}
