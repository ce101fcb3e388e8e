package dashboard

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// issueBoard is two apps in three stages: web is behind in staging and
// prod (prod held, with a reason that tries to forge a box), api runs the
// same image everywhere but has a PR open into prod.
func issueBoard() (promote.Board, []store.Action) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	dgst := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	stages := []config.Stage{{Name: "dev", Mode: config.AutoMerge}, {Name: "staging", After: []string{"dev"}, Mode: config.PullRequest, Verify: []string{"argocd/web-staging"}, VerifyTimeout: 30 * time.Minute}, {Name: "prod", After: []string{"staging"}, Mode: config.Manual}}
	cfg := &config.Config{Stages: stages}
	pin := func(tag, d string) promote.File {
		return promote.File{Pinned: manifest.Pinned{Found: true, Tag: tag, Digest: d}}
	}
	merged := func(app, stage, tag, d string, pr int, ago time.Duration) *store.Merge {
		return &store.Merge{App: app, Stage: stage, Tag: tag, Digest: d, PR: pr, MergedBy: "octocat", At: now.Add(-ago)}
	}
	web := promote.BoardApp{App: config.App{Name: "web", Image: "ghcr.io/acme/web"}, Cells: []promote.Cell{
		{Stage: stages[0], File: pin("1.4.2", dgst("a")), Merged: merged("web", "dev", "1.4.2", dgst("a"), 12, 2*time.Hour)},
		{Stage: stages[1], File: pin("1.4.1", dgst("b")), Merged: merged("web", "staging", "1.4.1", dgst("b"), 9, 30*time.Hour),
			Health: &store.Deployment{App: "web", Stage: "staging", PR: 9, Digest: dgst("b"), State: store.DeployVerifying, MergedAt: now.Add(-10 * time.Minute), Deadline: now.Add(20 * time.Minute)}},
		{Stage: stages[2], File: pin("1.4.0", dgst("c")), Held: &gate.Hold{By: "alice", Reason: "incident | 42 <!-- stagehand:promote web prod -->", At: now}},
	}}
	api := promote.BoardApp{App: config.App{Name: "api", Image: "ghcr.io/acme/api"}, Cells: []promote.Cell{
		{Stage: stages[0], File: pin("2.0.0", dgst("d"))},
		{Stage: stages[1], File: pin("2.0.0", dgst("d")), SoakLeft: 40 * time.Minute, SoakNext: "prod"},
		{Stage: stages[2], File: pin("2.0.0", dgst("d")), Open: &githubapp.PullRequest{Number: 15, URL: "https://github.com/acme/config/pull/15"}},
	}}
	b := promote.Board{BaseName: "main", Base: githubapp.Branch{Name: "main", SHA: strings.Repeat("f", 40)}, Config: cfg, Apps: []promote.BoardApp{web, api}, Now: now}
	recent := []store.Action{{At: now.Add(-time.Minute), Kind: "push", App: "api", Stage: "dev", Result: "refused", Reason: "2.1.0 is not >=2.0.0 <3"}}
	return b, recent
}

// TestIssueBody: the promotions issue is the dashboard's matrix in
// Markdown with a box per stage that is behind; people's text cannot
// break the table or forge a box.
func TestIssueBody(t *testing.T) {
	b, recent := issueBoard()
	got := IssueBody(b, recent, "https://github.com/acme/config")
	golden := filepath.Join("testdata", "issue.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("issue body differs from %s (go test -run TestIssueBody -update to accept):\n%s", golden, got)
	}
	if boxes := boxes(got); len(boxes) != 2 || !slices.Contains(mapKeys(boxes), Box{"web", "staging"}) || !slices.Contains(mapKeys(boxes), Box{"web", "prod"}) {
		t.Errorf("boxes %v, want web into staging and into prod", boxes)
	}
	if !strings.HasPrefix(got, IssueMarker) {
		t.Errorf("the body does not start with the marker")
	}
}

func mapKeys(m map[Box]bool) []Box {
	var out []Box
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTicked: a box counts as ticked when it was stagehand's and empty
// before and is ticked now; anything else ticks nothing.
func TestTicked(t *testing.T) {
	b, recent := issueBoard()
	body := IssueBody(b, recent, "")
	staging := "- [ ] promote web 1.4.2 (sha256:aaaaaaaaaaaa) to staging <!-- stagehand:promote web staging -->"
	prod := "- [ ] promote web 1.4.1 (sha256:bbbbbbbbbbbb) to prod — held, staging verifying <!-- stagehand:promote web prod -->"
	if !strings.Contains(body, staging) || !strings.Contains(body, prod) {
		t.Fatalf("the body lacks the boxes the cases tick:\n%s", body)
	}
	tick := func(s, line string) string {
		return strings.Replace(s, line, strings.Replace(line, "[ ]", "[x]", 1), 1)
	}
	for _, c := range []struct {
		name, from, body string
		want             []Box
	}{
		{"one", body, tick(body, staging), []Box{{"web", "staging"}}},
		{"two, upper-case X", body, strings.Replace(tick(body, prod), staging, strings.Replace(staging, "[ ]", "[X]", 1), 1), []Box{{"web", "staging"}, {"web", "prod"}}},
		{"CRLF", strings.ReplaceAll(body, "\n", "\r\n"), strings.ReplaceAll(tick(body, staging), "\n", "\r\n"), []Box{{"web", "staging"}}},
		{"unchanged", body, body, nil},
		{"ticked before", tick(body, staging), tick(body, staging), nil},
		{"unticked", tick(body, staging), body, nil},
		{"a box someone wrote", body, body + "- [x] promote api 2.0.0 to prod <!-- stagehand:promote api prod -->\n", nil},
		{"text edited", body, strings.Replace(body, "Promotions", "Deploys", 1), nil},
		{"twice", body, tick(body, staging) + strings.Replace(staging, "[ ]", "[x]", 1) + "\n", []Box{{"web", "staging"}}},
		{"empty", "", "", nil},
	} {
		if got := Ticked(c.from, c.body); !slices.Equal(got, c.want) {
			t.Errorf("%s: Ticked = %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzTicked: whatever the bodies, a tick is a box that was in from,
// empty, and names an app and a stage as config allows.
func FuzzTicked(f *testing.F) {
	b, recent := issueBoard()
	body := IssueBody(b, recent, "")
	f.Add(body, strings.ReplaceAll(body, "[ ]", "[x]"))
	f.Add("- [ ] x <!-- stagehand:promote a b -->", "- [x] x <!-- stagehand:promote a b -->")
	f.Add("", "- [x] <!-- stagehand:promote a b -->")
	f.Fuzz(func(t *testing.T, from, body string) {
		before := boxes(from)
		for _, bx := range Ticked(from, body) {
			if ticked, was := before[bx]; !was || ticked {
				t.Fatalf("%v ticked, but in from it was present %v, ticked %v", bx, was, ticked)
			}
			if !config.ValidName(bx.App) || !config.ValidName(bx.Stage) {
				t.Fatalf("%v: not a name config allows", bx)
			}
		}
		if got := Ticked(body, body); len(got) != 0 {
			t.Fatalf("an unchanged body ticks %v", got)
		}
	})
}
