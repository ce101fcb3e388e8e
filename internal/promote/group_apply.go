package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// What applying a group's plan does differently from an app's: one branch
// and PR for the group, one commit with every app's file, holds kept per
// app, and a merge recorded for each app.

// groupWriteup is the writeup of a group's proposal: the files and words
// of the apps that move.
func (e *Engine) groupWriteup(p Plan, required []string) writeup {
	g, stage := p.Group.Name, p.Stage.Name
	gp := groupProposal{group: *p.Group, stage: p.Stage, next: p.Next, base: e.base, required: required}
	files := map[string][]byte{}
	for _, m := range p.Members {
		if m.Verdict == Propose {
			gp.apps = append(gp.apps, m)
			gp.from = m.Want.From
			files[m.Path] = m.After
		}
	}
	pins := gp.pins()
	return writeup{
		branch: Branch(g, stage), labels: GroupLabels(g, stage),
		title: gp.title(), body: gp.body(), message: gp.commitMessage(),
		files: files,
		keep: func(open *githubapp.PullRequest) (bool, string) {
			if sameGroupPR(open, g, stage, pins) {
				return true, fmt.Sprintf("#%d already proposes these images", open.Number)
			}
			return false, ""
		},
	}
}

// groupMerges are the records of a group's merged PR: one per app it
// moved, naming the group.
func (e *Engine) groupMerges(out Outcome, pr int, sha string) []store.Merge {
	var ms []store.Merge
	for _, m := range out.moving() {
		ms = append(ms, store.Merge{App: m.App, Stage: out.Stage, Image: m.To.Image, Tag: m.To.Tag, Digest: m.To.Digest,
			PR: pr, MergeSHA: sha, MergedBy: store.MergedByStagehand, At: e.now(), PushedAt: m.To.PushedAt, Group: out.Group})
	}
	return ms
}

// keepHeldGroup remembers a group's automatic request that holds of its
// apps refused, for each app held: releasing any of them asks for it
// again, and it moves the group once none is held. A push's images stay
// in the window's store meanwhile (settleCandidates).
func (e *Engine) keepHeldGroup(ctx context.Context, p Plan) error {
	r := p.Request
	r.ID, r.LinkID = "", ""
	enc, err := r.Encode()
	if err != nil {
		return err
	}
	for _, m := range p.Members {
		if m.Held == nil {
			continue
		}
		app, stage := m.App.Name, p.Stage.Name
		if err := e.records.KeepHeld(ctx, store.HeldRequest{App: app, Stage: stage, Request: enc, At: e.now()}); err != nil {
			return err
		}
		note := fmt.Sprintf("stagehand kept group %s's promotion into **%s**, which waits while %s is held there: "+
			"`/release %s %s` proposes it at once, if no other app of the group is held there. Nothing moves into %s until then.",
			p.Group.Name, stage, app, app, stage, stage)
		if err := e.noteHeld(ctx, app, stage, note); err != nil {
			return err
		}
	}
	return nil
}

// closeStaleGroup closes the group's open PR into a stage that runs
// every image it proposes already.
func (e *Engine) closeStaleGroup(ctx context.Context, p Plan) error {
	branch := Branch(p.Group.Name, p.Stage.Name)
	pr, err := e.livingPR(ctx, branch)
	if err != nil || pr == nil {
		return err
	}
	pins := pinsOf(pr, p.Group.Name, p.Stage.Name)
	runs := map[string]manifest.Pinned{}
	for _, m := range p.Members {
		if m.Verdict == Nothing {
			runs[m.App.Name] = m.From
		}
	}
	if len(pins) == 0 {
		return nil
	}
	for app, pin := range pins {
		if cur, ok := runs[app]; !ok || !cur.Found || cur.Digest != pin.Digest {
			return nil
		}
	}
	return e.closePR(ctx, branch, pr, fmt.Sprintf("Closing: %s already runs every image this PR proposes, on the base branch, so it has nothing left to do.", p.Stage.Name))
}

// recordGroup puts in the audit log what a group's request did to each
// of its apps, so that each app's history shows it, naming the group.
func (e *Engine) recordGroup(ctx context.Context, p Plan, o Outcome) {
	r := p.Request
	for _, m := range o.Members {
		if !worthRecording(r, m) {
			continue
		}
		a := store.Action{At: e.now(), Actor: r.Actor.Name(r.Source), Kind: string(r.Kind), App: m.App, Stage: o.Stage,
			FromTag: m.From.Tag, FromDigest: m.From.Digest, ToTag: m.To.Tag, ToDigest: m.To.Digest,
			PR: o.PR, Result: string(m.Result), Reason: m.Reason, Source: string(r.Source), Group: o.Group}
		if a.PR == 0 && r.Issue != 0 && !r.Source.automatic() {
			a.PR = r.Issue
		}
		if m.Forced != "" && m.Result == o.Result {
			a.Reason = strings.TrimSuffix(m.Forced+"; "+a.Reason, "; ")
		}
		if _, err := e.records.RecordAction(ctx, a); err != nil {
			e.log.Error("could not record the action", "app", m.App, "group", o.Group, "err", err)
		}
	}
}
