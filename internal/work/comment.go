package work

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/command"
	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// Comment runs a command from a comment on an issue or PR of the config
// repository: the commenter's permission is checked before anything else,
// the comment is acknowledged with a reaction at once, and the result or
// the exact reason for a refusal is the reply. Every action and refusal is
// recorded.
func (h *Handler) Comment(ctx context.Context, c queue.Comment) error {
	cc := command.Context{Author: c.User, AuthorType: c.UserType, Action: c.Action}
	if m, ok, err := promote.ParseMarker(c.IssueBody); c.IsPR && ok && err == nil {
		cc.OnStagehandPR, cc.App, cc.Stage = true, m.App, m.Stage
	}
	res := command.Parse(c.Body, cc)
	switch res.Verdict {
	case command.Ignore:
		return nil
	case command.Reply:
		return h.opts.GitHub.Comment(ctx, c.IssueNumber, "@"+c.User+" "+res.Reply)
	}
	if err := h.opts.GitHub.React(ctx, c.CommentID, "eyes"); err != nil {
		return err
	}
	reply, err := h.run(ctx, c, res.Command)
	if err != nil {
		return classify(err)
	}
	return h.opts.GitHub.Comment(ctx, c.IssueNumber, "@"+c.User+" "+reply)
}

// run carries out a parsed command and returns the reply.
func (h *Handler) run(ctx context.Context, c queue.Comment, cmd command.Command) (string, error) {
	if cmd.Kind == command.KindHelp {
		return "\n\n" + command.Help(), nil
	}
	cfg, err := h.opts.Engine.Config(ctx)
	if err != nil {
		return "", err
	}
	stage := cmd.TargetStage()
	if cmd.Kind == command.KindPromote && stage == "" {
		next, ok := cfg.Next(cmd.FromStage)
		if !ok {
			return fmt.Sprintf("%s is the last stage of %s: there is nowhere to promote it.", cmd.FromStage, cmd.App), nil
		}
		stage = next.Name
	}
	st, ok := cfg.Stage(stage)
	if !ok {
		return fmt.Sprintf("there is no stage %q in %s.", stage, config.FileName), nil
	}
	if _, ok := cfg.App(cmd.App); !ok {
		return fmt.Sprintf("there is no app %q in %s.", cmd.App, config.FileName), nil
	}
	act := queue.Action{At: time.Now(), Actor: c.User, Kind: string(cmd.Kind), App: cmd.App, Stage: stage, Source: "comment", PR: c.IssueNumber}

	// Who may act comes first, before anything is read or written.
	allowed, err := h.allowed(ctx, c.User, st)
	if err != nil {
		return "", err
	}
	if !allowed.OK {
		return h.refuse(ctx, act, allowed.Reason)
	}

	switch cmd.Kind {
	case command.KindHold:
		hold := queue.Hold{App: cmd.App, Stage: stage, By: c.User, Reason: cmd.Reason, At: time.Now()}
		if err := h.opts.Store.PlaceHold(ctx, hold); err != nil {
			return "", err
		}
		return h.done(ctx, act, "held", fmt.Sprintf("%s is held in %s: nothing moves there, automatically or by hand, until `/release %s %s`.", cmd.App, stage, cmd.App, stage))
	case command.KindRelease:
		released, err := h.opts.Store.ReleaseHold(ctx, cmd.App, stage)
		if err != nil {
			return "", err
		}
		if !released {
			return h.refuse(ctx, act, fmt.Sprintf("%s is not held in %s; there is nothing to release", cmd.App, stage))
		}
		return h.done(ctx, act, "released", fmt.Sprintf("%s is released in %s: promotions move there again.", cmd.App, stage))
	case command.KindPromote:
		return h.promote(ctx, act, stage)
	case command.KindRollback:
		return h.rollback(ctx, act, cmd.Target)
	}
	return h.refuse(ctx, act, "/"+string(cmd.Kind)+" is not available in this version of stagehand yet")
}

func (h *Handler) promote(ctx context.Context, act queue.Action, stage string) (string, error) {
	o, err := h.opts.Engine.PromoteIf(ctx, act.App, stage, h.soaked(act.App))
	h.report(h.log.With("actor", act.Actor, "source", "comment"), o)
	if err != nil {
		return "", err
	}
	act.FromTag, act.FromDigest, act.ToTag, act.ToDigest, act.Result, act.Reason = o.From.Tag, o.From.Digest, o.To.Tag, o.To.Digest, string(o.Result), o.Reason
	switch o.Result {
	case promote.Opened, promote.Updated, promote.Unchanged, promote.Merged:
		act.PR = o.PR
		msg := fmt.Sprintf("%s `%s` (`%s`) → %s: %s %s", act.App, o.To.Tag, o.To.Digest, stage, o.Result, o.PRURL)
		if o.Reason != "" {
			msg += "\n\n" + o.Reason
		}
		return msg, h.record(ctx, act)
	case promote.AlreadyThere:
		return fmt.Sprintf("nothing to promote: %s.", o.Reason), h.record(ctx, act)
	}
	return fmt.Sprintf("stagehand did not promote %s to %s: %s.", act.App, stage, o.Reason), h.record(ctx, act)
}

// soaked is the engine's gate for a person's promotion of app: the image
// must have run in the stage before long enough, counted from the merge
// stagehand saw put it there.
func (h *Handler) soaked(app string) promote.Allow {
	return func(ctx context.Context, from, to config.Stage, want promote.Want) (string, error) {
		if to.Soak <= 0 {
			return "", nil
		}
		var mergedAt time.Time
		d, ok, err := h.opts.Store.LastDone(ctx, app, from.Name)
		if err != nil {
			return "", err
		}
		if ok && d.Digest == want.Digest {
			mergedAt = d.At
		}
		if v := gate.Soaked(from.Name, to.Name, to.Soak, mergedAt, time.Now()); !v.OK {
			return v.Reason, nil
		}
		return "", nil
	}
}

// allowed checks the commenter against the stage's approvers, or write
// permission when it names none.
func (h *Handler) allowed(ctx context.Context, login string, st config.Stage) (gate.Verdict, error) {
	return gate.Check(ctx, h.opts.GitHub, st.Name, st.Approvers, login)
}

func (h *Handler) refuse(ctx context.Context, act queue.Action, reason string) (string, error) {
	act.Result, act.Reason = "refused", reason
	return "stagehand did not do that: " + reason + ".", h.record(ctx, act)
}

func (h *Handler) done(ctx context.Context, act queue.Action, result, reply string) (string, error) {
	act.Result = result
	return reply, h.record(ctx, act)
}

func (h *Handler) record(ctx context.Context, act queue.Action) error {
	_, err := h.opts.Store.RecordAction(ctx, act)
	return err
}
