package main

// End-to-end tests of the real-world edges of issue 7 against a running
// `stagehand serve`, with the helpers of serve_e2e_test.go: a push a hold
// refused is kept, shown and proposed on release; a broken .stagehand.yaml
// is reported on its commit and its fix lets waiting pushes through at
// once; GitHub failing in passing costs time, never a push. What is new
// here starts with hl.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/pgtest"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// hlHealDeadline is how soon after its cause clears (the last GitHub
// fault, the commit fixing the config) a waiting push must land: a bound
// a user would still call prompt, and a deadline to fail, not a speed claim.
const hlHealDeadline = 30 * time.Second

// hlDatabases runs a test on SQLite and on PostgreSQL.
func hlDatabases(t *testing.T, test func(t *testing.T, database string)) {
	for _, d := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.Schema(t) }},
	} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			test(t, d.url(t))
		})
	}
}

// hlPush pushes a new image as a's tag to the registry and tells stagehand
// as a CI job would (the generic sender); pushedAt, when set, is the time
// the CI job says it pushed. It returns the image's digest.
func (w *e2eWorld) hlPush(t *testing.T, a e2eApp, tag string, pushedAt time.Time) string {
	t.Helper()
	d := w.push(t, a, tag)
	body := fmt.Sprintf(`{"image":%q,"tag":%q,"digest":%q`, a.image, tag, d)
	if !pushedAt.IsZero() {
		body += fmt.Sprintf(`,"pushed_at":%q`, pushedAt.UTC().Format(time.RFC3339Nano))
	}
	if code, answer := w.send(t, e2eGeneric([]byte(body+"}"))); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("push %s:%s: %d %q, want 202 accepted", a.name, tag, code, answer)
	}
	return d
}

// hlHistory is what GET /api/v1/apps/{app}/history answers.
func (w *e2eWorld) hlHistory(t *testing.T, app string) api.History {
	t.Helper()
	resp, err := w.client.Get(w.base + "/api/v1/apps/" + app + "/history")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h api.History
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("history of %s: %d %v", app, resp.StatusCode, err)
	}
	return h
}

// hlPromotions is stagehand_promotions_total by "stage result".
func hlPromotions(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for series, v := range m {
		rest, ok := strings.CutPrefix(series, "stagehand_promotions_total{")
		if !ok {
			continue
		}
		labels := map[string]string{}
		for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
			k, val, _ := strings.Cut(kv, "=")
			labels[k], _ = strconv.Unquote(val)
		}
		out[labels["stage"]+" "+labels["result"]] += v
	}
	return out
}

// hlNotes are stagehand's comments on an issue that answer nobody: its
// notes, not its replies (which start with "@login ").
func (w *e2eWorld) hlNotes(number int) []string {
	var out []string
	for _, c := range w.gh.CommentsOn(number) {
		if strings.HasSuffix(c.User, "[bot]") && !strings.HasPrefix(c.Body, "@") {
			out = append(out, c.Body)
		}
	}
	return out
}

// hlMarker is the stagehand marker of the newest PR of app's stage.
func (w *e2eWorld) hlMarker(app, stage string) (githubfake.PullRequest, promote.Marker, bool) {
	pr, ok := w.prOf(promote.Branch(app, stage))
	if !ok {
		return pr, promote.Marker{}, false
	}
	m, ok, err := promote.ParseMarker(pr.Body)
	return pr, m, ok && err == nil
}

// TestServeHeldPushIsKeptAndProposedOnRelease: a writer holds staging with
// a comment on an issue; a push is refused there, and the refusal shows
// where people look: a note on the hold's issue naming the kept image, the
// audit log (refused, held), and the metrics (refused, not failed). A newer
// push replaces the kept one. /release proposes the newest kept image at
// once, and says so. A pattern-policy app's held push goes the same way.
func TestServeHeldPushIsKeptAndProposedOnRelease(t *testing.T) {
	t.Parallel()
	hlDatabases(t, hlHeldPush)
}

