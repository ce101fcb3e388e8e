package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// apply carries out a plan and nothing else: the plan decided; apply only
// writes what it says, to GitHub and to the records.
func (e *Engine) apply(ctx context.Context, p Plan) (Outcome, error) {
	o := p.outcome()
	var err error
	switch p.Verdict {
	case Ignore:
		o.Result = Ignored
	case Refuse:
		o.Result = Refused
		switch {
		case p.Held == nil || !p.Request.Source.automatic():
		case p.Group != nil:
			err = e.keepHeldGroup(ctx, p)
		default:
			err = e.keepHeld(ctx, p)
		}
	case Nothing:
		o.Result = AlreadyThere
		switch {
		case p.Group != nil:
			err = e.closeStaleGroup(ctx, p)
		case p.Point == nil:
			err = e.closeStale(ctx, Branch(p.App.Name, p.Stage.Name), p.Stage.Name, p.From)
		}
	case Wait:
		o.Result = Waiting
		err = e.scheduleSoak(ctx, p)
	case Gather:
		o.Result = Gathered
		err = e.scheduleGather(ctx, p)
	case TellManual:
		o.Result = Manual
	case PlaceHold:
		o.Result = HoldPlaced
		o.Reason = fmt.Sprintf("%s is held in %s: nothing moves there, automatically or by hand, until `/release %s %s`", p.App.Name, p.Stage.Name, p.App.Name, p.Stage.Name)
		err = e.records.PlaceHold(ctx, store.Hold{App: p.App.Name, Stage: p.Stage.Name, By: p.Request.Actor.Name(p.Request.Source),
			Reason: p.Request.Reason, At: e.now(), Issue: p.Request.Issue})
	case LiftHold:
		return e.release(ctx, p)
	case Healthy, Unhealthy:
		o, err = e.settleHealth(ctx, p, o)
	case Verifying:
		o.Result = HealthWaiting
		err = e.scheduleVerify(ctx, p)
	case Propose:
		if p.Point != nil {
			o, err = e.rollback(ctx, p)
		} else {
			o, err = e.propose(ctx, p)
		}
	}
	o.settleMembers()
	if err == nil {
		err = e.settleCandidates(ctx, p)
	}
	if err != nil {
		return o, err
	}
	return o, e.spendLink(ctx, p, o)
}

// spendLink uses up the request's link once its promotion was applied, or
// can never be: the stage runs it already, or its source stage moved on.
// A refusal that may pass later (a hold, a soak time, who clicked) leaves
// the link to work then, and a failure leaves it for the retry.
func (e *Engine) spendLink(ctx context.Context, p Plan, o Outcome) error {
	if p.Request.LinkID == "" {
		return nil
	}
	switch {
	case o.Done(), o.Code == CodeSuperseded:
	default:
		return nil
	}
	_, err := e.records.UseLink(ctx, p.Request.LinkID, e.now())
	return err
}

