package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stagehand-dev/stagehand/internal/webhook"
)

// fakeRouter serves acme/a (base main) and acme/b (base live); acme/new
// is allowed but not served; web is used by both, api by acme/a.
type fakeRouter struct{}

func (fakeRouter) Serves(repo string) (string, string, bool) {
	switch strings.ToLower(repo) {
	case "acme/a":
		return "acme/a", "main", true
	case "acme/b":
		return "acme/b", "live", true
	}
	return "", "", false
}
func (fakeRouter) Allows(repo string) bool { return strings.HasPrefix(repo, "acme/") }
func (fakeRouter) Static() bool            { return false }
func (fakeRouter) Using(image string) []string {
	return map[string][]string{"ghcr.io/acme/web": {"acme/a", "acme/b"}, "ghcr.io/acme/api": {"acme/a"}}[image]
}

// TestEventsGoToTheirRepository: serving several repositories, GitHub's
// events name the one they came from, those of a repository not served
// are ignored unless they may make it one, installation news reads the set
// again, and a registry push is work for each repository using the image.
func TestEventsGoToTheirRepository(t *testing.T) {
	q := &fakeQueue{seen: map[string]bool{}}
	s, err := New(Options{GitHubSecret: ghSecret, Registries: webhook.Config{GenericSecret: genericSecret}, Queue: q, Repos: fakeRouter{},
		Ready: func(context.Context) error { return nil }, Registry: prometheus.NewRegistry(),
		Concerns: func(image string) (bool, bool) { return image != "db", true }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	github := func(event, body string) (int, string) {
		return post(t, ts.URL+"/webhooks/github", []byte(body), map[string]string{
			"X-GitHub-Event": event, "X-GitHub-Delivery": fmt.Sprintf("d%d", len(q.got)+len(body)), "X-Hub-Signature-256": sign(ghSecret, []byte(body))})
	}
	comment := func(repo string) string {
		return fmt.Sprintf(`{"action":"created","repository":{"full_name":%q},"installation":{"id":1},
			"issue":{"number":3,"body":""},"comment":{"id":9,"body":"/promote","user":{"login":"ann","type":"User"},"author_association":"MEMBER"}}`, repo)
	}
	push := func(repo, branch, def string) string {
		return fmt.Sprintf(`{"ref":"refs/heads/%s","after":"abc1","repository":{"full_name":%q,"default_branch":%q},"installation":{"id":1},
			"commits":[{"id":"abc1","added":[".stagehand.yaml"],"modified":[],"removed":[]}]}`, branch, repo, def)
	}

	if code, answer := github("issue_comment", comment("acme/b")); code != 202 || strings.TrimSpace(answer) != "accepted" {
		t.Fatalf("comment in acme/b: %d %q", code, answer)
	}
	if code, answer := github("issue_comment", comment("acme/other")); code != 202 || !strings.Contains(answer, "not a config repository stagehand serves") {
		t.Errorf("comment in acme/other: %d %q", code, answer)
	}
	// acme/b's base is live: a config push to main there is not its.
	if code, answer := github("push", push("acme/b", "main", "live")); code != 202 || !strings.Contains(answer, "not to the base branch live") {
		t.Errorf("push to acme/b's main: %d %q", code, answer)
	}
	if code, _ := github("push", push("acme/b", "live", "live")); code != 202 {
		t.Errorf("config push to acme/b: %d", code)
	}
	// A config pushed to an allowed repository not served yet.
	if code, answer := github("push", push("acme/new", "trunk", "trunk")); code != 202 || strings.TrimSpace(answer) != "accepted" {
		t.Errorf("config push to acme/new: %d %q", code, answer)
	}
	if code, answer := github("push", push("elsewhere/x", "main", "main")); code != 202 || !strings.Contains(answer, "ignored") {
		t.Errorf("config push to a repository not allowed: %d %q", code, answer)
	}
	if code, answer := github("installation_repositories", `{"action":"added","installation":{"id":1},"repositories_added":[{"full_name":"acme/new"}],"repositories_removed":[]}`); code != 202 || strings.TrimSpace(answer) != "accepted" {
		t.Errorf("installation_repositories: %d %q", code, answer)
	}
	body := []byte(`{"image":"ghcr.io/acme/web","tag":"1.0.0"}`)
	if code, _ := post(t, ts.URL+"/webhooks/registry/generic", body, map[string]string{"X-Stagehand-Signature-256": sign(genericSecret, body)}); code != 202 {
		t.Errorf("registry push: %d", code)
	}

	var got []string
	for _, d := range q.got {
		switch {
		case d.Comment != nil:
			got = append(got, "comment "+d.Comment.Repo)
		case d.ConfigChanged != nil:
			got = append(got, "config "+d.ConfigChanged.Repo)
		case d.InstallationChanged:
			got = append(got, "installation")
		case d.Pushes != nil:
			for _, p := range d.Pushes {
				got = append(got, "push "+p.Image+" "+p.Repo)
			}
		}
	}
	want := []string{"comment acme/b", "config acme/b", "config acme/new", "installation", "push ghcr.io/acme/web acme/a", "push ghcr.io/acme/web acme/b"}
	if !slices.Equal(got, want) {
		t.Errorf("queued %v\nwant   %v", got, want)
	}
}
