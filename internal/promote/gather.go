package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// A group's window: the pushes of its apps wait in the store (one per app,
// the newest) until no push of the group has come for a window; then one
// request of the group's takes them all and proposes them together.

// gather keeps an app's push for its group's window, in place of an older
// push of the same app, and asks for the group's push for when the window
// may have closed. That request decides whether it has (decideGroup), and
// asks again if not.
func (e *Engine) gather(ctx context.Context, r Request, cfg *config.Config, g config.Group) (Outcome, error) {
	want := wantOf(r)
	o := Outcome{Request: r, App: r.App, Group: g.Name, Stage: cfg.First().Name, Result: Gathered, To: want}
	if e.sched == nil {
		return e.failed(r, fmt.Errorf("promote: %s is in group %s, whose pushes wait for each other through a scheduler, and there is none", r.App, g.Name))
	}
	if app, ok := cfg.App(r.App); ok {
		waiting, err := e.candidates(ctx, g.Name)
		if err != nil {
			return e.failed(r, err)
		}
		for _, c := range waiting {
			if c.App == r.App && !newerRequest(app, r, want, c.Request) {
				o.Reason = fmt.Sprintf("%s %s waits already for group %s's window, and is newer than %s", c.App, c.Request.Tag, g.Name, r.Tag)
				return o, nil
			}
		}
	}
	kept := r
	kept.ID, kept.LinkID = "", ""
	enc, err := kept.Encode()
	if err != nil {
		return e.failed(r, err)
	}
	now := e.now()
	if err := e.records.OfferCandidate(ctx, store.Candidate{Group: g.Name, App: r.App, Request: enc, At: now}); err != nil {
		return e.failed(r, err)
	}
	due := windowDue(now, g.Window)
	if err := e.sched.Schedule(ctx, groupPush(g.Name, r.Source, due), due); err != nil {
		return e.failed(r, err)
	}
	o.Reason = fmt.Sprintf("waits for the other pushes of group %s, which moves once none has come for %s", g.Name, g.Window)
	e.log.Info("push gathered for its group", "app", r.App, "group", g.Name, "tag", r.Tag, "digest", r.Digest)
	return o, nil
}

// groupPush is the request that takes the pushes a group's window
// gathered. Its id names the moment it is due, so that the pushes of one
// burst ask for it once.
func groupPush(group string, src Source, due time.Time) Request {
	return Request{ID: fmt.Sprintf("group/%s/%d", group, due.UnixMilli()), Kind: Push, Source: src, App: group, Group: group}
}

// windowDue is when a push at now asks for its group's push: a window
// later, rounded up to a quarter of a window, so that the pushes of a
// burst share one request.
func windowDue(now time.Time, window time.Duration) time.Time {
	q := max(window/4, time.Millisecond)
	return now.Add(window).Truncate(q).Add(q)
}

// scheduleGather asks for the group's push again when its window closes.
func (e *Engine) scheduleGather(ctx context.Context, p Plan) error {
	if e.sched == nil {
		return errors.New("promote: a group's window needs a scheduler")
	}
	next := groupPush(p.Group.Name, p.Request.Source, p.Until)
	if next.ID == p.Request.ID {
		// This very request, run early by a clock that differs: a new id,
		// or the queue would take it for this one and drop it.
		next.ID += "/" + NewID()
	}
	return e.sched.Schedule(ctx, next, p.Until)
}

// settleCandidates forgets the pushes a group's push used, once applied:
// proposed, found there already, or refused. Pushes a hold refused stay
// for its release, the window's pushes for the window, and those a freeze
// window stopped for the group's push when it opens. A push of an
// app that left the group is its own push again; a push that came while
// the request ran is asked for again, so that none is stranded.
func (e *Engine) settleCandidates(ctx context.Context, p Plan) error {
	if p.Group == nil || p.Request.Kind != Push || p.Verdict == Gather || p.Verdict == Wait || p.Verdict == Refuse && p.Held != nil {
		return nil
	}
	used := map[string]time.Time{}
	for _, c := range p.Candidates {
		if !p.Group.Has(c.App) && e.sched != nil {
			own := c.Request
			own.Group = ""
			if err := e.sched.Schedule(ctx, own, time.Time{}); err != nil {
				return err
			}
		}
		if err := e.records.DropCandidate(ctx, store.Candidate{Group: p.Group.Name, App: c.App, Request: c.stored, At: c.At}); err != nil {
			return err
		}
		used[c.App] = c.At
	}
	left, err := e.records.Candidates(ctx, p.Group.Name)
	if err != nil || len(left) == 0 || e.sched == nil {
		return err
	}
	for _, c := range left {
		if at, ok := used[c.App]; !ok || !at.Equal(c.At) {
			due := windowDue(e.now(), p.Group.Window)
			return e.sched.Schedule(ctx, groupPush(p.Group.Name, p.Request.Source, due), due)
		}
	}
	return nil
}