// propose brings the living PR of the app (or group) and stage to the
// plan's images: one commit on the base head, on the one branch the app
// and stage have, at most one PR, merged at once where the stage
// auto-merges and checks allow.
func (e *Engine) propose(ctx context.Context, p Plan) (o Outcome, err error) {
	o = p.outcome()
	required := func(context.Context) ([]string, error) { return nil, nil }
	if p.Merge {
		// The PR's body names the required checks and the merge needs
		// them, but the commit does not: they are read beside it, one
		// round trip fewer before the merge. A failure means no merge, so
		// it is an error, not "none".
		required = aside(ctx, func(ctx context.Context) ([]string, error) {
			checks, err := e.gh.RequiredChecks(ctx, e.base)
			if err != nil {
				return nil, fmt.Errorf("read required checks of %s: %w", e.base, err)
			}
			return checks, nil
		})
		defer required(ctx) // not left running past the proposal
	}
	// What the PR ships (registry and compare reads) is for its body too,
	// and read beside the commit as well.
	shipsOf := aside(ctx, func(ctx context.Context) (ships, error) { return e.ships(ctx, p), nil })
	defer shipsOf(ctx)
	w := e.writeup(p, nil, ships{})
	branch := w.branch
	commit := e.commitOnce(p.Base, w.message, w.files)
	keep := func(open *livingPR) bool {
		ok, _ := w.keep(open.pr)
		return ok
	}
	body := func(ctx context.Context) (string, error) {
		checks, err := required(ctx)
		if err != nil {
			return "", err
		}
		sh, err := shipsOf(ctx)
		if err != nil {
			return "", err
		}
		return e.writeup(p, checks, sh).body, nil
	}
	var early func(context.Context) (checksAt, error)
	if known, open := e.prs.get(branch); p.Merge && p.Request.Kind == Reconsider && known && open != nil && keep(&livingPR{open}) {
		// The checks of the PR's head changed, and the PR stays as it is:
		// its checks are read beside the required ones, not after them.
		early = e.checksAside(ctx, open.HeadSHA)
		defer early(ctx)
	}
	open, res, labelled, err := e.publish(ctx, branch, commit, w.labels, w.title, body, keep)
	if err != nil {
		return o, err
	}
	if labelled != nil {
		defer func() { err = errors.Join(err, labelled(ctx)) }()
	}
	o.Result, o.Published, o.PR, o.PRURL, o.HeadSHA = res, res, open.Number, open.URL, open.HeadSHA
	if res == Unchanged {
		if _, why := w.keep(open); why != "" {
			o.Reason = why
		}
	}
	log := e.log.With("app", p.Request.App, "stage", p.Stage.Name)
	if p.Group != nil {
		moving := 0
		for _, m := range p.Members {
			if m.Verdict == Propose {
				moving++
			}
		}
		log.Info("proposed", "result", res, "pr", open.Number, "group", p.Group.Name, "apps", moving)
	} else {
		log = log.With("digest", p.Want.Digest)
		log.Info("proposed", "result", res, "pr", open.Number, "tag", p.Want.Tag)
	}
	if !p.Merge {
		return o, nil
	}
	checks, err := required(ctx)
	if err != nil {
		return o, err
	}
	var rebuild func(context.Context) (string, error)
	if res == Unchanged {
		// The open PR may have been built on an older main that has since
		// changed the same lines; head is the same change on today's main,
		// made only now that it is needed.
		rebuild = func(ctx context.Context) (string, error) {
			head, err := commit(ctx)
			if err != nil {
				return "", err
			}
			if err := e.gh.MoveBranch(ctx, branch, head); err != nil {
				return "", fmt.Errorf("rebuild branch %s on %s: %w", branch, e.base, err)
			}
			e.prs.moved(branch, head)
			return head, nil
		}
	}
	return e.merge(ctx, o, open, checks, rebuild, early, log)
}

// checksAt are the checks of a commit.
type checksAt struct {
	sha    string
	checks []githubapp.Check
}

// checksAside starts reading the checks of sha.
func (e *Engine) checksAside(ctx context.Context, sha string) func(context.Context) (checksAt, error) {
	return aside(ctx, func(ctx context.Context) (checksAt, error) {
		checks, err := e.gh.Checks(ctx, sha)
		return checksAt{sha, checks}, err
	})
}

// aside starts read now and returns what waits for its answer (the same
// answer every time it is asked).
func aside[T any](ctx context.Context, read func(context.Context) (T, error)) func(context.Context) (T, error) {
	var (
		v    T
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		v, err = read(ctx)
	}()
	return func(wait context.Context) (T, error) {
		select {
		case <-done:
			return v, err
		case <-wait.Done():
			var zero T
			return zero, wait.Err()
		}
	}
}

// fixed is a body known beforehand.
func fixed(body string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return body, nil }
}

// writeup is what a proposal writes and says on GitHub, for an app or a
// group: its branch and labels, its words, its files, and whether an open
// PR proposes it already (or something newer), and why.
type writeup struct {
	branch               string
	labels               []string
	title, body, message string
	files                map[string][]byte
	keep                 func(*githubapp.PullRequest) (bool, string)
}

func (e *Engine) writeup(p Plan, required []string, sh ships) writeup {
	if p.Group != nil {
		return e.groupWriteup(p, required)
	}
	pr := proposal{app: p.App, stage: p.Stage, next: p.Next, base: e.base, path: p.Path, from: p.From, want: p.Want, reformat: p.Reformatted, required: required, ships: sh}
	pr.links = pr.nextLinks(e.links, e.signIn)
	return writeup{
		branch: Branch(p.App.Name, p.Stage.Name), labels: Labels(p.App.Name, p.Stage.Name),
		title: pr.title(), body: pr.body(), message: pr.commitMessage(),
		files: map[string][]byte{p.Path: p.After},
		keep: func(open *githubapp.PullRequest) (bool, string) {
			step, why := decideExisting(open, p.App, p.Want)
			return step == keepOpen, why
		},
	}
}

// commitOnce returns what makes the plan's commit: files set on the base
// head. It commits the first time it is called and returns that commit's
// SHA afterwards, so that a PR kept as it is costs no commit.
func (e *Engine) commitOnce(base githubapp.Branch, message string, files map[string][]byte) func(context.Context) (string, error) {
	var head string
	return func(ctx context.Context) (string, error) {
		if head != "" {
			return head, nil
		}
		sha, tree, err := e.gh.CreateCommit(ctx, base, message, files)
		if err != nil {
			what := fmt.Sprintf("%d files", len(files))
			for path := range files {
				if len(files) == 1 {
					what = path
				}
			}
			return "", fmt.Errorf("commit %s: %w", what, err)
		}
		e.wrote(base, tree, files)
		head = sha
		return head, nil
	}
}

