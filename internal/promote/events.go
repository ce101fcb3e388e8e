package promote

import (
	"context"
	"time"

	"github.com/stagehand-dev/stagehand/internal/notify"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Events for the outgoing webhooks are decided in two places every
// promotion passes through, whatever way it came in: record, for what a
// request did (a PR opened, a refusal, a hold, a release, a rollback),
// and Merged, for every merge, stagehand's or a person's, told once (the
// first record of the merge). Adding a kind of event is a constant in
// internal/notify and a case in eventKind, or a call of announce where
// the engine learns of it.

// events are what a request's outcome tells the receivers: the same
// outcomes the history records, for an app or for each app a group moved.
func events(p Plan, o Outcome, at time.Time) []notify.Event {
	r := p.Request
	if o.Result == Failed {
		return nil
	}
	if p.Group == nil {
		if !worthRecording(r, o) {
			return nil
		}
		if ev, ok := event(r, o, o.Published, at); ok {
			return []notify.Event{ev}
		}
		return nil
	}
	var out []notify.Event
	for _, m := range o.Members {
		if !worthRecording(r, m) {
			continue
		}
		m.PR, m.Group = o.PR, o.Group
		if ev, ok := event(r, m, o.Published, at); ok {
			out = append(out, ev)
		}
	}
	return out
}

// event is the event of one app's outcome; published is what publishing
// its PR did before any merge (the merge itself is Merged's to tell).
func event(r Request, o Outcome, published Result, at time.Time) (notify.Event, bool) {
	kind, ok := eventKind(r, o.Result, published)
	if !ok {
		return notify.Event{}, false
	}
	ev := notify.Event{Kind: kind, App: o.App, Group: o.Group, Stage: o.Stage, Tag: o.To.Tag, Digest: o.To.Digest,
		Actor: r.Actor.Name(r.Source), Source: string(r.Source), At: at}
	switch {
	case o.PR != 0:
		ev.PR = &notify.PR{Number: o.PR, URL: o.PRURL}
	case r.Issue != 0 && !r.Source.automatic():
		ev.PR = &notify.PR{Number: r.Issue} // where the person asked, as the history records it
	}
	switch kind {
	case notify.Refused, notify.VerifyFailed:
		ev.Reason = o.Reason
	case notify.Held:
		ev.Reason = r.Reason // the person's reason, not stagehand's explanation
		ev.Tag, ev.Digest = "", ""
	case notify.Released:
		ev.Tag, ev.Digest = "", ""
	}
	return ev, true
}

// eventKind maps a request's result to the event it tells, if any.
func eventKind(r Request, res, published Result) (notify.Kind, bool) {
	switch res {
	case Opened, Updated:
		if r.Kind == Rollback {
			return notify.RolledBack, true
		}
		return notify.Opened, true
	case Merged:
		// Opened and merged at once (an auto-merge stage whose checks
		// pass): the PR was opened all the same; Merged tells the merge.
		if published == Opened || published == Updated {
			return notify.Opened, true
		}
	case Refused:
		return notify.Refused, true
	case HoldPlaced:
		return notify.Held, true
	case HoldLifted:
		return notify.Released, true
	case HealthFailed:
		return notify.VerifyFailed, true
	}
	return "", false
}

// mergedEvent tells of a merge recorded for the first time.
func mergedEvent(m store.Merge) notify.Event {
	return notify.Event{Kind: notify.Merged, App: m.App, Group: m.Group, Stage: m.Stage, Tag: m.Tag, Digest: m.Digest,
		PR: &notify.PR{Number: m.PR}, Actor: m.MergedBy, Source: "merge", At: m.At}
}

// announce hands events to the notifier, which queues them: it neither
// blocks nor fails the promotion.
func (e *Engine) announce(ctx context.Context, evs ...notify.Event) {
	if e.notifier == nil || len(evs) == 0 {
		return
	}
	e.notifier.Notify(ctx, evs)
}
