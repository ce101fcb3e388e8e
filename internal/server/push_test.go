package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/queue"
)

// TestPushesToTheBaseBranch: GitHub's push event is work only when it may
// have changed the configuration stagehand reads: then the commit's config
// is to be checked (and the work waiting for a fix woken); any other push
// is acknowledged and ignored, with the reason.
func TestPushesToTheBaseBranch(t *testing.T) {
	q := &fakeQueue{seen: map[string]bool{}}
	ts, _ := newTestServer(t, q, nil)
	const sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	push := func(ref string, forced bool, files ...string) string {
		return fmt.Sprintf(`{"ref":%q,"before":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","after":%q,"forced":%v,
			"commits":[{"id":%q,"added":[],"removed":[],"modified":["%s"]}],"repository":{"full_name":"acme/config"}}`,
			ref, sha, forced, sha, strings.Join(files, `","`))
	}
	tests := []struct {
		name, body string
		answer     string
		changed    bool
	}{
		{"the config changed", push("refs/heads/main", false, "README.md", ".stagehand.yaml"), "accepted", true},
		{"forced: it may have", push("refs/heads/main", true, "README.md"), "accepted", true},
		{"other files", push("refs/heads/main", false, "apps/web/overlays/staging/kustomization.yaml"), "ignored: push to main does not change .stagehand.yaml", false},
		{"another branch", push("refs/heads/stagehand/web/staging", false, ".stagehand.yaml"), `ignored: push to "stagehand/web/staging", not to the base branch main`, false},
		{"a tag", push("refs/tags/v1", false, ".stagehand.yaml"), `ignored: push of "refs/tags/v1", not of a branch`, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			id := fmt.Sprintf("push-%d", i)
			code, answer := post(t, ts.URL+"/webhooks/github", body, map[string]string{
				"X-GitHub-Event": "push", "X-GitHub-Delivery": id, "X-Hub-Signature-256": sign(ghSecret, body), "Content-Type": "application/json",
			})
			if code != http.StatusAccepted || strings.TrimSpace(answer) != tt.answer {
				t.Fatalf("%d %q, want 202 %q", code, answer, tt.answer)
			}
			var got *queue.Delivery
			q.mu.Lock()
			for j := range q.got {
				if q.got[j].ID == id {
					got = &q.got[j]
				}
			}
			q.mu.Unlock()
			if tt.changed != (got != nil) {
				t.Fatalf("queued %+v; want a config change queued: %v", got, tt.changed)
			}
			if got != nil && (got.ConfigChanged == nil || got.ConfigChanged.SHA != sha || len(got.Pushes) > 0) {
				t.Errorf("queued %+v, want the config at %s checked", got, sha)
			}
		})
	}
}
