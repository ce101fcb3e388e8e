package command

import (
	"strings"
	"testing"
)

// Contexts: a plain issue, and web's stagehand pull request into staging.
var (
	onIssue = Context{Action: "created", Author: "alice", AuthorType: "User", BotLogin: "stagehand[bot]"}
	onPR    = Context{Action: "created", Author: "alice", AuthorType: "User", BotLogin: "stagehand[bot]",
		OnStagehandPR: true, App: "web", Stage: "staging"}
)

// The usage blocks replies end with, written out so a change to them shows.
const (
	usagePromote  = "Usage: `/promote [<app>] [to <stage>|all] [--force]`: move an app's image on to a stage; <app> may name a group, whose apps move together (so does a group's app); on a stagehand pull request app and stage may be left out, and `/promote` alone moves on to the next stage (where several stages follow, name one, or `to all` for each of them); `--force` promotes inside the stage's freeze window (its approvers only).\nExample: `/promote web to prod`"
	usageRollback = "Usage: `/rollback <app> <stage> [to <tag|digest|commit>]`: put a stage back on an earlier image, by default the one it ran before.\nExample: `/rollback web prod to 1.4.2`"
	usageHold     = "Usage: `/hold <app> <stage> [reason…]`: stop promotions into a stage until it is released; the rest of the line is the reason.\nExample: `/hold web prod waiting for the schema migration`"
	usageRelease  = "Usage: `/release <app> <stage>`: lift a hold so promotions into the stage resume.\nExample: `/release web prod`"
	usageHelp     = "Usage: `/stagehand help`: list these commands.\nExample: `/stagehand help`"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func with(c Context, edit func(*Context)) Context { edit(&c); return c }

func TestParseIgnores(t *testing.T) {
	tests := []struct {
		name string
		body string
		ctx  Context
	}{
		{"edited comment", "/promote web to prod", with(onIssue, func(c *Context) { c.Action = "edited" })},
		{"deleted comment", "/promote web to prod", with(onIssue, func(c *Context) { c.Action = "deleted" })},
		{"no action", "/promote web to prod", with(onIssue, func(c *Context) { c.Action = "" })},
		{"our own comment", "/promote web to prod", with(onIssue, func(c *Context) { c.Author = "stagehand[bot]"; c.AuthorType = "Bot" })},
		{"our own login even if typed User", "/promote web to prod", with(onIssue, func(c *Context) { c.Author = "Stagehand[bot]" })},
		{"another bot", "/promote web to prod", with(onIssue, func(c *Context) { c.Author = "renovate[bot]"; c.AuthorType = "Bot" })},
		{"bot type in lower case", "/promote web to prod", with(onIssue, func(c *Context) { c.AuthorType = "bot" })},
		{"empty body", "", onIssue},
		{"only spaces", " \r\n\t\n", onIssue},
		{"plain talk", "LGTM, let's ship it", onIssue},
		{"command later in the comment", "Ready.\n/promote web to prod", onIssue},
		{"command on the second line after text", "thanks!\r\n/hold web prod", onIssue},
		{"quoted", "> /promote web to prod", onIssue},
		{"quoted without space", ">/promote web to prod", onIssue},
		{"inline code", "`/promote web to prod`", onIssue},
		{"inline code around the verb", "`/promote` web to prod", onIssue},
		{"code block", "```\n/promote web to prod\n```", onIssue},
		{"longer word", "/promoted web to prod", onIssue},
		{"another longer word", "/promotion is scheduled", onIssue},
		{"verb with punctuation", "/promote, please", onIssue},
		{"upper case verb", "/Promote web to prod", onIssue},
		{"unknown verb", "/deploy web prod", onIssue},
		{"no slash", "promote web to prod", onIssue},
		{"double slash", "//promote web to prod", onIssue},
		{"stagehand suffix", "/stagehands help", onIssue},
		{"mention, not a command", "@stagehand promote web", onIssue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parse(tc.body, tc.ctx); got != (Result{}) {
				t.Errorf("Parse(%q) = %+v, want Ignore", tc.body, got)
			}
		})
	}
}

