package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/api"
)

// TestServeHistory: after a push is merged and recorded and a stage is
// held, the API and `stagehand history` show each stage's tag and digest,
// the merge, the hold and the action that placed it.
func TestServeHistory(t *testing.T) {
	t.Parallel()
	w := e2eStart(t, e2eOptions{})
	a := w.app("generic")
	w.gh.SetPermission("writer", "write")
	if code, answer := w.send(t, w.deliveries(t)[a.name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	staging := promote.Branch(a.name, "staging")
	w.eventually(t, "the staging PR merged", func() (bool, string) {
		pr, _ := w.prOf(staging)
		return pr.Merged, pr.State
	})
	pr, _ := w.prOf(staging)
	w.send(t, w.prClosed(t, pr))
	w.send(t, w.comment(t, pr, "writer", "/hold "+a.name+" prod change freeze"))
	w.eventually(t, "merge and hold worked", func() (bool, string) {
		ok1, s1 := w.jobsDone(t, "pr_closed", 1)()
		ok2, s2 := w.jobsDone(t, "comment", 1)()
		return ok1 && ok2, s1 + " " + s2
	})

	resp, err := w.client.Get(w.base + "/api/v1/apps/" + a.name + "/history")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h api.History
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 200 {
		t.Fatalf("history: %d %v", resp.StatusCode, err)
	}
	if len(h.Stages) != 3 || h.Stages[0].Digest != w.digests[a.name] || h.Stages[2].Hold == nil || h.Stages[2].Hold.By != "writer" {
		t.Fatalf("stages %+v", h.Stages)
	}
	if len(h.Merges) != 1 || h.Merges[0].PR != pr.Number || h.Merges[0].Digest != w.digests[a.name] {
		t.Fatalf("merges %+v", h.Merges)
	}
	if len(h.Actions) != 1 || h.Actions[0].Kind != "hold" || h.Actions[0].Actor != "writer" {
		t.Fatalf("actions %+v", h.Actions)
	}

	var out, errOut e2eBuffer
	if code := run(context.Background(), []string{"history", "--app", a.name, "--server", w.base}, &out, &errOut); code != 0 {
		t.Fatalf("history: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"staging    1.0.0@" + w.digests[a.name], "[held by @writer: change freeze]", "PR #", "@writer hold prod: held"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("history output lacks %q:\n%s", want, out.String())
		}
	}
	if code := run(context.Background(), []string{"history", "--app", "nope", "--server", w.base}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "unknown app") {
		t.Errorf("unknown app: exit %d: %s", code, errOut.String())
	}
}
