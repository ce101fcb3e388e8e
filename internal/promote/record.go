package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// record puts what a request did where people look: the audit log (the
// history the API and `stagehand history` show), the outgoing webhooks
// (events.go), the request's own outcome for whoever waits for it, and,
// for refusals nobody asked to hear of, the place on GitHub where the
// person who can fix it looks. Failures to record are logged: the work
// they record is done.
func (e *Engine) record(ctx context.Context, p Plan, o Outcome) {
	r := p.Request
	log := e.log.With("app", r.App, "stage", o.Stage, "kind", r.Kind, "source", r.Source)
	if o.Result == Failed {
		return // retried; the try that ends it is recorded
	}
	if p.Group != nil {
		e.recordGroup(ctx, p, o)
	} else if worthRecording(r, o) {
		a := store.Action{At: e.now(), Actor: r.Actor.Name(r.Source), Kind: string(r.Kind), App: r.App, Stage: o.Stage,
			FromTag: o.From.Tag, FromDigest: o.From.Digest, ToTag: o.To.Tag, ToDigest: o.To.Digest,
			PR: o.PR, Result: string(o.Result), Reason: o.Reason, Source: string(r.Source)}
		if a.PR == 0 && r.Issue != 0 && !r.Source.automatic() {
			a.PR = r.Issue
		}
		if o.Forced != "" {
			a.Reason = strings.TrimSuffix(o.Forced+"; "+a.Reason, "; ")
		}
		if _, err := e.records.RecordAction(ctx, a); err != nil {
			log.Error("could not record the action", "err", err)
		}
	}
	e.announce(ctx, events(p, o, e.now())...)
	if r.ID != "" {
		done := store.Request{ID: r.ID, Result: string(o.Result), Code: string(o.Code), Reason: o.Reason, PR: o.PR, PRURL: o.PRURL}
		if err := e.records.FinishRequest(ctx, done, e.now()); err != nil {
			log.Error("could not record the request's outcome", "err", err)
		}
	}
	if err := e.tell(ctx, p, o); err != nil {
		log.Warn("could not tell of the outcome on GitHub", "err", err)
	}
}

// worthRecording: everything a person asked for, and what stagehand did or
// refused on its own; not pushes it ignored or found done already, which
// are logged and counted instead.
func worthRecording(r Request, o Outcome) bool {
	if !r.Source.automatic() {
		return true
	}
	if o.Code == CodeConfig {
		return false // kept and retried until the config is fixed; reported on the commit
	}
	switch o.Result {
	case Ignored, AlreadyThere, Unchanged, Gathered, HealthWaiting:
		return false
	}
	return true
}

// tell says on GitHub what an automatic request's refusal or stop means,
// where the person who can act looks: the PR whose merge the chain
// follows, or the commit whose config is broken. A hold's refusal is told
// on the hold's issue when it is kept (keepHeld).
func (e *Engine) tell(ctx context.Context, p Plan, o Outcome) error {
	r := p.Request
	if !r.Source.automatic() {
		return nil
	}
	switch {
	case p.Code == CodeConfig || p.Code == CodeFile:
		return e.reportBroken(ctx, p.Base.SHA, o.Reason)
	case r.Kind != Chain || r.Issue == 0:
		return nil
	case o.Result == Manual && p.Group != nil:
		return e.gh.Comment(ctx, r.Issue, groupManualNote(p))
	case o.Result == Manual:
		// The job may run again; a repeated note is the lesser harm than none.
		return e.gh.Comment(ctx, r.Issue, e.manualNote(p))
	case o.Result == Refused && p.Code == CodeVerifying:
		return nil // the health gate moves it on once green, and tells if it fails
	case o.Result == Refused && p.Held == nil:
		return e.gh.Comment(ctx, r.Issue, fmt.Sprintf("stagehand did not move %s on to %s: %s.", r.App, o.Stage, o.Reason))
	case o.Result == Waiting && o.Code == CodeFrozen:
		return e.gh.Comment(ctx, r.Issue, fmt.Sprintf("stagehand moves %s on to %s %s, when the freeze window opens: %s.",
			r.App, o.Stage, when(o.Until), o.Reason))
	case o.Result == Waiting && p.Group != nil:
		return e.gh.Comment(ctx, r.Issue, fmt.Sprintf("Group %s moves on to %s at %s, when its images have soaked in %s as long as %s requires.",
			r.App, o.Stage, o.Until.UTC().Format("2006-01-02 15:04 MST"), r.From, o.Stage))
	case o.Result == Waiting:
		return e.gh.Comment(ctx, r.Issue, fmt.Sprintf("%s `%s` moves on to %s at %s, when it has soaked in %s as long as %s requires.",
			r.App, o.To.Tag, o.Stage, o.Until.UTC().Format("2006-01-02 15:04 MST"), r.From, o.Stage))
	}
	return nil
}

// manualNote tells, on a merged PR whose next stage is manual, how to
// promote it there, with a one-click link where links are on.
func (e *Engine) manualNote(p Plan) string {
	r := p.Request
	body := fmt.Sprintf("%s `%s` is now in %s. %s.", r.App, p.Want.Tag, r.From, p.Reason)
	if e.links == nil || p.Want.Digest == "" || (len(p.Stage.Approvers) > 0 && !e.signIn) {
		return body
	}
	if link := e.links(r.App, r.From, p.Stage.Name, p.Want.Digest); link != "" {
		body += fmt.Sprintf("\n\nOr with one click: %s\nThe page shows what moves where and asks you to confirm; the link works once, for a limited time, and only while %s still runs `%s`.", link, r.From, p.Want.Tag)
	}
	return body
}

// reportBroken shows a broken config (or stage file) on the commit at the
// base branch's head, once per commit and problem.
func (e *Engine) reportBroken(ctx context.Context, sha, problem string) error {
	if e.reporter == nil || sha == "" {
		return nil
	}
	if prev, ok := e.reported.Load(sha); ok && prev.(string) == problem {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(problem, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if err := e.reporter.ConfigBroken(ctx, sha, lines); err != nil {
		return err
	}
	e.reported.Store(sha, problem)
	e.broken.Store(true)
	return nil
}

// reportFixed says the config is fine again, on the first commit after a
// broken one. The first caller claims the report, so that a config check
// and the work it woke, seeing the fix together, say it once.
func (e *Engine) reportFixed(ctx context.Context, sha string) {
	if e.reporter == nil || sha == "" || !e.broken.CompareAndSwap(true, false) {
		return
	}
	if err := e.reporter.ConfigFixed(ctx, sha); err != nil {
		e.broken.Store(true) // the next request says it
		e.log.Warn("could not report the config fixed", "sha", sha, "err", err)
	}
}

// CheckConfig reads the config at commit sha, which may have changed it,
// and shows on the commit what stagehand makes of it: a failing check run
// naming each problem, or a passing one when it fixes a broken config. A
// broken config is not an error here; failing to read it is.
func (e *Engine) CheckConfig(ctx context.Context, sha string) error {
	_, cerr, err := e.config(ctx, githubapp.Branch{Name: e.base, SHA: sha})
	if err != nil {
		return err
	}
	if cerr != nil {
		e.log.Warn("the config at a commit of the base branch cannot be used; work waits until it is fixed", "sha", sha, "err", cerr)
		return e.reportBroken(ctx, sha, cerr.Error())
	}
	e.reportFixed(ctx, sha)
	return nil
}