// rollback places the rollback's hold first, so that no automatic
// promotion takes the stage's one living PR back, then opens the PR that
// restores the earlier image; when that fails the hold is put back as it
// was, since nobody was told of a rollback.
func (e *Engine) rollback(ctx context.Context, p Plan) (Outcome, error) {
	o := p.outcome()
	app, stage := p.App.Name, p.Stage.Name
	prev, wasHeld, err := e.records.HoldOn(ctx, app, stage)
	if err != nil {
		return o, err
	}
	hold := store.Hold{App: app, Stage: stage, By: p.Request.Actor.Name(p.Request.Source), At: e.now(), Rollback: true, Issue: p.Request.Issue}
	if wasHeld {
		hold.Reason = prev.Reason // the reason someone held it still stands
	}
	if err := e.records.PlaceHold(ctx, hold); err != nil {
		return o, err
	}
	o, err = e.openRollback(ctx, p, hold)
	if err != nil {
		var rerr error
		if wasHeld {
			rerr = e.records.PlaceHold(ctx, prev)
		} else {
			_, rerr = e.records.ReleaseHold(ctx, app, stage)
		}
		return o, errors.Join(err, rerr)
	}
	return o, nil
}

func (e *Engine) openRollback(ctx context.Context, p Plan, h store.Hold) (Outcome, error) {
	o := p.outcome()
	rb := rollback{app: p.App, stage: p.Stage, next: p.Next, base: e.base, path: p.Path, from: p.From, want: p.Want, point: *p.Point, reformat: p.Reformatted,
		hold: &gate.Hold{By: h.By, Reason: h.Reason, At: h.At, Rollback: true}}
	commit := e.commitOnce(p.Base, rb.commitMessage(), map[string][]byte{p.Path: p.After})
	// A PR that already is this rollback is left as it is; any other open
	// PR there (a pending promotion) becomes the rollback, since the stage
	// cannot both move on and go back.
	keep := func(open *livingPR) bool {
		m, ok, err := ParseMarker(open.pr.Body)
		return err == nil && ok && m.Rollback && m.Digest == p.Want.Digest && m.Tag == p.Want.Tag
	}
	open, res, labelled, err := e.publish(ctx, Branch(p.App.Name, p.Stage.Name), commit, Labels(p.App.Name, p.Stage.Name), rb.title(), fixed(rb.body()), keep)
	if err == nil && labelled != nil {
		err = labelled(ctx)
	}
	if err != nil {
		return o, err
	}
	o.Result, o.Published, o.PR, o.PRURL, o.HeadSHA = res, res, open.Number, open.URL, open.HeadSHA
	e.log.Info("rollback proposed", "app", p.App.Name, "stage", p.Stage.Name, "digest", p.Want.Digest, "result", res, "pr", open.Number, "restores", p.Point.Commit.SHA)
	return o, nil
}

// release lifts the hold and, when it had stopped an automatic promotion,
// proposes the newest one at once: the stage's lock is held already.
func (e *Engine) release(ctx context.Context, p Plan) (Outcome, error) {
	o := p.outcome()
	if _, err := e.records.ReleaseHold(ctx, p.App.Name, p.Stage.Name); err != nil {
		return o, err
	}
	o.Result = HoldLifted
	o.Reason = fmt.Sprintf("%s is released in %s: promotions move there again", p.App.Name, p.Stage.Name)
	kept, ok, err := e.records.Held(ctx, p.App.Name, p.Stage.Name)
	if err != nil || !ok {
		return o, err
	}
	r, err := DecodeRequest(kept.Request)
	if err != nil {
		e.log.Warn("the promotion a hold kept cannot be read; dropped", "app", p.App.Name, "stage", p.Stage.Name, "err", err)
		return o, e.records.DropHeld(ctx, p.App.Name, p.Stage.Name)
	}
	r.ID, r.LinkID, r.Source = "", "", FromRelease
	if r.Group != "" && e.sched != nil {
		// A group's request writes under the group's lock, not this app's:
		// the queue runs it, as it runs every other.
		if err := e.sched.Schedule(ctx, r, time.Time{}); err != nil {
			return o, nil // kept; the next push or /promote moves the group
		}
		o.Reason += fmt.Sprintf("; group %s's promotion into %s, which waited for it, is proposed again now", r.Group, p.Stage.Name)
		return o, e.records.DropHeld(ctx, p.App.Name, p.Stage.Name)
	}
	then, err := e.runLocked(ctx, r, "", nil)
	o.Then = &then
	if err != nil {
		// The stage is released; the kept promotion stays kept, and the
		// next push or /promote moves the stage, or a retry of this one.
		return o, nil
	}
	return o, e.records.DropHeld(ctx, p.App.Name, p.Stage.Name)
}