func hlHeldPush(t *testing.T, database string) {
	w := e2eStart(t, e2eOptions{database: database})
	a := w.app("generic")
	w.gh.SetPermission("writer", "write")
	staging := promote.Branch(a.name, "staging")
	issue := w.gh.OpenIssue("Change freeze")

	if code, reply := w.comment(t, issue, "writer", "/hold "+a.name+" staging change freeze"); code != http.StatusAccepted || !strings.Contains(reply, a.name+" is held in staging") {
		t.Fatalf("/hold: %d %q", code, reply)
	}
	d110 := w.hlPush(t, a, "1.1.0", time.Time{})
	w.eventually(t, "the held push worked", w.jobsDone(t, "push", 1))
	if pr, ok := w.prOf(staging); ok {
		t.Fatalf("a push into held staging opened PR #%d", pr.Number)
	}
	w.eventually(t, "a note on the hold's issue naming the kept image", func() (bool, string) {
		notes := w.hlNotes(issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`1.1.0`") && strings.Contains(notes[0], d110), strings.Join(notes, "\n---\n")
	})
	h := w.hlHistory(t, a.name)
	if len(h.Actions) == 0 {
		t.Fatal("the audit log is empty")
	}
	if act := h.Actions[0]; act.Kind != "push" || act.Stage != "staging" || act.Result != "refused" || !strings.Contains(act.Reason, "held") ||
		act.ToTag != "1.1.0" || act.ToDigest != d110 || act.Actor != "stagehand" {
		t.Errorf("newest action %+v; want stagehand's push of 1.1.0@%s into staging refused as held", act, d110)
	}
	if h.Stages[0].Hold == nil || h.Stages[0].Hold.By != "writer" {
		t.Errorf("staging's hold in the API: %+v", h.Stages[0].Hold)
	}
	counted := hlPromotions(w.metrics(t))
	if counted["staging refused"] != 1 || counted["staging failed"] != 0 {
		t.Errorf("stagehand_promotions_total: %v; want staging refused 1, failed 0", counted)
	}

	// A newer push while still held replaces the kept one, in the same note.
	d120 := w.hlPush(t, a, "1.2.0", time.Time{})
	w.eventually(t, "the second held push worked", w.jobsDone(t, "push", 2))
	w.eventually(t, "the note names the newer image", func() (bool, string) {
		notes := w.hlNotes(issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`1.2.0`") && strings.Contains(notes[0], d120) && !strings.Contains(notes[0], d110),
			strings.Join(notes, "\n---\n")
	})
	if counted := hlPromotions(w.metrics(t)); counted["staging refused"] != 2 || counted["staging failed"] != 0 {
		t.Errorf("stagehand_promotions_total: %v; want staging refused 2, failed 0", counted)
	}
	if pr, ok := w.prOf(staging); ok {
		t.Fatalf("a push into held staging opened PR #%d", pr.Number)
	}

	// The release proposes the newest kept image before it answers: the PR
	// is there when the reply is, with no reconcile (it is off) and no push.
	_, reply := w.comment(t, issue, "writer", "/release "+a.name+" staging")
	for _, want := range []string{a.name + " is released in staging", "kept `1.2.0` (`" + d120 + "`) for staging; it is proposed now"} {
		if !strings.Contains(reply, want) {
			t.Errorf("/release reply %q lacks %q", reply, want)
		}
	}
	pr, m, ok := w.hlMarker(a.name, "staging")
	if !ok || m.Tag != "1.2.0" || m.Digest != d120 {
		t.Fatalf("after /release, staging's PR %+v proposes %+v; want 1.2.0@%s", pr, m, d120)
	}
	if !strings.Contains(reply, fmt.Sprintf("/pull/%d", pr.Number)) {
		t.Errorf("the reply does not link PR #%d: %q", pr.Number, reply)
	}
	w.eventually(t, "staging runs the kept image", func() (bool, string) {
		p, _, _ := w.hlMarker(a.name, "staging")
		return p.Merged, p.State
	})
	if got := w.hlHistory(t, a.name).Stages[0]; got.Tag != "1.2.0" || got.Digest != d120 || got.Hold != nil {
		t.Errorf("staging after the release: %+v; want 1.2.0@%s, not held", got, d120)
	}
	// The kept promotion was proposed once: releasing again finds no hold.
	if _, reply := w.comment(t, issue, "writer", "/release "+a.name+" staging"); !strings.Contains(reply, "is not held in staging") {
		t.Errorf("a second /release: %q", reply)
	}

	hlHeldPatternPush(t, w)
}

// hlHeldPatternPush: an app whose tags follow a pattern, not versions,
// orders its pushes by when they were pushed, by arrival when the sender
// gives no push time: the later push held is the one kept and proposed on
// release.
func hlHeldPatternPush(t *testing.T, w *e2eWorld) {
	t.Helper()
	a := w.app("acr")
	cfg, err := w.gh.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The acr app's semver line is the one after its image line.
	old := "image: " + a.image + "\n    tags:\n      semver: \">=1.0.0\"\n"
	if !strings.Contains(string(cfg), old) {
		t.Fatalf("the config has no %q", old)
	}
	cfg = []byte(strings.Replace(string(cfg), old, "image: "+a.image+"\n    tags:\n      pattern: '^main-[0-9]+$'\n", 1))
	if _, err := w.gh.Commit("main", a.name+" follows main builds", map[string][]byte{".stagehand.yaml": cfg}); err != nil {
		t.Fatal(err)
	}
	issue := w.gh.OpenIssue("Hold " + a.name)
	if _, reply := w.comment(t, issue, "writer", "/hold "+a.name+" staging"); !strings.Contains(reply, a.name+" is held in staging") {
		t.Fatalf("/hold %s: %q", a.name, reply)
	}
	pushes := 2 + 1 // the semver app's two, this one's first
	// main-9 is pushed before main-10, and the CI job says no push time: no
	// version and no clock orders them, so the later arrival is the newer.
	d9 := w.hlPush(t, a, "main-9", time.Time{})
	w.eventually(t, "main-9's push worked", w.jobsDone(t, "push", pushes))
	w.eventually(t, "the note names main-9", func() (bool, string) {
		notes := w.hlNotes(issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`main-9`") && strings.Contains(notes[0], d9), strings.Join(notes, "\n---\n")
	})
	d10 := w.hlPush(t, a, "main-10", time.Time{})
	w.eventually(t, "main-10's push worked", w.jobsDone(t, "push", pushes+1))
	w.eventually(t, "the note names main-10", func() (bool, string) {
		notes := w.hlNotes(issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`main-10`") && strings.Contains(notes[0], d10), strings.Join(notes, "\n---\n")
	})
	_, reply := w.comment(t, issue, "writer", "/release "+a.name+" staging")
	if want := "kept `main-10` (`" + d10 + "`) for staging; it is proposed now"; !strings.Contains(reply, want) {
		t.Errorf("/release %s reply %q lacks %q", a.name, reply, want)
	}
	if pr, m, ok := w.hlMarker(a.name, "staging"); !ok || m.Tag != "main-10" || m.Digest != d10 {
		t.Fatalf("after /release, %s's staging PR %+v proposes %+v; want main-10@%s", a.name, pr, m, d10)
	}
}
