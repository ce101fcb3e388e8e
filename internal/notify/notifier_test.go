package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/stagehand-dev/stagehand/internal/queue"
)

// fakeQueue keeps what was queued.
type fakeQueue struct {
	mu  sync.Mutex
	got []queue.Notification
	err error
}

func (q *fakeQueue) Notify(_ context.Context, ns []queue.Notification) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.got = append(q.got, ns...)
	return nil
}

// receiver checks each delivery as a receiver would: the signature by its
// own HMAC of the raw body, and the event id.
type receiver struct {
	t      *testing.T
	secret string
	answer func(n int) int // status for the n-th request, from 1

	mu   sync.Mutex
	seen []received
}

type received struct {
	id, kind string
	body     []byte
	signed   bool
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sig := r.Header.Get("X-Stagehand-Signature-256")
	signed := false
	if rc.secret != "" {
		m := hmac.New(sha256.New, []byte(rc.secret))
		m.Write(body)
		if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(sig), []byte(want)) {
			rc.t.Errorf("signature %q, want %q", sig, want)
		}
		signed = true
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rc.t.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	rc.mu.Lock()
	rc.seen = append(rc.seen, received{id: r.Header.Get("X-Stagehand-Event-Id"), kind: r.Header.Get("X-Stagehand-Event"), body: body, signed: signed})
	n := len(rc.seen)
	rc.mu.Unlock()
	status := http.StatusOK
	if rc.answer != nil {
		status = rc.answer(n)
	}
	w.WriteHeader(status)
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.seen...)
}

// deliverAll delivers what q holds once each, as the queue would on a
// first try, and returns the errors by notification id.
func deliverAll(t *testing.T, n *Notifier, q *fakeQueue) map[string]error {
	t.Helper()
	errs := map[string]error{}
	for _, x := range q.got {
		errs[x.ID] = n.Deliver(context.Background(), x.Payload, false)
	}
	return errs
}

