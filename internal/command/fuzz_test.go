package command

import (
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// FuzzParse checks what must hold for any comment: Parse never panics,
// ignores what the screen rules out, runs only valid names, and never
// replies with nothing.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"", "\n", "LGTM", "> /promote web", "`/promote`", "/promoted",
		"/promote", "/promote web", "/promote to prod", "/promote web to prod", "/promote api",
		"/promote web to", "/promote web prod", "/promote --force", "/promote web to prod --force", "/promote --force --force", "/promote Web to prod",
		"/rollback web prod", "/rollback web prod to 1.4.2", "/rollback web prod to " + digest,
		"/rollback web prod to sha256:abc", "/rollback web prod to 0a1b2c3",
		"/hold web prod waiting for QA", "/hold web", "/release web prod", "/release web prod now",
		"/stagehand help", "/stagehand", "/stagehand nope",
		"/promote web to all", "/promote to all", "/promote to all --force", "/promote api to all", "/promote all", "/promote web to all to",
		"  /promote\tweb to prod\r\nmore", "\r\n/hold web prod -x", "/promote a`b\u00a0to prod",
	}
	for _, s := range seeds {
		f.Add(s, false, "", "", "created", "User", "alice")
		f.Add(s, true, "web", "staging", "created", "User", "alice")
	}
	f.Add("/promote", true, "Web", "", "created", "User", "alice")
	f.Add("/release web prod", false, "", "", "edited", "User", "alice")
	f.Add("/release web prod", false, "", "", "created", "Bot", "stagehand[bot]")

	f.Fuzz(func(t *testing.T, body string, pr bool, app, stage, action, authorType, author string) {
		c := Context{OnStagehandPR: pr, App: app, Stage: stage, Action: action,
			AuthorType: authorType, Author: author, BotLogin: "stagehand[bot]"}
		r := Parse(body, c)

		verb, _ := cutWord(firstLine(body))
		_, isVerb := verbs[verb]
		screened := action == "created" && !strings.EqualFold(authorType, "Bot") &&
			!strings.EqualFold(author, "stagehand[bot]") && isVerb
		if !screened && r != (Result{}) {
			t.Fatalf("Parse(%q, %+v) = %+v, want Ignore", body, c, r)
		}

		switch r.Verdict {
		case Ignore:
			if r != (Result{}) {
				t.Fatalf("Ignore carries data: %+v", r)
			}
		case Reply:
			if strings.TrimSpace(r.Reply) == "" || r.Command.Kind == "" {
				t.Fatalf("Reply without text or kind: %+v", r)
			}
			if r.Command != (Command{Kind: r.Command.Kind}) {
				t.Fatalf("Reply carries a half-parsed command: %+v", r.Command)
			}
			if strings.Contains(r.Reply, "\n\n\n") || !strings.Contains(r.Reply, "\n\nUsage: `") {
				t.Fatalf("Reply is not problem + usage: %q", r.Reply)
			}
		case Run:
			checkRun(t, body, c, r)
		default:
			t.Fatalf("unknown verdict %d", r.Verdict)
		}
	})
}

func checkRun(t *testing.T, body string, c Context, r Result) {
	t.Helper()
	cmd := r.Command
	if r.Reply != "" {
		t.Fatalf("Run with reply text: %+v", r)
	}
	if cmd.Kind == KindHelp {
		if cmd != (Command{Kind: KindHelp}) {
			t.Fatalf("help with arguments: %+v", cmd)
		}
		return
	}
	if !config.ValidName(cmd.App) {
		t.Fatalf("Parse(%q) runs with app %q", body, cmd.App)
	}
	if cmd.Stage == config.AllStages || cmd.All && (cmd.Kind != KindPromote || cmd.Stage != "") {
		t.Fatalf("Parse(%q) runs %+v: all is no stage", body, cmd)
	}
	if cmd.Kind == KindPromote && cmd.Stage == "" {
		if !c.OnStagehandPR || cmd.FromStage != c.Stage || cmd.App != c.App || !config.ValidName(cmd.FromStage) {
			t.Fatalf("Parse(%q, %+v) promotes from %q without a stagehand PR naming it", body, c, cmd.FromStage)
		}
		return
	}
	if !config.ValidName(cmd.Stage) || cmd.FromStage != "" {
		t.Fatalf("Parse(%q) runs with stage %q, from %q", body, cmd.Stage, cmd.FromStage)
	}
	if cmd.Force && (cmd.Kind != KindPromote || !strings.Contains(body, "--force")) {
		t.Fatalf("Parse(%q) forces %+v", body, cmd)
	}
	if cmd.Target != "" && (cmd.Kind != KindRollback || checkTarget(cmd.Target) != "") {
		t.Fatalf("Parse(%q) runs with target %q", body, cmd.Target)
	}
	if cmd.Reason != "" && (cmd.Kind != KindHold || cmd.Reason != strings.TrimSpace(cmd.Reason) || strings.ContainsAny(cmd.Reason, "\n")) {
		t.Fatalf("Parse(%q) runs with reason %q", body, cmd.Reason)
	}
}
