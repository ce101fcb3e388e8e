package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func sampleEvent() Event {
	return Event{ID: "e1", Kind: Merged, Repo: "acme/config", App: "web", Stage: "prod", Tag: "1.4.2", Digest: digest,
		PR: &PR{Number: 12, URL: "https://github.com/acme/config/pull/12"}, Actor: "alice", Source: "comment",
		At: time.Date(2026, 12, 5, 16, 0, 0, 0, time.FixedZone("CET", 3600))}
}

// TestJSONSchema: the JSON event has exactly the documented fields, each
// always present, with the version, and the time in UTC.
func TestJSONSchema(t *testing.T) {
	body, err := Body(FormatJSON, sampleEvent())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"actor", "app", "at", "digest", "group", "id", "kind", "pr", "reason", "repo", "source", "stage", "tag", "version"}
	if !slices.Equal(keys, want) {
		t.Errorf("fields %v, want %v", keys, want)
	}
	if got["version"] != float64(1) || got["kind"] != "merged" || got["at"] != "2026-12-05T15:00:00Z" || got["digest"] != digest {
		t.Errorf("body %s", body)
	}
	if pr := got["pr"].(map[string]any); pr["number"] != float64(12) || pr["url"] != "https://github.com/acme/config/pull/12" {
		t.Errorf("pr %v", pr)
	}

	held := Event{ID: "e2", Kind: Held, Repo: "acme/config", App: "web", Stage: "prod", Actor: "alice", Reason: strings.Repeat("freeze ", 500)}
	body, err = Body(FormatJSON, held)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev["pr"] != nil || ev["tag"] != "" {
		t.Errorf("a hold's event: pr %v tag %q, want null and empty", ev["pr"], ev["tag"])
	}
	if r := ev["reason"].(string); len([]rune(r)) != maxReason || !strings.HasSuffix(r, "…") {
		t.Errorf("reason of %d runes, want clipped to %d", len([]rune(r)), maxReason)
	}
}

func TestSlackLines(t *testing.T) {
	ev := sampleEvent()
	for _, tc := range []struct {
		kind       Kind
		text, mrkd string
	}{
		{Merged, "stagehand: web 1.4.2 (0123456789ab) merged into prod · PR #12 https://github.com/acme/config/pull/12 · by alice",
			"*web* `1.4.2` (0123456789ab) merged into *prod* · <https://github.com/acme/config/pull/12|PR #12> · by alice"},
		{Opened, "stagehand: web 1.4.2 (0123456789ab) proposed for prod · PR #12 https://github.com/acme/config/pull/12 · by alice", ""},
		{RolledBack, "stagehand: prod rolling back web 1.4.2 (0123456789ab) · PR #12 https://github.com/acme/config/pull/12 · by alice", ""},
		{VerifyFailed, "stagehand: web 1.4.2 (0123456789ab) failed verification in prod · PR #12 https://github.com/acme/config/pull/12 · by alice", ""},
	} {
		ev.Kind = tc.kind
		body, err := Body(FormatSlack, ev)
		if err != nil {
			t.Fatal(err)
		}
		var s slack
		if err := json.Unmarshal(body, &s); err != nil {
			t.Fatal(err)
		}
		if s.Text != tc.text {
			t.Errorf("%s text:\n%s\nwant\n%s", tc.kind, s.Text, tc.text)
		}
		if tc.mrkd != "" && (len(s.Blocks) != 1 || s.Blocks[0].Type != "section" || s.Blocks[0].Text.Text != tc.mrkd) {
			t.Errorf("%s blocks %s", tc.kind, body)
		}
	}

	refused := Event{Kind: Refused, App: "web", Stage: "prod", Tag: "1.5.0", Digest: digest, Actor: "bob", Reason: "prod is held: <freeze> & audit"}
	body, err := Body(FormatSlack, refused)
	if err != nil {
		t.Fatal(err)
	}
	var s slack
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	if want := "stagehand: web 1.5.0 (0123456789ab) refused for prod · by bob: prod is held: <freeze> & audit"; s.Text != want {
		t.Errorf("text %q, want %q", s.Text, want)
	}
	if len(s.Blocks) != 2 || s.Blocks[1].Type != "context" || s.Blocks[1].Elements[0].Text != "prod is held: &lt;freeze&gt; &amp; audit" {
		t.Errorf("the reason's block, escaped for mrkdwn: %s", body)
	}
}

// TestSign checks the signature against an independent computation, as a
// receiver makes it.
func TestSign(t *testing.T) {
	body := []byte(`{"kind":"merged"}`)
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write(body)
	if got, want := Sign([]byte("s3cret"), body), "sha256="+hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestParseServer(t *testing.T) {
	for _, tc := range []struct {
		url, format, secret, events string
		want                        string // error substring; "" for none
	}{
		{"", "", "", "", ""},
		{"https://hooks.example.com/x", "", "k", "", ""},
		{"https://hooks.slack.com/services/T/B/X", "slack", "", "merged, refused", ""},
		{"https://hooks.example.com/x", "json", "", "", "STAGEHAND_NOTIFY_SECRET is empty"},
		{"ftp://hooks.example.com/x", "slack", "", "", "must be an http:// or https:// URL"},
		{"https://hooks.example.com/x", "xml", "k", "", `"xml" is not a format`},
		{"https://hooks.example.com/x", "json", "k", "merged,deployed", `"deployed" is not an event`},
		{"", "", "k", "", "set the URL too"},
	} {
		s, err := ParseServer(tc.url, tc.format, tc.secret, tc.events)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want %q", tc, err, tc.want)
		case tc.want == "" && tc.url == "" && s != nil:
			t.Errorf("no URL: %+v, want nil", s)
		}
		if err != nil && strings.Contains(err.Error(), "hooks.") {
			t.Errorf("the error repeats the URL, which may be a secret: %v", err)
		}
	}
}

func TestCheckEnv(t *testing.T) {
	for name, ok := range map[string]bool{
		"STAGEHAND_NOTIFY_SLACK_URL":      true,
		"STAGEHAND_NOTIFY_2":              true,
		"STAGEHAND_GITHUB_WEBHOOK_SECRET": false,
		"STAGEHAND_NOTIFY_":               false,
		"stagehand_notify_x":              false,
		"STAGEHAND_NOTIFY_SECRET":         false,
		"HOME":                            false,
	} {
		if got := CheckEnv(name) == ""; got != ok {
			t.Errorf("CheckEnv(%q) = %q", name, CheckEnv(name))
		}
	}
}
