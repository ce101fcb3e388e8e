package work

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/command"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// Comment runs a command from a comment on an issue or PR of the config
// repository: the comment is acknowledged with a reaction at once, the
// engine decides with everything else (who may, first), and the result or
// the exact reason for a refusal is the reply.
func (h *Handler) Comment(ctx context.Context, c queue.Comment) error {
	cc := command.Context{Author: c.User, AuthorType: c.UserType, Action: c.Action}
	if m, ok, err := promote.ParseMarker(c.IssueBody); c.IsPR && ok && err == nil {
		cc.OnStagehandPR, cc.App, cc.Stage = true, m.Name(), m.Stage
	}
	res := command.Parse(c.Body, cc)
	if res.Verdict == command.Ignore {
		return nil
	}
	if res.Verdict == command.Reply {
		return h.classify(h.opts.GitHub.Comment(ctx, c.IssueNumber, "@"+c.User+" "+res.Reply))
	}
	if err := h.opts.GitHub.React(ctx, c.CommentID, "eyes"); err != nil {
		return h.classify(err)
	}
	if res.Command.Kind == command.KindHelp {
		return h.classify(h.opts.GitHub.Comment(ctx, c.IssueNumber, "@"+c.User+"\n\n"+command.Help()))
	}
	r := request(c, res.Command)
	o, err := h.opts.Engine.Run(ctx, r)
	h.report(h.log.With("actor", c.User, "source", "comment"), o)
	var ce *promote.ConfigError
	if err != nil && !errors.As(err, &ce) {
		// Retried: the reaction says it was seen, the reply comes when it
		// is done.
		return h.classify(err)
	}
	return h.classify(h.opts.GitHub.Comment(ctx, c.IssueNumber, "@"+c.User+" "+reply(r, o)))
}

// request is the comment's command as a request of the commenter.
func request(c queue.Comment, cmd command.Command) promote.Request {
	r := promote.Request{Source: promote.FromComment, Actor: promote.Actor{Login: c.User}, App: cmd.App, Stage: cmd.Stage, Issue: c.IssueNumber}
	switch cmd.Kind {
	case command.KindPromote:
		r.Kind, r.Force = promote.Promote, cmd.Force
		if r.Stage == "" {
			// A bare /promote on a stagehand PR: the stage after the PR's,
			// or each stage after it (to all).
			r.Kind, r.Stage, r.From, r.All = promote.Promote, "", cmd.FromStage, cmd.All
		}
	case command.KindRollback:
		r.Kind, r.Target = promote.Rollback, cmd.Target
	case command.KindHold:
		r.Kind, r.Reason = promote.Hold, cmd.Reason
	case command.KindRelease:
		r.Kind = promote.Release
	}
	return r
}

// reply says what a command did, in the words people read on the PR.
func reply(r promote.Request, o promote.Outcome) string {
	if o.Code == promote.CodeConfig {
		return "stagehand cannot act until the configuration is fixed: " + o.Reason
	}
	if len(o.Each) > 0 {
		// One line per stage the request was split into.
		lines := make([]string, len(o.Each))
		for i, e := range o.Each {
			lines[i] = "- " + reply(e.Request, e)
		}
		return fmt.Sprintf("%s, to each stage after %s:\n\n%s", r.App, r.From, strings.Join(lines, "\n"))
	}
	switch r.Kind {
	case promote.Hold, promote.Release:
		return holdReply(o)
	case promote.Rollback:
		return rollbackReply(r, o)
	}
	switch o.Result {
	case promote.Opened, promote.Updated, promote.Unchanged, promote.Merged:
		what := fmt.Sprintf("%s `%s` (`%s`)", r.App, o.To.Tag, o.To.Digest)
		if o.Group != "" {
			what = groupMoves(o)
		}
		msg := fmt.Sprintf("%s → %s: %s %s", what, o.Stage, o.Result, o.PRURL)
		if o.Forced != "" {
			msg += "\n\nThis promotion was " + o.Forced + "."
		}
		if o.Reason != "" {
			msg += "\n\n" + o.Reason
		}
		return msg
	case promote.AlreadyThere:
		return fmt.Sprintf("nothing to promote: %s.", o.Reason)
	}
	return fmt.Sprintf("stagehand did not promote %s to %s: %s.", r.App, stageOf(r, o), o.Reason)
}

// groupMoves names a group and what it moved: each app's tag, the first
// ten of them.
func groupMoves(o promote.Outcome) string {
	var moved []string
	for _, m := range o.Members {
		if m.Result == o.Result && m.To.Tag != "" {
			moved = append(moved, fmt.Sprintf("%s `%s`", m.App, m.To.Tag))
		}
	}
	if len(moved) > 10 {
		moved = append(moved[:10], fmt.Sprintf("and %d more", len(moved)-10))
	}
	return fmt.Sprintf("group %s (%s)", o.Group, strings.Join(moved, ", "))
}

func holdReply(o promote.Outcome) string {
	switch o.Result {
	case promote.HoldPlaced:
		return o.Reason + "."
	case promote.HoldLifted:
		msg := o.Reason + "."
		if t := o.Then; t != nil {
			switch t.Result {
			case promote.Opened, promote.Updated, promote.Unchanged, promote.Merged:
				msg += fmt.Sprintf("\n\nWhile it was held, stagehand kept `%s` (`%s`) for %s; it is proposed now: %s %s", t.To.Tag, t.To.Digest, t.Stage, t.Result, t.PRURL)
			case promote.Failed:
				msg += fmt.Sprintf("\n\nWhile it was held, stagehand kept `%s` for %s; proposing it failed for now (%s) and is tried again.", t.To.Tag, t.Stage, t.Reason)
			default:
				msg += fmt.Sprintf("\n\nWhile it was held, stagehand kept `%s` for %s; it was not proposed: %s.", t.To.Tag, t.Stage, t.Reason)
			}
		}
		return msg
	}
	return "stagehand did not do that: " + o.Reason + "."
}

func rollbackReply(r promote.Request, o promote.Outcome) string {
	switch o.Result {
	case promote.Opened, promote.Updated, promote.Unchanged:
		return fmt.Sprintf("rollback of %s in %s to `%s` (`%s`): %s %s\n\n%s; %s is held; `/release %s %s` to let promotions move again. Merging the PR is left to a person.",
			r.App, r.Stage, o.To.Tag, o.To.Digest, o.Result, o.PRURL, o.Reason, r.App, r.App, r.Stage)
	case promote.AlreadyThere:
		return fmt.Sprintf("nothing to roll back: %s.", o.Reason)
	}
	return fmt.Sprintf("stagehand did not roll back %s in %s: %s.", r.App, r.Stage, o.Reason)
}

func stageOf(r promote.Request, o promote.Outcome) string {
	if o.Stage != "" {
		return o.Stage
	}
	return r.Stage
}
