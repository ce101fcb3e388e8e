package appmanifest

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEListsThePermissions: the README's list for registering the
// App by hand names exactly the permissions (with their access) and the
// events the manifest asks for.
func TestREADMEListsThePermissions(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n### The GitHub App\n")
	if !ok {
		t.Fatal(`README has no "### The GitHub App" section`)
	}
	section, _, _ = strings.Cut(section, "\n### ")
	var permsPara, eventsPara string
	for _, para := range strings.Split(section, "\n\n") {
		switch {
		case strings.Contains(strings.ToLower(para), "repository permissions"):
			permsPara = para
		case strings.HasPrefix(para, "Webhook events:"):
			eventsPara = para
		}
	}
	if permsPara == "" || eventsPara == "" {
		t.Fatalf("the GitHub App section lacks the paragraph of permissions or of webhook events:\n%s", section)
	}

	readme := map[string]string{}
	for _, m := range regexp.MustCompile(`\*\*([^*]+)\*\*\s+(read\s+&\s+write|read)`).FindAllStringSubmatch(permsPara, -1) {
		access := "read"
		if m[2] != "read" {
			access = "write"
		}
		readme[strings.Join(strings.Fields(m[1]), " ")] = access
	}
	code := map[string]string{}
	for _, p := range Permissions() {
		code[p.Label] = p.Access
	}
	for label, access := range code {
		if readme[label] != access {
			t.Errorf("permission %s: the manifest asks for %s, the README says %q", label, access, readme[label])
		}
	}
	for label, access := range readme {
		if _, ok := code[label]; !ok {
			t.Errorf("the README lists the permission %s (%s), which the manifest does not ask for", label, access)
		}
	}

	var readmeEvents, codeEvents []string
	for _, m := range regexp.MustCompile(`\*\*([^*]+)\*\*`).FindAllStringSubmatch(eventsPara, -1) {
		readmeEvents = append(readmeEvents, strings.Join(strings.Fields(m[1]), " "))
	}
	for _, e := range Events() {
		codeEvents = append(codeEvents, e.Label)
	}
	slices.Sort(readmeEvents)
	slices.Sort(codeEvents)
	if !slices.Equal(readmeEvents, codeEvents) {
		t.Errorf("webhook events: the README lists %q, the manifest %q", readmeEvents, codeEvents)
	}
}

func TestManifest(t *testing.T) {
	m := New(Options{Name: "stagehand-acme", HomeURL: "https://stagehand.acme.test", WebhookURL: "https://stagehand.acme.test/webhooks/github",
		RedirectURL: "http://127.0.0.1:5000/callback", CallbackURL: "https://stagehand.acme.test/oauth/callback"})
	var got map[string]any
	if err := json.Unmarshal([]byte(m.JSON()), &got); err != nil {
		t.Fatal(err)
	}
	if got["public"] != false || got["name"] != "stagehand-acme" || got["redirect_url"] != "http://127.0.0.1:5000/callback" {
		t.Errorf("manifest %v", got)
	}
	hook, _ := got["hook_attributes"].(map[string]any)
	if hook["url"] != "https://stagehand.acme.test/webhooks/github" || hook["active"] != true {
		t.Errorf("hook_attributes %v", hook)
	}
	perms, _ := got["default_permissions"].(map[string]any)
	if len(perms) != len(Permissions()) || perms["contents"] != "write" || perms["administration"] != "read" {
		t.Errorf("default_permissions %v", perms)
	}
	if evs, _ := got["default_events"].([]any); len(evs) != len(Events()) {
		t.Errorf("default_events %v", evs)
	}
	if cb, _ := got["callback_urls"].([]any); len(cb) != 1 || cb[0] != "https://stagehand.acme.test/oauth/callback" {
		t.Errorf("callback_urls %v", got["callback_urls"])
	}
}
