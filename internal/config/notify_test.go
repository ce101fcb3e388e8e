package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/notify"
)

// notifyBase is validBase with two receivers from line 14 on:
//
//	14 notify:
//	15   - url: https://hooks.example.com/stagehand
//	16     format: json
//	17     secret_env: STAGEHAND_NOTIFY_HOOK_SECRET
//	18   - url_env: STAGEHAND_NOTIFY_SLACK_URL
//	19     format: slack
//	20     events: [merged, refused, rolled-back]
const notifyBase = validBase + `notify:
  - url: https://hooks.example.com/stagehand
    format: json
    secret_env: STAGEHAND_NOTIFY_HOOK_SECRET
  - url_env: STAGEHAND_NOTIFY_SLACK_URL
    format: slack
    events: [merged, refused, rolled-back]
`

func notifyEdit(old, new string) string {
	if !strings.Contains(notifyBase, old) {
		panic("notifyEdit: " + old + " is not in notifyBase")
	}
	return strings.Replace(notifyBase, old, new, 1)
}

func TestParseNotify(t *testing.T) {
	cfg := mustParse(t, notifyBase)
	want := []notify.Target{
		{URL: "https://hooks.example.com/stagehand", Format: notify.FormatJSON, SecretEnv: "STAGEHAND_NOTIFY_HOOK_SECRET"},
		{URLEnv: "STAGEHAND_NOTIFY_SLACK_URL", Format: notify.FormatSlack, Events: []notify.Kind{notify.Merged, notify.Refused, notify.RolledBack}},
	}
	if !slices.EqualFunc(cfg.Notify, want, func(a, b notify.Target) bool {
		return a.URL == b.URL && a.URLEnv == b.URLEnv && a.Format == b.Format && a.SecretEnv == b.SecretEnv && slices.Equal(a.Events, b.Events)
	}) {
		t.Errorf("Notify = %+v, want %+v", cfg.Notify, want)
	}
	if !cfg.Notify[0].Takes(notify.Held) || cfg.Notify[1].Takes(notify.Held) || !cfg.Notify[1].Takes(notify.Merged) {
		t.Errorf("Takes: no events: means every event; a list, those only")
	}
	if cfg := mustParse(t, validBase); cfg.Notify != nil {
		t.Errorf("no notify: gives %+v", cfg.Notify)
	}
}

