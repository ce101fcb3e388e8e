package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// TestServeHistory: after a push is merged and recorded and a stage is
// held, the API and `stagehand history` show each stage's tag and digest,
// the merge, the hold and the action that placed it.
func TestServeHistory(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	a := w.App("generic")
	w.GitHub.SetPermission("writer", "write")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	staging := promote.Branch(a.Name, "staging")
	w.Eventually(t, "the staging PR merged", func() (bool, string) {
		pr, _ := w.PR(staging)
		return pr.Merged, pr.State
	})
	pr, _ := w.PR(staging)
	w.Eventually(t, "the merge moved the image on to preprod", func() (bool, string) {
		pre, ok := w.PR(promote.Branch(a.Name, "preprod"))
		return ok && pre.State == "open", pre.State
	})
	if code, reply := w.Comment(t, pr.Number, "writer", "/hold "+a.Name+" prod change freeze"); code != http.StatusAccepted || !strings.Contains(reply, "is held in prod") {
		t.Fatalf("/hold: %d %q", code, reply)
	}

	resp, err := w.GetAPI("/api/v1/apps/" + a.Name + "/history")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h api.History
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 200 {
		t.Fatalf("history: %d %v", resp.StatusCode, err)
	}
	if len(h.Stages) != 3 || h.Stages[0].Digest != w.Digests[a.Name] || h.Stages[2].Hold == nil || h.Stages[2].Hold.By != "writer" {
		t.Fatalf("stages %+v", h.Stages)
	}
	if len(h.Merges) != 1 || h.Merges[0].PR != pr.Number || h.Merges[0].Digest != w.Digests[a.Name] {
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

	var out, errOut e2e.Buffer
	if code := run(context.Background(), []string{"history", "--app", a.Name, "--server", w.Base, "--api-token", e2e.APIToken}, &out, &errOut); code != 0 {
		t.Fatalf("history: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"staging    1.0.0@" + w.Digests[a.Name], "[held by @writer: change freeze]", "PR #", "@writer hold prod: held"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("history output lacks %q:\n%s", want, out.String())
		}
	}
	if code := run(context.Background(), []string{"history", "--app", "nope", "--server", w.Base, "--api-token", e2e.APIToken}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "unknown app") {
		t.Errorf("unknown app: exit %d: %s", code, errOut.String())
	}

	// Who may read: the server has a token, so the API refuses a missing
	// or wrong one, and says why; the metrics are not on the main address.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "401 Unauthorized: the API needs a token"},
		{[]string{"--api-token", "not-the-api-token"}, "401 Unauthorized: the API token is wrong"},
	} {
		var errOut e2e.Buffer
		args := append([]string{"history", "--app", a.Name, "--server", w.Base}, tt.args...)
		if code := run(context.Background(), args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("history %v: exit %d: %s; want exit 1 and %q", tt.args, code, errOut.String(), tt.want)
		}
	}
	resp, err = w.Client.Get(w.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the main address: %d, want 404 (metrics are on --metrics-addr)", resp.StatusCode)
	}
}
