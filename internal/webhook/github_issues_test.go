package webhook

import (
	"reflect"
	"testing"
	"time"
)

// TestParseIssuesEdited: an edit of a plain issue's body carries the body
// before and after and who edited it; other issues events are not used.
func TestParseIssuesEdited(t *testing.T) {
	const edited = `{"action":"edited","changes":{"body":{"from":"- [ ] a"}},
		"issue":{"number":7,"body":"- [x] a","updated_at":"2026-12-05T12:00:00Z"},
		"repository":{"full_name":"acme/config"},"sender":{"login":"alice","type":"User"},"installation":{"id":3}}`
	ev, err := ParseGitHub("issues", []byte(edited))
	want := GitHubEvent{Event: "issues", Action: "edited", Repo: "acme/config", InstallationID: 3,
		IssueEdit: &IssueEdit{Number: 7, Body: "- [x] a", From: "- [ ] a", User: "alice", UserType: "User", UpdatedAt: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}}
	if err != nil || !reflect.DeepEqual(ev, want) {
		t.Fatalf("ParseGitHub = %+v %v\nwant %+v", ev, err, want)
	}
	for name, body := range map[string]string{
		"opened":         `{"action":"opened","issue":{"number":7}}`,
		"title edited":   `{"action":"edited","changes":{"title":{"from":"x"}},"issue":{"number":7}}`,
		"a pull request": `{"action":"edited","changes":{"body":{"from":"x"}},"issue":{"number":7,"pull_request":{"url":"https://api.github.com/repos/a/b/pulls/7"}}}`,
	} {
		ev, err := ParseGitHub("issues", []byte(body))
		if err != nil || ev.IssueEdit != nil || ev.Ignored == "" {
			t.Errorf("%s: %+v %v, want it ignored", name, ev, err)
		}
	}
	if _, err := ParseGitHub("issues", []byte(`{"action":"edited","changes":{"body":{"from":"x"}},"issue":{}}`)); err == nil {
		t.Errorf("an edit without an issue number: want an error")
	}
}