// badNotify has one file per rule of notify:, with every problem it must
// report.
var badNotify = []badFile{
	{"not a list", notifyEdit("notify:\n  - url: https://hooks.example.com/stagehand\n    format: json\n    secret_env: STAGEHAND_NOTIFY_HOOK_SECRET\n", "notify: https://hooks.example.com\nx:\n"), []string{
		`c.yaml:14:9: notify: want a list (- item lines), found the string "https://hooks.example.com"`,
		`c.yaml:15:1: unknown key "x" in the file; allowed keys are stages, apps, groups, notify, dashboard`,
	}},
	{"unknown key", notifyEdit("    format: slack\n", "    fromat: slack\n"), []string{
		`c.yaml:18:5: receiver 2 lacks format:`,
		`c.yaml:19:5: unknown key "fromat" in receiver 2; did you mean format? allowed keys are url, url_env, format, secret_env, events`,
	}},
	{"url and url_env", notifyEdit("  - url_env: STAGEHAND_NOTIFY_SLACK_URL\n", "  - url_env: STAGEHAND_NOTIFY_SLACK_URL\n    url: https://example.com\n"), []string{
		`c.yaml:18:5: receiver 2: give url or url_env, not both`,
	}},
	{"neither url nor url_env", notifyEdit("  - url: https://hooks.example.com/stagehand\n    format: json", "  - format: json"), []string{
		`c.yaml:15:5: receiver 1 lacks url: (or url_env:, the server's environment variable that holds a URL which is a secret)`,
	}},
	{"not http", notifyEdit("url: https://hooks.example.com/stagehand", "url: file:///etc/passwd"), []string{
		`c.yaml:15:10: url: "file:///etc/passwd" must be an http:// or https:// URL`,
	}},
	{"no host", notifyEdit("url: https://hooks.example.com/stagehand", "url: https:///stagehand"), []string{
		`c.yaml:15:10: url: "https:///stagehand" has no host`,
	}},
	{"Slack URL in the repository", notifyEdit("url: https://hooks.example.com/stagehand", "url: https://hooks.slack.com/services/T0/B0/XXXX"), []string{
		`c.yaml:15:10: url: a Slack webhook URL is a secret, and the repository is no place for one: set it in the server's environment and name the variable with url_env (such as STAGEHAND_NOTIFY_SLACK_URL)`,
	}},
	{"unknown format", notifyEdit("format: slack", "format: teams"), []string{
		`c.yaml:19:13: format: "teams" is not a format; use json or slack`,
	}},
	{"json without a secret", notifyEdit("    secret_env: STAGEHAND_NOTIFY_HOOK_SECRET\n", ""), []string{
		`c.yaml:15:5: receiver 1: format json needs secret_env, the server's environment variable that holds the key events are signed with; receivers tell stagehand's events from forgeries by it`,
	}},
	{"another secret of the server", notifyEdit("secret_env: STAGEHAND_NOTIFY_HOOK_SECRET", "secret_env: STAGEHAND_GITHUB_WEBHOOK_SECRET"), []string{
		`c.yaml:17:17: secret_env: "STAGEHAND_GITHUB_WEBHOOK_SECRET" is not an environment variable stagehand reads for a receiver; name one that starts with STAGEHAND_NOTIFY_, in capitals, digits and _ (such as STAGEHAND_NOTIFY_SLACK_URL)`,
	}},
	{"the server-wide receiver's secret", notifyEdit("secret_env: STAGEHAND_NOTIFY_HOOK_SECRET", "secret_env: STAGEHAND_NOTIFY_SECRET"), []string{
		`c.yaml:17:17: secret_env: STAGEHAND_NOTIFY_SECRET is the server-wide receiver's setting; give this receiver a variable of its own (such as STAGEHAND_NOTIFY_TEAM_SECRET)`,
	}},
	{"url_env not a variable", notifyEdit("url_env: STAGEHAND_NOTIFY_SLACK_URL", "url_env: $SLACK_URL"), []string{
		`c.yaml:18:14: url_env: "$SLACK_URL" is not an environment variable stagehand reads for a receiver; name one that starts with STAGEHAND_NOTIFY_, in capitals, digits and _ (such as STAGEHAND_NOTIFY_SLACK_URL)`,
	}},
	{"unknown and repeated events", notifyEdit("[merged, refused, rolled-back]", "[merged, deployed, merged]"), []string{
		`c.yaml:20:22: events: "deployed" is not an event; the events are opened, merged, refused, held, released, rolled-back, verify-failed`,
		`c.yaml:20:32: events: merged is already listed`,
	}},
	{"empty events", notifyEdit("[merged, refused, rolled-back]", "[]"), []string{
		`c.yaml:20:13: events: is empty; leave events out for every event`,
	}},
	{"receiver not a mapping", notifyEdit("  - url_env: STAGEHAND_NOTIFY_SLACK_URL\n    format: slack\n    events: [merged, refused, rolled-back]\n", "  - https://example.com\n"), []string{
		`c.yaml:18:5: receiver 2: want a mapping (key: value lines), found the string "https://example.com"`,
	}},
	{"too many receivers", validBase + "notify:\n" + strings.Repeat("  - {url_env: STAGEHAND_NOTIFY_X, format: slack}\n", MaxReceivers+1), []string{
		`c.yaml:15:3: notify: 11 receivers; at most 10`,
	}},
}

func TestParseBadNotify(t *testing.T) {
	for _, tc := range badNotify {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.src, tc.want)
		})
	}
}
