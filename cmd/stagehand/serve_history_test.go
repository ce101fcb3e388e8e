package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/promote"
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
	w.eventually(t, "the merge moved the image on to preprod", func() (bool, string) {
		pre, ok := w.prOf(promote.Branch(a.name, "preprod"))
		return ok && pre.State == "open", pre.State
	})
	if code, reply := w.comment(t, pr.Number, "writer", "/hold "+a.name+" prod change freeze"); code != http.StatusAccepted || !strings.Contains(reply, "is held in prod") {
		t.Fatalf("/hold: %d %q", code, reply)
	}

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
	// Newest first: the hold, the chain into preprod, the push into staging.
	var got []string
	for _, act := range h.Actions {
		got = append(got, act.Actor+" "+act.Kind+" "+act.Stage+" "+act.Result)
	}
	if want := "writer hold prod held|stagehand chain preprod opened|stagehand push staging merged"; strings.Join(got, "|") != want {
		t.Fatalf("actions %q, want %q", got, want)
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
