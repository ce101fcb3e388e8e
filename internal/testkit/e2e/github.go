package e2e

// GitHub's side: the events GitHub would deliver for what happens in the
// config repository, comments made as people make them, and the checks a
// user makes on GitHub once a push has gone through.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// PR returns the newest pull request from branch, if any.
func (w *World) PR(branch string) (pr githubfake.PullRequest, ok bool) {
	for _, p := range w.GitHub.PullRequests() {
		if p.Head == branch && p.Number > pr.Number {
			pr, ok = p, true
		}
	}
	return pr, ok
}

// CheckPinned checks what a user checks once a push has gone through: the
// merged PR into stage (labels, marker) and the overlay on main pinning Tag
// and the digest the registry has; it returns the PR.
func (w *World) CheckPinned(t *testing.T, a App, stage string) githubfake.PullRequest {
	t.Helper()
	want := w.Digests[a.Name]
	branch := promote.Branch(a.Name, stage)
	pr, ok := w.PR(branch)
	if !ok {
		t.Errorf("%s: no pull request from %s", a.Name, branch)
		return pr
	}
	if !pr.Merged || pr.State != "closed" || pr.Base != "main" {
		t.Errorf("%s: PR #%d is %s, merged=%v, into %s; want merged into main", a.Name, pr.Number, pr.State, pr.Merged, pr.Base)
	}
	for _, l := range promote.Labels(a.Name, stage) {
		if !slices.Contains(pr.Labels, l) {
			t.Errorf("%s: PR #%d labels %v lack %q", a.Name, pr.Number, pr.Labels, l)
		}
	}
	m, ok, err := promote.ParseMarker(pr.Body)
	if err != nil || !ok {
		t.Errorf("%s: PR #%d has no stagehand marker (%v):\n%s", a.Name, pr.Number, err, pr.Body)
	} else if m.App != a.Name || m.Stage != stage || m.Image != a.Image || m.Tag != Tag || m.Digest != want {
		t.Errorf("%s: PR #%d marker %+v; want %s %s %s:%s@%s", a.Name, pr.Number, m, a.Name, stage, a.Image, Tag, want)
	}
	file := path.Join("apps", a.Name, "overlays", stage, "kustomization.yaml")
	data, err := w.GitHub.FileAt("main", file)
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := manifest.Current(file, data, a.Image)
	if err != nil {
		t.Fatal(err)
	}
	if pinned.Tag != Tag || pinned.Digest != want {
		t.Errorf("%s: main pins %s@%s in %s; want %s@%s (the registry's digest)", a.Name, pinned.Tag, pinned.Digest, file, Tag, want)
	}
	return pr
}

// StatusEvent is GitHub's status delivery for a successful "ci" status on
// sha, which heads branch.
func (w *World) StatusEvent(t *testing.T, sha, branch string) Delivery {
	t.Helper()
	commit := map[string]any{"sha": sha, "url": w.GitHub.URL() + "/repos/acme/config/commits/" + sha}
	return GitHub("status", GUID(), Edit(t, "github/status/payload.json", map[string]any{
		"sha": sha, "name": "acme/config", "context": "ci", "state": "success", "commit.sha": sha,
		"branches":        []any{map[string]any{"name": branch, "commit": commit, "protected": false}},
		"repository.name": "config", "repository.full_name": "acme/config", "installation": map[string]any{"id": w.GitHub.InstallationID()},
	}))
}

// PRClosed is GitHub's pull_request "closed" delivery for pr as it is now.
func (w *World) PRClosed(t *testing.T, pr githubfake.PullRequest) Delivery {
	t.Helper()
	labels := []any{}
	for _, l := range pr.Labels {
		labels = append(labels, map[string]any{"name": l, "color": "ededed", "default": false})
	}
	const p = "pull_request."
	return GitHub("pull_request", GUID(), Edit(t, "github/pull_request/closed.payload.json", map[string]any{
		"number": pr.Number, p + "number": pr.Number, p + "state": "closed",
		p + "title": pr.Title, p + "body": pr.Body, p + "labels": labels,
		p + "merged": pr.Merged, p + "merged_at": time.Now().UTC().Format(time.RFC3339),
		p + "merge_commit_sha": pr.MergeSHA,
		p + "merged_by":        map[string]any{"login": pr.MergedBy, "id": 583231, "type": "User"},
		p + "head.ref":         pr.Head, p + "head.sha": pr.HeadSHA, p + "base.ref": pr.Base,
		"repository.name": "config", "repository.full_name": "acme/config", "installation": map[string]any{"id": w.GitHub.InstallationID()},
	}))
}

// Comment is login commenting body on issue or PR number, as a person
// does on GitHub: GitHub delivers the issue_comment event to stagehand, and
// Comment returns stagehand's answer to that delivery and the newest reply
// of stagehand's on the thread, once one comes after the comment.
func (w *World) Comment(t *testing.T, number int, login, body string) (status int, reply string) {
	t.Helper()
	before := len(w.GitHub.CommentsOn(number))
	id := w.GitHub.AddComment(number, login, body)
	if id == 0 {
		t.Fatalf("no issue or PR #%d to comment on", number)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	if err := w.GitHub.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range w.GitHub.Deliveries() {
		var p struct {
			Comment struct{ ID int64 } `json:"comment"`
		}
		if d.Event == "issue_comment" && json.Unmarshal(d.Payload, &p) == nil && p.Comment.ID == id {
			status = d.Status
		}
	}
	if status != http.StatusAccepted {
		return status, ""
	}
	w.Eventually(t, fmt.Sprintf("a reply to %q", body), func() (bool, string) {
		cs := w.GitHub.CommentsOn(number)
		for _, c := range cs[min(before+1, len(cs)):] {
			// stagehand's answer names the commenter; its other notes do not.
			if strings.HasSuffix(c.User, "[bot]") && strings.HasPrefix(c.Body, "@"+login+" ") {
				reply = c.Body
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d comments", len(cs))
	})
	return status, reply
}

// LastComment is the newest comment on an issue or PR.
func (w *World) LastComment(number int) string {
	cs := w.GitHub.CommentsOn(number)
	if len(cs) == 0 {
		return ""
	}
	return cs[len(cs)-1].Body
}