// keepHeld remembers the automatic promotion a hold refused, if it is
// newer than the one kept already, and says so on the issue where the
// hold was placed, in one note kept up to date.
func (e *Engine) keepHeld(ctx context.Context, p Plan) error {
	app, stage := p.App.Name, p.Stage.Name
	kept, ok, err := e.records.Held(ctx, app, stage)
	if err != nil {
		return err
	}
	if ok {
		if old, err := DecodeRequest(kept.Request); err == nil && !newerRequest(p.App, p.Request, p.Want, old) {
			return nil
		}
	}
	r := p.Request
	r.ID, r.LinkID = "", ""
	if r.Kind == Push || r.Kind == Reconsider {
		// What to propose again: the exact image, not the tag re-resolved.
		r.Kind, r.Image, r.Tag, r.Digest, r.PushedAt = Push, p.Want.Image, p.Want.Tag, p.Want.Digest, p.Want.PushedAt
	}
	enc, err := r.Encode()
	if err != nil {
		return err
	}
	if err := e.records.KeepHeld(ctx, store.HeldRequest{App: app, Stage: stage, Request: enc, At: e.now()}); err != nil {
		return err
	}
	return e.noteHeld(ctx, app, stage, heldNote(p))
}

// noteHeld says what a hold keeps on the issue where the hold was placed,
// in one note kept up to date.
func (e *Engine) noteHeld(ctx context.Context, app, stage, note string) error {
	h, held, err := e.records.HoldOn(ctx, app, stage)
	if err != nil || !held || h.Issue == 0 {
		return err
	}
	id, err := e.gh.Note(ctx, h.Issue, h.Note, note)
	if err != nil {
		e.log.Warn("could not tell of the held promotion on the hold's issue", "app", app, "stage", stage, "issue", h.Issue, "err", err)
		return nil
	}
	if id != h.Note {
		return e.records.SetHoldNote(ctx, app, stage, id)
	}
	return nil
}

// newerRequest says whether the refused request r (proposing want) should
// replace old as the one a hold keeps.
func newerRequest(app config.App, r Request, want Want, old Request) bool {
	if old.Kind != Push {
		return true // a chain is kept as the latest state to move on from
	}
	if r.Kind == Chain || want.Digest == old.Digest {
		return true
	}
	prev := Want{Tag: old.Tag, Digest: old.Digest, PushedAt: old.PushedAt}
	byVersion := app.Tags.Ordered() && want.Tag != prev.Tag && app.Tags.Accepts(want.Tag) && app.Tags.Accepts(prev.Tag)
	if !byVersion && (want.PushedAt.IsZero() || prev.PushedAt.IsZero()) {
		// Neither a version nor the registry's clock orders the two (a
		// pattern policy's tags, or one tag pushed again, without push
		// times): the later arrival is the newer push, as it is for a
		// stage that is not held, where it would simply be proposed.
		// Newer alone would keep the first image for ever.
		return true
	}
	return Newer(app, want, prev)
}

func heldNote(p Plan) string {
	by := "a push"
	if p.Request.Kind == Chain {
		by = "the merge into " + p.Request.From
	}
	return fmt.Sprintf("stagehand kept the newest image %s asked to move into **%s** while %s is held there:\n\n"+
		"| image | tag | digest |\n|---|---|---|\n| `%s` | `%s` | `%s` |\n\n"+
		"`/release %s %s` proposes it at once. Nothing moves into %s until then.",
		by, p.Stage.Name, p.App.Name, p.Want.Image, p.Want.Tag, p.Want.Digest, p.App.Name, p.Stage.Name, p.Stage.Name)
}

// scheduleSoak asks for the request again when the soak time is over, or
// when the freeze window it met opens. A frozen request keeps its source
// (a push stays a push); a soaked chain comes back as the soak's.
func (e *Engine) scheduleSoak(ctx context.Context, p Plan) error {
	if e.sched == nil {
		return nil
	}
	r := p.Request
	if p.Code == CodeFrozen {
		if r.Group != "" && r.Kind == Push {
			// The group's push of its gathered pushes, asked for once
			// when the window opens however many bursts it stopped.
			r = groupPush(r.Group, r.Source, p.Until)
			if r.ID == p.Request.ID {
				r.ID += "/" + NewID()
			}
		}
		e.log.Info("promotion waits for the freeze window to open", "app", p.Request.App, "stage", p.Stage.Name, "at", p.Until)
		return e.sched.Schedule(ctx, r, p.Until)
	}
	r.Source = FromSoak
	e.log.Info("promotion waits for the soak time", "app", p.App.Name, "stage", p.Stage.Name, "at", p.Until)
	return e.sched.Schedule(ctx, r, p.Until)
}