func TestParseRuns(t *testing.T) {
	tests := []struct {
		name string
		body string
		ctx  Context
		want Command
	}{
		{"promote in full", "/promote web to prod", onIssue, Command{Kind: KindPromote, App: "web", Stage: "prod"}},
		{"force at the end", "/promote web to prod --force", onIssue, Command{Kind: KindPromote, App: "web", Stage: "prod", Force: true}},
		{"force first", "/promote --force web to prod", onIssue, Command{Kind: KindPromote, App: "web", Stage: "prod", Force: true}},
		{"force alone on a PR", "/promote --force", onPR, Command{Kind: KindPromote, App: "web", FromStage: "staging", Force: true}},
		{"promote in full on a PR, even for another app", "/promote api to prod", onPR, Command{Kind: KindPromote, App: "api", Stage: "prod"}},
		{"bare promote on a PR moves to the next stage", "/promote", onPR, Command{Kind: KindPromote, App: "web", FromStage: "staging"}},
		{"promote naming the PR's app", "/promote web", onPR, Command{Kind: KindPromote, App: "web", FromStage: "staging"}},
		{"promote to a stage on a PR keeps the app", "/promote to prod", onPR, Command{Kind: KindPromote, App: "web", Stage: "prod"}},
		{"promote to all on a PR", "/promote web to all", onPR, Command{Kind: KindPromote, App: "web", FromStage: "staging", All: true}},
		{"promote to all on a PR keeps the app", "/promote to all --force", onPR, Command{Kind: KindPromote, App: "web", FromStage: "staging", All: true, Force: true}},
		{"CRLF, indentation and tabs", "  /promote\tweb  to   prod \r\nthanks", onIssue, Command{Kind: KindPromote, App: "web", Stage: "prod"}},
		{"leading blank lines", "\n\r\n  /release web prod", onIssue, Command{Kind: KindRelease, App: "web", Stage: "prod"}},
		{"rest of the comment is free text", "/release web prod\n/promote api to prod\nand more", onIssue, Command{Kind: KindRelease, App: "web", Stage: "prod"}},
		{"app named to", "/promote to to prod", onIssue, Command{Kind: KindPromote, App: "to", Stage: "prod"}},
		{"dashed and digit names", "/promote web-2 to eu-prod-1", onIssue, Command{Kind: KindPromote, App: "web-2", Stage: "eu-prod-1"}},
		{"rollback to the previous digest", "/rollback web prod", onIssue, Command{Kind: KindRollback, App: "web", Stage: "prod"}},
		{"rollback to a tag", "/rollback web prod to 1.4.2", onIssue, Command{Kind: KindRollback, App: "web", Stage: "prod", Target: "1.4.2"}},
		{"rollback to a tag with odd characters", "/rollback web prod to v1.4.2_rc-1.B", onIssue, Command{Kind: KindRollback, App: "web", Stage: "prod", Target: "v1.4.2_rc-1.B"}},
		{"rollback to a digest", "/rollback web prod to " + digest, onIssue, Command{Kind: KindRollback, App: "web", Stage: "prod", Target: digest}},
		{"rollback to a short commit", "/rollback web prod to 0a1b2c3", onIssue, Command{Kind: KindRollback, App: "web", Stage: "prod", Target: "0a1b2c3"}},
		{"rollback to a full commit", "/rollback web prod to 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", onIssue,
			Command{Kind: KindRollback, App: "web", Stage: "prod", Target: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"}},
		{"hold without reason", "/hold web prod", onIssue, Command{Kind: KindHold, App: "web", Stage: "prod"}},
		{"hold with reason as written", "/hold web prod  waiting for  QA: see #12  \r\nmore text", onIssue,
			Command{Kind: KindHold, App: "web", Stage: "prod", Reason: "waiting for  QA: see #12"}},
		{"hold reason may start with a dash", "/hold web prod - see #12", onIssue, Command{Kind: KindHold, App: "web", Stage: "prod", Reason: "- see #12"}},
		{"release", "/release web prod", onIssue, Command{Kind: KindRelease, App: "web", Stage: "prod"}},
		{"help", "/stagehand help", onIssue, Command{Kind: KindHelp}},
		{"help on a PR", "/stagehand help\n", onPR, Command{Kind: KindHelp}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Parse(tc.body, tc.ctx)
			want := Result{Verdict: Run, Command: tc.want}
			if got != want {
				t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", tc.body, got, want)
			}
		})
	}
}

func TestParseReplies(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		ctx     Context
		kind    Kind
		problem string // the reply's first line
		usage   string
	}{
		// promote
		{"promote off a PR without anything", "/promote", onIssue, KindPromote,
			"`/promote`: missing app and stage; only on a stagehand pull request can they be left out.", usagePromote},
		{"promote with an app off a PR is ambiguous", "/promote web", onIssue, KindPromote,
			"`/promote`: missing stage; `/promote web` alone names no stage here: write `/promote web to <stage>`.", usagePromote},
		{"promote to a stage off a PR", "/promote to prod", onIssue, KindPromote,
			"`/promote`: missing app; only on a stagehand pull request can it be left out: write `/promote <app> to prod`.", usagePromote},
		{"promote another app on a PR without stage", "/promote api", onPR, KindPromote,
			"`/promote`: this pull request promotes `web`, not `api`; to promote `api`, write `/promote api to <stage>`.", usagePromote},
		{"promote on a PR whose marker is unusable", "/promote", with(onPR, func(c *Context) { c.App = "" }), KindPromote,
			"`/promote`: missing app and stage; only on a stagehand pull request can they be left out.", usagePromote},
		{"to all off a PR", "/promote web to all", onIssue, KindPromote,
			"`/promote`: `to all` means every stage after a stagehand pull request's stage, so it works only on one; here, name the stage: `/promote web to <stage>`.", usagePromote},
		{"to all for another app on a PR", "/promote api to all", onPR, KindPromote,
			"`/promote`: this pull request promotes `web`, not `api`; to promote `api`, write `/promote api to <stage>`.", usagePromote},
		{"to without a stage", "/promote web to", onIssue, KindPromote,
			"`/promote`: `to` needs a stage after it.", usagePromote},
		{"bare to", "/promote to", onPR, KindPromote,
			"`/promote`: `to` needs a stage after it.", usagePromote},
		{"stage without to", "/promote web prod", onIssue, KindPromote,
			"`/promote`: unexpected `prod`; put `to` before the stage.", usagePromote},
		{"wrong word for to", "/promote web into prod", onIssue, KindPromote,
			"`/promote`: unexpected `into`; expected `to`.", usagePromote},
		{"too many words", "/promote web to prod now", onIssue, KindPromote,
			"`/promote`: too many words; it takes at most an app and `to <stage>`.", usagePromote},
		{"unknown long flag", "/promote web to prod --now", onIssue, KindPromote,
			"`/promote`: unknown flag `--now`; the only flag is `--force`.", usagePromote},
		{"unknown short flag", "/promote -f", onPR, KindPromote,
			"`/promote`: unknown flag `-f`; the only flag is `--force`.", usagePromote},
		{"force with a value", "/promote web to prod --force=true", onIssue, KindPromote,
			"`/promote`: unknown flag `--force=true`; the only flag is `--force`.", usagePromote},
		{"force in capitals", "/promote web to prod --FORCE", onIssue, KindPromote,
			"`/promote`: unknown flag `--FORCE`; the only flag is `--force`.", usagePromote},
		{"force twice", "/promote web to prod --force --force", onIssue, KindPromote,
			"`/promote`: `--force` is given twice.", usagePromote},
		{"force leaves a bad command bad", "/promote web prod --force", onIssue, KindPromote,
			"`/promote`: unexpected `prod`; put `to` before the stage.", usagePromote},
		{"rollback takes no force", "/rollback web prod --force", onIssue, KindRollback,
			"`/rollback`: unknown flag `--force`; it takes no flags.", usageRollback},
		{"bad app name with a fix", "/promote Web_App to prod", onIssue, KindPromote,
			"`/promote`: `Web_App` is not a valid app name: use lower-case letters, digits and inner dashes (try `web-app`).", usagePromote},
		{"bad stage name", "/promote web to prod-", onIssue, KindPromote,
			"`/promote`: `prod-` is not a valid stage name: use lower-case letters, digits and inner dashes (try `prod`).", usagePromote},
		{"bad name with no fix", "/promote web to _", onPR, KindPromote,
			"`/promote`: `_` is not a valid stage name: use lower-case letters, digits and inner dashes.", usagePromote},
		{"lone dash is a bad name, not a flag", "/promote -", onPR, KindPromote,
			"`/promote`: `-` is not a valid app name: use lower-case letters, digits and inner dashes.", usagePromote},
		{"a mention is quoted as code", "/promote @acme/everyone to prod", onIssue, KindPromote,
			"`/promote`: `@acme/everyone` is not a valid app name: use lower-case letters, digits and inner dashes (try `acme-everyone`).", usagePromote},
		{"backticks cannot break the quote", "/promote a`b to prod", onIssue, KindPromote,
			"`/promote`: `a'b` is not a valid app name: use lower-case letters, digits and inner dashes (try `a-b`).", usagePromote},
		{"a long word is shortened", "/promote " + strings.Repeat("A", 100) + " to prod", onIssue, KindPromote,
			"`/promote`: `" + strings.Repeat("A", 64) + "…` is not a valid app name: use lower-case letters, digits and inner dashes (try `" + strings.Repeat("a", 64) + "…`).", usagePromote},

		// rollback
		{"rollback without anything", "/rollback", onPR, KindRollback,
			"`/rollback`: missing app and stage.", usageRollback},
		{"rollback without stage", "/rollback web", onIssue, KindRollback,
			"`/rollback`: missing stage.", usageRollback},
		{"rollback to without a value", "/rollback web prod to", onIssue, KindRollback,
			"`/rollback`: `to` needs a tag, digest or commit after it.", usageRollback},
		{"rollback with a stray word", "/rollback web prod now", onIssue, KindRollback,
			"`/rollback`: unexpected `now`; expected `to`.", usageRollback},
		{"rollback with a wrong word for to", "/rollback web prod at 1.4.2", onIssue, KindRollback,
			"`/rollback`: unexpected `at`; expected `to`.", usageRollback},
		{"rollback with too many words", "/rollback web prod to 1.4.2 please", onIssue, KindRollback,
			"`/rollback`: too many words; it takes an app, a stage and optionally `to <tag|digest|commit>`.", usageRollback},
		{"rollback with a flag", "/rollback --dry-run web prod", onIssue, KindRollback,
			"`/rollback`: unknown flag `--dry-run`; it takes no flags.", usageRollback},
		{"rollback with a bad stage", "/rollback web Prod", onIssue, KindRollback,
			"`/rollback`: `Prod` is not a valid stage name: use lower-case letters, digits and inner dashes (try `prod`).", usageRollback},
		{"rollback to a short digest", "/rollback web prod to sha256:abc", onIssue, KindRollback,
			"`/rollback`: `sha256:abc` is not a digest: write `sha256:` and 64 lower-case hex digits.", usageRollback},
		{"rollback to an upper-case digest", "/rollback web prod to " + strings.ToUpper(digest[:7]) + digest[7:], onIssue, KindRollback,
			"`/rollback`: `SHA256:0123456789abcdef0123456789abcdef0123456789abcdef012345678…` is not a digest: write `sha256:` and 64 lower-case hex digits.", usageRollback},
		{"rollback to an image reference", "/rollback web prod to ghcr.io/acme/web:1.4.2", onIssue, KindRollback,
			"`/rollback`: `ghcr.io/acme/web:1.4.2` is not a tag, digest or commit: a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.", usageRollback},
		{"rollback to a tag starting with a dot", "/rollback web prod to .1", onIssue, KindRollback,
			"`/rollback`: `.1` is not a tag, digest or commit: a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.", usageRollback},
		{"rollback to a tag too long", "/rollback web prod to " + strings.Repeat("1", 129), onIssue, KindRollback,
			"`/rollback`: `" + strings.Repeat("1", 64) + "…` is not a tag, digest or commit: a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.", usageRollback},

		// hold
		{"hold without anything", "/hold", onIssue, KindHold,
			"`/hold`: missing app and stage.", usageHold},
		{"hold without stage", "/hold web\nbecause", onIssue, KindHold,
			"`/hold`: missing stage.", usageHold},
		{"hold with a flag", "/hold web prod --until friday", onIssue, KindHold,
			"`/hold`: unknown flag `--until`; it takes no flags.", usageHold},
		{"hold with a flag for the app", "/hold -a web prod", onIssue, KindHold,
			"`/hold`: unknown flag `-a`; it takes no flags.", usageHold},
		{"hold with a bad app", "/hold WEB prod", onIssue, KindHold,
			"`/hold`: `WEB` is not a valid app name: use lower-case letters, digits and inner dashes (try `web`).", usageHold},

		// release
		{"release without anything", "/release", onIssue, KindRelease,
			"`/release`: missing app and stage.", usageRelease},
		{"release without stage", "/release web", onPR, KindRelease,
			"`/release`: missing stage.", usageRelease},
		{"release with too many words", "/release web prod now", onIssue, KindRelease,
			"`/release`: too many words; it takes an app and a stage.", usageRelease},
		{"release with a flag", "/release web prod -y", onIssue, KindRelease,
			"`/release`: unknown flag `-y`; it takes no flags.", usageRelease},
		{"release with a bad stage", "/release web pr.od", onIssue, KindRelease,
			"`/release`: `pr.od` is not a valid stage name: use lower-case letters, digits and inner dashes (try `pr-od`).", usageRelease},

		// stagehand
		{"stagehand alone", "/stagehand", onIssue, KindHelp,
			"`/stagehand`: missing `help`.", usageHelp},
		{"stagehand with another word", "/stagehand promote web", onIssue, KindHelp,
			"`/stagehand`: unknown word `promote`; the only one is `help`.", usageHelp},
		{"stagehand help with more", "/stagehand help me", onIssue, KindHelp,
			"`/stagehand`: too many words; write just `/stagehand help`.", usageHelp},
		{"stagehand --help", "/stagehand --help", onIssue, KindHelp,
			"`/stagehand`: unknown flag `--help`; it takes no flags.", usageHelp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Parse(tc.body, tc.ctx)
			want := Result{Verdict: Reply, Command: Command{Kind: tc.kind}, Reply: tc.problem + "\n\n" + tc.usage}
			if got != want {
				t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", tc.body, got, want)
			}
		})
	}
}
