package command

import "testing"

func TestHelp(t *testing.T) {
	want := "stagehand commands, one per comment, on its first line:\n" +
		"\n- `/promote [<app>] [to <stage>|all] [--force]`: move an app's image on to a stage; <app> may name a group, whose apps move together (so does a group's app); on a stagehand pull request app and stage may be left out, and `/promote` alone moves on to the next stage (where several stages follow, name one, or `to all` for each of them); `--force` promotes inside the stage's freeze window (its approvers only). Example: `/promote web to prod`" +
		"\n- `/rollback <app> <stage> [to <tag|digest|commit>]`: put a stage back on an earlier image, by default the one it ran before. Example: `/rollback web prod to 1.4.2`" +
		"\n- `/hold <app> <stage> [reason…]`: stop promotions into a stage until it is released; the rest of the line is the reason. Example: `/hold web prod waiting for the schema migration`" +
		"\n- `/release <app> <stage>`: lift a hold so promotions into the stage resume. Example: `/release web prod`" +
		"\n- `/stagehand help`: list these commands. Example: `/stagehand help`" +
		"\n"
	if got := Help(); got != want {
		t.Errorf("Help() =\n%s\nwant\n%s", got, want)
	}
}

// Every example in the help must itself be a command that runs, or the
// help teaches something the parser refuses.
func TestHelpExamplesRun(t *testing.T) {
	for _, u := range usages {
		r := Parse(u.example, onIssue)
		if r.Verdict != Run || r.Command.Kind != u.kind {
			t.Errorf("example %q parses as %v %q (%s), want run %q", u.example, r.Verdict, r.Command.Kind, r.Reply, u.kind)
		}
	}
}
