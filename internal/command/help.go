package command

import "strings"

// usage is one command's line of help.
type usage struct {
	kind    Kind
	syntax  string
	what    string
	example string
}

// usages is every command, in the order help lists them. Replies and Help
// both read it, so they cannot disagree.
var usages = []usage{
	{KindPromote, "/promote [<app>] [to <stage>|all] [--force]",
		"move an app's image on to a stage; <app> may name a group, whose apps move together (so does a group's app); on a stagehand pull request app and stage may be left out, and `/promote` alone moves on to the next stage (where several stages follow, name one, or `to all` for each of them); `--force` promotes inside the stage's freeze window (its approvers only)",
		"/promote web to prod"},
	{KindRollback, "/rollback <app> <stage> [to <tag|digest|commit>]",
		"put a stage back on an earlier image, by default the one it ran before",
		"/rollback web prod to 1.4.2"},
	{KindHold, "/hold <app> <stage> [reason…]",
		"stop promotions into a stage until it is released; the rest of the line is the reason",
		"/hold web prod waiting for the schema migration"},
	{KindRelease, "/release <app> <stage>",
		"lift a hold so promotions into the stage resume",
		"/release web prod"},
	{KindHelp, "/stagehand help",
		"list these commands",
		"/stagehand help"},
}

// Help is what `/stagehand help` replies: each command with a one-line
// description and an example.
func Help() string {
	var b strings.Builder
	b.WriteString("stagehand commands, one per comment, on its first line:\n")
	for _, u := range usages {
		b.WriteString("\n- `" + u.syntax + "`: " + u.what + ". Example: `" + u.example + "`")
	}
	b.WriteString("\n")
	return b.String()
}

// usageOf is the help for one command, as a reply ends with it.
func usageOf(k Kind) string {
	for _, u := range usages {
		if u.kind == k {
			return "Usage: `" + u.syntax + "`: " + u.what + ".\nExample: `" + u.example + "`"
		}
	}
	return Help()
}

// verbOf is how the user typed the command, for replies.
func verbOf(k Kind) string {
	if k == KindHelp {
		return "/stagehand"
	}
	return "/" + string(k)
}

// reply is a Reply result for k: the problem, then k's usage.
func reply(c Command, problem string) Result {
	return Result{
		Verdict: Reply,
		Command: c,
		Reply:   "`" + verbOf(c.Kind) + "`: " + problem + ".\n\n" + usageOf(c.Kind),
	}
}
