package promote_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// rbToProd takes tag all the way to prod: pushed (staging auto-merges),
// then promoted and merged by a person into preprod and into prod.
func rbToProd(t *testing.T, wd *demo.World, tag string) string {
	t.Helper()
	d := push(t, wd, tag, false)
	expect(t, pushed(t, wd, tag), promote.Merged)
	for _, stage := range []string{"preprod", "prod"} {
		o := promoted(t, wd, stage)
		expect(t, o, promote.Opened)
		if _, err := wd.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// rolledBack is @ann's `/rollback web <stage> [to <target>]`; ann may
// write to the config repository.
func rolledBack(t *testing.T, wd *demo.World, stage, target string) promote.Outcome {
	t.Helper()
	wd.GitHub.SetPermission("ann", "write")
	o, err := wd.Engine.Run(context.Background(), promote.Request{Kind: promote.Rollback, Source: promote.FromComment, Actor: promote.Actor{Login: "ann"}, App: "web", Stage: stage, Target: target})
	if err != nil {
		t.Fatalf("Rollback web %s %q: %v", stage, target, err)
	}
	return o
}

func rbPR(t *testing.T, wd *demo.World, number int) githubfake.PullRequest {
	t.Helper()
	for _, pr := range wd.GitHub.PullRequests() {
		if pr.Number == number {
			return pr
		}
	}
	t.Fatalf("no PR #%d", number)
	return githubfake.PullRequest{}
}

// TestRollbackRestoresOneStage: 1.0.0 and then 1.1.0 reach prod; a rollback
// of prod opens a PR that restores 1.0.0's digest there, found in the git
// history of prod's kustomization, and changes no other stage. Once a
// person merges it, kustomize renders 1.0.0 in prod and 1.1.0 elsewhere.
func TestRollbackRestoresOneStage(t *testing.T) {
	wd := world(t)
	d100 := rbToProd(t, wd, "1.0.0")
	d110 := rbToProd(t, wd, "1.1.0")

	before := snap(t, wd)
	wd.GitHub.ResetCalls()
	o := rolledBack(t, wd, "prod", "")
	expect(t, o, promote.Opened)
	if o.To.Tag != "1.0.0" || o.To.Digest != d100 || o.From.Digest != d110 {
		t.Fatalf("rolls back %s@%s → %s@%s; want %s → 1.0.0@%s", o.From.Tag, o.From.Digest, o.To.Tag, o.To.Digest, d110, d100)
	}
	// Bounded cost: the history is listed once, and only the files the
	// decision needs are read, each once: the config, prod's file on main,
	// and prod's file at its 1.1.0 commit and at its 1.0.0 commit (fewer
	// when the engine read them already).
	calls := wd.GitHub.Calls()
	if calls["repos/list-commits"] != 1 || calls["repos/get-content"] > 4 || calls["pulls/merge"] != 0 {
		t.Errorf("calls: %v", calls)
	}
	if after := snap(t, wd); after.head != before.head || after.prs != before.prs+1 {
		t.Fatalf("a rollback must open one PR and leave main alone: %+v → %+v", before, after)
	}

	pr := rbPR(t, wd, o.PR)
	if pr.Title != "Roll back web in prod to 1.0.0" || pr.State != "open" || pr.Head != promote.Branch("web", "prod") {
		t.Fatalf("PR #%d %q (%s) from %s", pr.Number, pr.Title, pr.State, pr.Head)
	}
	restored := ""
	for _, f := range strings.Fields(pr.Body) {
		if sha := strings.Trim(f, "`"); len(sha) == 40 && strings.Trim(sha, "0123456789abcdef") == "" {
			restored = sha
			break
		}
	}
	prodFile := "apps/web/overlays/prod/kustomization.yaml"
	data, err := wd.GitHub.FileAt(restored, prodFile)
	if err != nil {
		t.Fatalf("the body names no commit of prod's history (%q): %v\n%s", restored, err, pr.Body)
	}
	if pin, err := manifest.Current(prodFile, data, demo.Image); err != nil || pin.Digest != d100 {
		t.Errorf("the commit the body names pins %+v in prod, want %s", pin, d100)
	}
	for _, s := range []string{"prod is held by @ann", "`/release web prod`", "leaves merging this PR to a person"} {
		if !strings.Contains(pr.Body, s) {
			t.Errorf("body lacks %q:\n%s", s, pr.Body)
		}
	}
	for _, l := range promote.Labels("web", "prod") {
		if !contains(pr.Labels, l) {
			t.Errorf("PR lacks label %s: %v", l, pr.Labels)
		}
	}
	// Asking again changes nothing.
	again := rolledBack(t, wd, "prod", "")
	if again.Result != promote.Unchanged || again.PR != o.PR {
		t.Fatalf("the same rollback again: %s #%d, want unchanged #%d", again.Result, again.PR, o.PR)
	}

	if _, err := wd.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
		t.Fatal(err)
	}
	r := rendered(t, wd)
	if r["prod"] != "ghcr.io/acme/web:1.0.0@"+d100 {
		t.Errorf("prod renders %s after the rollback, want 1.0.0@%s", r["prod"], d100)
	}
	for _, stage := range []string{"staging", "preprod"} {
		if r[stage] != "ghcr.io/acme/web:1.1.0@"+d110 {
			t.Errorf("%s renders %s, want 1.1.0 untouched", stage, r[stage])
		}
	}
}

// TestRollbackInAutoMergeStage: staging auto-merges, but a rollback is left
// to a person, even with its checks green; it replaces the push PR that was
// waiting there; and once merged, nothing moves on from the held stage.
func TestRollbackInAutoMergeStage(t *testing.T) {
	wd := world(t)
	d100 := push(t, wd, "1.0.0", false)
	expect(t, pushed(t, wd, "1.0.0"), promote.Merged)
	push(t, wd, "1.1.0", false)
	expect(t, pushed(t, wd, "1.1.0"), promote.Merged)
	wd.GitHub.SetRequiredChecks("main", "ci")
	push(t, wd, "1.2.0", false)
	waiting := pushed(t, wd, "1.2.0")
	expect(t, waiting, promote.Opened) // waits for ci

	o := rolledBack(t, wd, "staging", "1.0.0")
	expect(t, o, promote.Updated)
	if o.PR != waiting.PR || o.To.Digest != d100 {
		t.Fatalf("rollback #%d to %s; want the living PR #%d rolled back to %s", o.PR, o.To.Digest, waiting.PR, d100)
	}
	pr := rbPR(t, wd, o.PR)
	if pr.Title != "Roll back web in staging to 1.0.0" || !strings.Contains(pr.Body, "although staging is an auto-merge stage") {
		t.Fatalf("PR %q:\n%s", pr.Title, pr.Body)
	}
	wd.GitHub.SetStatus(o.HeadSHA, "ci", "success")
	re, err := wd.Engine.Run(context.Background(), promote.Request{Kind: promote.Reconsider, Source: promote.FromChecks, App: "web", Stage: "staging"})
	if err != nil || re.Result != promote.Ignored {
		t.Fatalf("green checks on a rollback: %+v %v; want it left to a person", re, err)
	}
	if pr = rbPR(t, wd, o.PR); pr.Merged {
		t.Fatal("stagehand merged a rollback")
	}
	// While held, a push does not replace the rollback.
	expect(t, pushed(t, wd, "1.2.0"), promote.Refused)

	if _, err := wd.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
		t.Fatal(err)
	}
	before := snap(t, wd)
	c, err := chained(wd, "staging")
	if err != nil || c.Result != promote.Refused || !strings.Contains(c.Reason, "staging was rolled back and is held by @ann") {
		t.Fatalf("chain after the rollback merged: %+v %v", c, err)
	}
	if after := snap(t, wd); after != before {
		t.Fatal("the rollback of staging moved something on to preprod")
	}
	if r := rendered(t, wd); r["staging"] != "ghcr.io/acme/web:1.0.0@"+d100 || strings.Contains(r["preprod"], "1.0.0") {
		t.Fatalf("after the merge: %v", r)
	}
}