func TestNotifyAndDeliver(t *testing.T) {
	jsonRx := &receiver{t: t, secret: "repo-secret", answer: func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}}
	jsonSrv := httptest.NewServer(jsonRx)
	defer jsonSrv.Close()
	slackRx := &receiver{t: t}
	slackSrv := httptest.NewServer(slackRx)
	defer slackSrv.Close()
	serverRx := &receiver{t: t, secret: "server-secret"}
	serverSrv := httptest.NewServer(serverRx)
	defer serverSrv.Close()

	env := map[string]string{"STAGEHAND_NOTIFY_SLACK_URL": slackSrv.URL + "/services/T0/B0/SECRETTOKEN", "STAGEHAND_NOTIFY_HOOK_SECRET": "repo-secret"}
	q := &fakeQueue{}
	reg := prometheus.NewRegistry()
	n, err := New(Options{Repo: "acme/config", Queue: q, Registerer: reg,
		Server: &Server{URL: serverSrv.URL, Format: FormatJSON, Secret: "server-secret", Events: []Kind{Merged}},
		Targets: func() []Target {
			return []Target{
				{URL: jsonSrv.URL + "/hook", Format: FormatJSON, SecretEnv: "STAGEHAND_NOTIFY_HOOK_SECRET"},
				{URLEnv: "STAGEHAND_NOTIFY_SLACK_URL", Format: FormatSlack, Events: []Kind{Refused}},
			}
		},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(context.Background(), []Event{
		{Kind: Merged, App: "web", Stage: "staging", Tag: "1.0.0", Digest: digest, PR: &PR{Number: 3}, Actor: "stagehand"},
		{Kind: Refused, App: "web", Stage: "prod", Tag: "1.0.0", Digest: digest, Actor: "bob", Reason: "prod is held"},
	})
	// merged: the server's and the JSON receiver; refused: the JSON
	// receiver and Slack.
	if len(q.got) != 4 {
		t.Fatalf("queued %d, want 4: %+v", len(q.got), q.got)
	}
	for _, x := range q.got {
		if p := string(x.Payload); strings.Contains(p, "SECRETTOKEN") || strings.Contains(p, "repo-secret") || strings.Contains(p, "server-secret") || strings.Contains(p, serverSrv.URL) {
			t.Errorf("a secret is queued: %s", x.Payload)
		}
	}

	errs := deliverAll(t, n, q)
	for id, err := range errs {
		if strings.HasSuffix(id, "/repo-0") {
			if err == nil || queue.IsPermanent(err) {
				t.Errorf("%s: a 500 gave %v, want an error to retry", id, err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	// The retry carries the same event, id and body, and goes through.
	for _, x := range q.got {
		if strings.HasSuffix(x.ID, "/repo-0") {
			if err := n.Deliver(context.Background(), x.Payload, false); err != nil {
				t.Errorf("retry of %s: %v", x.ID, err)
			}
		}
	}
	got := jsonRx.requests()
	if len(got) != 4 || got[0].id != got[2].id || string(got[0].body) != string(got[2].body) {
		t.Fatalf("JSON receiver got %d requests; a retry must repeat the id and body: %+v", len(got), got)
	}
	var ev Event
	if err := json.Unmarshal(got[2].body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Repo != "acme/config" || ev.PR == nil || ev.PR.URL != "https://github.com/acme/config/pull/3" || ev.Version != 1 || ev.ID != got[2].id {
		t.Errorf("event %+v", ev)
	}
	if s := serverRx.requests(); len(s) != 1 || s[0].kind != "merged" || !s[0].signed {
		t.Errorf("server receiver got %+v, want the merge, signed", s)
	}
	if s := slackRx.requests(); len(s) != 1 || s[0].kind != "refused" || !strings.Contains(string(s[0].body), `"text":"stagehand: web 1.0.0 (0123456789ab) refused for prod`) {
		t.Errorf("Slack receiver got %+v", s)
	}
	if v := count(t, n, "merged", outcomeSent); v != 2 {
		t.Errorf("merged sent %v, want 2", v)
	}
	if v := count(t, n, "merged", outcomeRetry); v != 1 {
		t.Errorf("merged retried %v, want 1", v)
	}
}

// TestDeliverGivesUp: what retrying cannot fix ends the delivery at once,
// counted as failed, and no error repeats a URL that is a secret.
func TestDeliverGivesUp(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()
	moved := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:1/elsewhere", http.StatusFound))
	defer moved.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	env := map[string]string{"STAGEHAND_NOTIFY_GONE": gone.URL + "/TOKEN", "STAGEHAND_NOTIFY_DOWN": down.URL + "/TOKEN"}
	for _, tc := range []struct {
		name      string
		target    Target
		final     bool
		permanent bool
	}{
		{"404", Target{URLEnv: "STAGEHAND_NOTIFY_GONE", Format: FormatSlack}, false, true},
		{"redirect", Target{URL: moved.URL, Format: FormatSlack}, false, true},
		{"URL not set", Target{URLEnv: "STAGEHAND_NOTIFY_UNSET", Format: FormatSlack}, false, true},
		{"secret not set", Target{URL: moved.URL, Format: FormatJSON, SecretEnv: "STAGEHAND_NOTIFY_UNSET"}, false, true},
		{"down, tried again", Target{URLEnv: "STAGEHAND_NOTIFY_DOWN", Format: FormatSlack}, false, false},
		{"down, last try", Target{URLEnv: "STAGEHAND_NOTIFY_DOWN", Format: FormatSlack}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &fakeQueue{}
			n, err := New(Options{Repo: "acme/config", Queue: q, Targets: func() []Target { return []Target{tc.target} },
				LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
			if err != nil {
				t.Fatal(err)
			}
			n.Notify(context.Background(), []Event{{Kind: Opened, App: "web", Stage: "staging"}})
			if len(q.got) != 1 {
				t.Fatalf("queued %d", len(q.got))
			}
			err = n.Deliver(context.Background(), q.got[0].Payload, tc.final)
			if err == nil || queue.IsPermanent(err) != tc.permanent {
				t.Fatalf("Deliver = %v, want permanent=%v", err, tc.permanent)
			}
			if strings.Contains(err.Error(), "TOKEN") {
				t.Errorf("the error repeats the secret URL: %v", err)
			}
			want := outcomeRetry
			if tc.permanent || tc.final {
				want = outcomeFailed
			}
			if v := count(t, n, "opened", want); v != 1 {
				t.Errorf("%s counted %v times, want 1", want, v)
			}
		})
	}
}

// TestNotifyUnqueued: a queue that cannot take the deliveries costs the
// promotion nothing; the loss is counted.
func TestNotifyUnqueued(t *testing.T) {
	q := &fakeQueue{err: io.ErrUnexpectedEOF}
	n, err := New(Options{Repo: "acme/config", Queue: q, Server: &Server{URL: "https://example.com", Format: FormatSlack}})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(context.Background(), []Event{{Kind: Held, App: "web", Stage: "prod"}})
	if v := count(t, n, "held", outcomeUnqueued); v != 1 {
		t.Errorf("unqueued %v, want 1", v)
	}
}

// count reads stagehand_notifications_total{event, outcome} from the
// notifier's counter.
func count(t *testing.T, n *Notifier, event, outcome string) float64 {
	t.Helper()
	var m dto.Metric
	if err := n.outcome.WithLabelValues(event, outcome).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
