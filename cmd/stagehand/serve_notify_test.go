package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// eventReceiver is a receiver of stagehand's JSON events, as a team would
// write one: it checks each signature with its own HMAC of the raw body,
// and keeps each event once by its id. The first event's first delivery
// hangs until hang is closed, and that event is refused with 500 twice
// before it is taken.
type eventReceiver struct {
	t      *testing.T
	secret string
	hang   chan struct{}
	hung   chan struct{} // closed when the first delivery is hanging

	mu     sync.Mutex
	first  string         // the id of the first event
	tries  map[string]int // deliveries per event id
	events map[string]map[string]any
	order  []string // ids, as first taken
}

func newEventReceiver(t *testing.T, secret string) *eventReceiver {
	return &eventReceiver{t: t, secret: secret, hang: make(chan struct{}), hung: make(chan struct{}),
		tries: map[string]int{}, events: map[string]map[string]any{}}
}

func (rc *eventReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	m := hmac.New(sha256.New, []byte(rc.secret))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if got := r.Header.Get("X-Stagehand-Signature-256"); !hmac.Equal([]byte(got), []byte(want)) {
		rc.t.Errorf("signature %q, want %q, of %s", got, want, body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("X-Stagehand-Event-Id")
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil || ev["id"] != id {
		rc.t.Errorf("event %s (%v) under id %q", body, err, id)
	}
	rc.mu.Lock()
	if rc.first == "" {
		rc.first = id
	}
	rc.tries[id]++
	n, first := rc.tries[id], id == rc.first
	rc.mu.Unlock()
	if first && n == 1 {
		close(rc.hung)
		select {
		case <-rc.hang:
		case <-r.Context().Done():
		}
	}
	if first && n <= 2 {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rc.mu.Lock()
	if _, seen := rc.events[id]; !seen {
		rc.events[id] = ev
		rc.order = append(rc.order, id)
	}
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// taken are the events taken, as "kind stage" in the order first taken.
func (rc *eventReceiver) taken() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, id := range rc.order {
		out = append(out, fmt.Sprintf("%s %s", rc.events[id]["kind"], rc.events[id]["stage"]))
	}
	return out
}

func (rc *eventReceiver) find(kind, stage string) (map[string]any, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, ev := range rc.events {
		if ev["kind"] == kind && ev["stage"] == stage {
			return ev, true
		}
	}
	return nil, false
}

// slackReceiver keeps the text of each Slack message.
type slackReceiver struct {
	mu    sync.Mutex
	texts []string
}

func (rc *slackReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Text == "" || len(body.Blocks) == 0 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.texts = append(rc.texts, body.Text)
	rc.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func (rc *slackReceiver) all() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return strings.Join(rc.texts, "\n")
}

// TestServeNotifies: a push tells a config repository's JSON receiver
// that staging's PR was opened and merged and preprod's opened, signed,
// while the receiver hangs and then fails twice (the promotion does not
// wait for it, and the event still arrives); a hold and a refused
// /promote are told too; the server-wide Slack receiver gets the events
// it asked for.
func TestServeNotifies(t *testing.T) {
	t.Parallel()
	secret := "receiver-secret-" + fmt.Sprint(time.Now().UnixNano())
	// The variable the config names; a name of this test's own, as tests
	// run in parallel in one process.
	secretEnv := fmt.Sprintf("STAGEHAND_NOTIFY_E2E_%d", time.Now().UnixNano())
	os.Setenv(secretEnv, secret)
	t.Cleanup(func() { os.Unsetenv(secretEnv) })

	rx := newEventReceiver(t, secret)
	hooks := httptest.NewServer(rx)
	t.Cleanup(hooks.Close)
	sl := &slackReceiver{}
	slack := httptest.NewServer(sl)
	t.Cleanup(slack.Close)

	w := e2e.Start(t, e2e.Options{Run: run,
		Notify:    fmt.Sprintf("  - url: %s/stagehand\n    format: json\n    secret_env: %s\n", hooks.URL, secretEnv),
		ServeArgs: []string{"--notify-url", slack.URL + "/services/T0/B0/TOKEN", "--notify-format", "slack", "--notify-events", "merged,refused"},
	})
	a := w.App("generic")
	w.GitHub.SetPermission("writer", "write")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}

	// The first event's delivery hangs at the receiver; the promotion goes
	// on all the same, through staging and on into preprod.
	select {
	case <-rx.hung:
	case <-time.After(e2e.Deadline):
		t.Fatalf("no event came:\n%s", w.Stderr)
	}
	w.Eventually(t, "staging merged and preprod's PR opened while the receiver hangs", func() (bool, string) {
		pre, ok := w.PR(promote.Branch(a.Name, "preprod"))
		return ok && pre.State == "open", pre.State
	})
	close(rx.hang)

	staging, _ := w.PR(promote.Branch(a.Name, "staging"))
	if code, reply := w.Comment(t, staging.Number, "writer", "/hold "+a.Name+" prod change freeze"); code != http.StatusAccepted || !strings.Contains(reply, "is held in prod") {
		t.Fatalf("/hold: %d %q", code, reply)
	}
	if code, reply := w.Comment(t, staging.Number, "writer", "/promote "+a.Name+" to prod"); code != http.StatusAccepted || reply == "" {
		t.Fatalf("/promote: %d %q", code, reply)
	}

	want := []string{"opened staging", "merged staging", "opened preprod", "held prod", "refused prod"}
	w.Eventually(t, "the receiver took every event", func() (bool, string) {
		got := rx.taken()
		for _, x := range want {
			if !containsString(got, x) {
				return false, fmt.Sprint(got)
			}
		}
		return true, ""
	})

	// The first event was tried until the receiver took it: a hang (or a
	// 500), a 500, then taken.
	rx.mu.Lock()
	firstTries, firstKind := rx.tries[rx.first], rx.events[rx.first]["kind"]
	rx.mu.Unlock()
	if firstTries != 3 {
		t.Errorf("the first event (%v) was delivered %d times, want 3 (500, 500, taken)", firstKind, firstTries)
	}
	got := rx.taken()
	for _, x := range want {
		if n := countString(got, x); n != 1 {
			t.Errorf("%q taken %d times, want once (the merge is stagehand's and GitHub's news of it, told once): %v", x, n, got)
		}
	}

	merged, _ := rx.find("merged", "staging")
	pr, _ := merged["pr"].(map[string]any)
	for k, v := range map[string]any{"version": float64(1), "repo": w.GitHub.Owner() + "/" + w.GitHub.Repo(), "app": a.Name,
		"tag": e2e.Tag, "digest": w.Digests[a.Name], "source": "merge", "group": ""} {
		if merged[k] != v {
			t.Errorf("merged event %s = %v, want %v: %v", k, merged[k], v, merged)
		}
	}
	// stagehand merged it: the merge is recorded by whichever comes first,
	// stagehand's own word or GitHub's news naming the App's bot.
	if actor := merged["actor"]; actor != "stagehand" && !strings.HasSuffix(fmt.Sprint(actor), "[bot]") {
		t.Errorf("merged event's actor %v, want stagehand or the App's bot", actor)
	}
	if pr == nil || pr["number"] != float64(staging.Number) || !strings.HasSuffix(fmt.Sprint(pr["url"]), fmt.Sprintf("/pull/%d", staging.Number)) {
		t.Errorf("merged event's pr %v, want #%d", pr, staging.Number)
	}
	refused, _ := rx.find("refused", "prod")
	if refused["actor"] != "writer" || refused["source"] != "comment" || refused["reason"] == "" {
		t.Errorf("refused event %v", refused)
	}
	held, _ := rx.find("held", "prod")
	if held["reason"] != "change freeze" || held["actor"] != "writer" {
		t.Errorf("held event %v", held)
	}

	w.Eventually(t, "the Slack receiver got the merge and the refusal, and only those", func() (bool, string) {
		all := sl.all()
		return strings.Contains(all, "merged into staging") && strings.Contains(all, "refused for prod") && !strings.Contains(all, "proposed"), all
	})
	if all := sl.all(); !strings.Contains(all, "stagehand: "+a.Name+" "+e2e.Tag+" ("+strings.TrimPrefix(w.Digests[a.Name], "sha256:")[:12]+") merged into staging · PR #") {
		t.Errorf("Slack text: %s", all)
	}

	m := w.Metrics(t)
	counts := e2e.Totals(m, "stagehand_notifications_total", "outcome")
	if counts["retry"] < 2 || counts["sent"] < float64(len(want)+2) || counts["failed"] != 0 {
		t.Errorf("stagehand_notifications_total by outcome: %v", counts)
	}
	if strings.Contains(w.Stderr.String(), "TOKEN") || strings.Contains(w.Stderr.String(), secret) {
		t.Error("the log shows the Slack URL's token or the receiver's secret")
	}
}

func containsString(s []string, x string) bool { return countString(s, x) > 0 }

func countString(s []string, x string) int {
	n := 0
	for _, y := range s {
		if y == x {
			n++
		}
	}
	return n
}

// TestServeRefusesBadNotifySettings: a server-wide receiver's settings
// are checked with the others, before anything starts, and the URL (a
// Slack URL is a secret) is never repeated.
func TestServeRefusesBadNotifySettings(t *testing.T) {
	t.Parallel()
	var stdout, stderr e2e.Buffer
	code := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--github-webhook-secret", e2e.GitHubSecret,
		"--github-app-id", "1", "--github-private-key", "x", "--config-repo", "acme/config", "--database-url", t.TempDir() + "/s.db",
		"--notify-url", "https://hooks.slack.com/services/T0/B0/SLACK-TOKEN-e2e", "--notify-format", "json", "--notify-events", "merged,deployed"}, &stdout, &stderr)
	if code != exitUsage || stdout.String() != "" {
		t.Errorf("exit %d, stdout %q; want %d", code, stdout.String(), exitUsage)
	}
	for _, want := range []string{"STAGEHAND_NOTIFY_SECRET is empty", `STAGEHAND_NOTIFY_EVENTS: "deployed" is not an event`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "SLACK-TOKEN-e2e") {
		t.Errorf("stderr repeats the receiver's URL:\n%s", stderr.String())
	}
}