// TestRollbackRefusals: a rollback that cannot be made says why, naming
// what it looked at, and writes nothing.
func TestRollbackRefusals(t *testing.T) {
	wd := world(t)
	before := snap(t, wd)
	o := rolledBack(t, wd, "prod", "")
	expect(t, o, promote.Refused)
	if !strings.Contains(o.Reason, "nothing earlier to roll back to") || !strings.Contains(o.Reason, "the one commit that changed apps/web/overlays/prod/kustomization.yaml on main") {
		t.Errorf("no history: %q", o.Reason)
	}

	d100 := push(t, wd, "1.0.0", false)
	expect(t, pushed(t, wd, "1.0.0"), promote.Merged)
	before = snap(t, wd)
	tests := []struct {
		stage, target string
		result        promote.Result
		reason        string
	}{
		{"staging", "9.9.9", promote.Refused, "web never ran a tag 9.9.9 in staging in all 2 commits that changed apps/web/overlays/staging/kustomization.yaml on main; what it ran there: 1.0.0"},
		{"staging", "", promote.Refused, "pinned ghcr.io/acme/web in staging by tag 0.9.0 only, with no digest"},
		{"staging", "0.9.0", promote.Refused, "by tag 0.9.0 only"},
		{"staging", d100, promote.AlreadyThere, "staging already runs 1.0.0@" + d100[:19]},
		{"qa", "", promote.Refused, `there is no stage "qa"`},
	}
	for _, tt := range tests {
		o := rolledBack(t, wd, tt.stage, tt.target)
		if o.Result != tt.result || !strings.Contains(o.Reason, tt.reason) {
			t.Errorf("rollback %s %q: %s %q; want %s with %q", tt.stage, tt.target, o.Result, o.Reason, tt.result, tt.reason)
		}
	}
	if after := snap(t, wd); after != before {
		t.Fatalf("refused rollbacks changed the repository: %+v → %+v", before, after)
	}
}
