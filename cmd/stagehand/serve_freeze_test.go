package main

// End-to-end test of freeze windows against a running `stagehand serve`
// whose clock the test sets (withClock): the window's hour is stood in, not
// waited for.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// TestServeFreezeWindows: staging is frozen over the weekend (Berlin) and
// preprod all of Monday 2026-12-07. A push at 07:59:45 on Monday waits,
// and staging's PR is opened (and merged) once the weekend's window opens
// at 08:00; the merge's chain into preprod waits for Tuesday, and says so
// on the merged PR. An approver's `/promote` into preprod is refused with
// the time it opens; a writer's --force is refused (preprod names
// approvers); the approver's --force goes through, and the history says
// it was forced.
func TestServeFreezeWindows(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	w := e2e.Start(t, e2e.Options{Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return run(withClock(ctx, clock), args, stdout, stderr)
	}})
	a := w.App("generic")
	w.GitHub.SetPermission("writer", "write")
	w.GitHub.SetPermission("approver", "write")

	cfg, err := w.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	frozen := strings.Replace(string(cfg), "    mode: auto-merge\n", `    mode: auto-merge
    windows:
      - deny: "Fri 16:00 - Mon 08:00"
        timezone: Europe/Berlin
`, 1)
	frozen = strings.Replace(frozen, "    mode: pull-request\n", `    mode: pull-request
    approvers: [approver]
    windows:
      - deny: "2026-12-07 - 2026-12-07"
        timezone: Europe/Berlin
`, 1)
	if frozen == string(cfg) {
		t.Fatal("the seeded config changed shape")
	}
	if _, err := w.GitHub.Commit("main", "freeze windows", map[string][]byte{".stagehand.yaml": []byte(frozen)}); err != nil {
		t.Fatal(err)
	}

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	opens := time.Date(2026, 12, 7, 8, 0, 0, 0, berlin)
	// Serve's clock reads 15 s before the weekend's window opens: time
	// enough for the push to be decided inside it, on a busy machine too.
	// The history's times are serve's clock, so they show the order.
	offset.Store(int64(time.Until(opens.Add(-15 * time.Second))))

	d := w.Push(t, a, "1.2.0")
	if code, answer := w.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":"1.2.0","digest":%q}`, a.Image, d))); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	staging := promote.Branch(a.Name, "staging")
	// At 08:00 the queue runs the push again, and staging (auto-merge)
	// takes it.
	w.Eventually(t, "staging's PR opened and merged when the window opened", func() (bool, string) {
		pr, ok := w.PR(staging)
		return ok && pr.Merged, fmt.Sprintf("%+v", pr)
	})
	waited := fwAction(t, w, func(act api.Action) bool { return act.Kind == "push" && act.Result == "waiting" })
	if want := "staging is inside its freeze window Fri 16:00 - Mon 08:00 (Europe/Berlin): nothing moves into it until it opens at Mon 2026-12-07 07:00 UTC (Mon 08:00 CET)"; waited.Reason != want || waited.ToDigest != d || !waited.At.Before(opens) {
		t.Fatalf("the waiting push is recorded as %+v, want reason %q before %s", waited, want, opens)
	}
	merged := fwAction(t, w, func(act api.Action) bool { return act.Kind == "push" && act.Result == "merged" })
	if merged.At.Before(opens) || merged.ToDigest != d || merged.Source != "push" {
		t.Fatalf("staging took the push as %+v, want it at %s or later", merged, opens)
	}
	pr, _ := w.PR(staging)

	// The merge's chain into preprod meets Monday's window: it waits, and
	// the merged PR says until when.
	w.Eventually(t, "the chain's note on the merged PR", func() (bool, string) {
		c := w.LastComment(pr.Number)
		return strings.Contains(c, "stagehand moves "+a.Name+" on to preprod at Mon 2026-12-07 23:00 UTC (Tue 00:00 CET), when the freeze window opens"), c
	})
	if pre, ok := w.PR(promote.Branch(a.Name, "preprod")); ok {
		t.Fatalf("the chain opened preprod's PR #%d inside its window", pre.Number)
	}

	say := func(login, body string, want ...string) {
		t.Helper()
		code, reply := w.Comment(t, pr.Number, login, body)
		if code != http.StatusAccepted {
			t.Fatalf("%s: %d", body, code)
		}
		for _, s := range want {
			if !strings.Contains(reply, s) {
				t.Fatalf("%s by %s: reply %q, want %q", body, login, reply, s)
			}
		}
	}
	say("approver", "/promote "+a.Name+" to preprod",
		"stagehand did not promote "+a.Name+" to preprod: preprod is inside its freeze window 2026-12-07 - 2026-12-07 (Europe/Berlin): nothing moves into it until it opens at Mon 2026-12-07 23:00 UTC (Tue 00:00 CET)",
		"`/promote "+a.Name+" to preprod --force`")
	say("writer", "/promote "+a.Name+" to preprod --force", "@writer may not promote into preprod: only approver may")
	if pre, ok := w.PR(promote.Branch(a.Name, "preprod")); ok {
		t.Fatalf("a refused promotion opened preprod's PR #%d", pre.Number)
	}
	say("approver", "/promote "+a.Name+" to preprod --force", "`1.2.0` (`"+d+"`) → preprod: opened",
		"This promotion was forced by approver inside preprod's freeze window 2026-12-07 - 2026-12-07 (Europe/Berlin), which opens at Mon 2026-12-07 23:00 UTC (Tue 00:00 CET).")
	if pre, ok := w.PR(promote.Branch(a.Name, "preprod")); !ok || pre.State != "open" {
		t.Fatalf("the forced promotion opened no PR: %+v", pre)
	}

	refused := fwAction(t, w, func(act api.Action) bool { return act.Actor == "approver" && act.Result == "refused" })
	if !strings.Contains(refused.Reason, "opens at Mon 2026-12-07 23:00 UTC") {
		t.Errorf("the refusal is recorded as %+v", refused)
	}
	forced := fwAction(t, w, func(act api.Action) bool { return act.Actor == "approver" && act.Result == "opened" })
	if !strings.HasPrefix(forced.Reason, "forced by approver inside preprod's freeze window") || forced.Source != "comment" || forced.ToDigest != d {
		t.Errorf("the forced promotion is recorded as %+v", forced)
	}
}

// fwAction is the newest action of the app's history that match says is
// the one, waited for as a user refreshing the history would: what GitHub
// shows (a merged PR, a reply) may come a moment before stagehand records it.
func fwAction(t *testing.T, w *e2e.World, match func(api.Action) bool) api.Action {
	t.Helper()
	var found api.Action
	w.Eventually(t, "the action in the app's history", func() (bool, string) {
		resp, err := w.GetAPI("/api/v1/apps/generic/history")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h api.History
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("history: %d %v", resp.StatusCode, err)
		}
		for _, act := range h.Actions {
			if match(act) {
				found = act
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", h.Actions)
	})
	return found
}
