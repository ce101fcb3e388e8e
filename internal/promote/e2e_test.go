package promote_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

const seed = "../../testdata/configrepo"

// world starts a registry, the GitHub stand-in (every request and response
// validated against GitHub's REST description) and the engine.
func world(t *testing.T) *demo.World {
	t.Helper()
	wd, err := demo.Start(context.Background(), demo.Options{Seed: seed, Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if v := wd.GitHub.Violations(); len(v) > 0 {
			t.Errorf("requests or responses that do not conform to GitHub's REST description:\n%s", strings.Join(v, "\n"))
		}
		wd.Close()
	})
	return wd
}

func push(t *testing.T, wd *demo.World, tag string, index bool) string {
	t.Helper()
	d, err := wd.Push(context.Background(), tag, index)
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// pushes is what a registry's notification of image:tags becomes.
func pushes(wd *demo.World, image string, tags ...string) ([]promote.Outcome, error) {
	var burst []promote.Pushed
	for i, tag := range tags {
		burst = append(burst, promote.Pushed{Image: image, Tag: tag, Seq: int64(i)})
	}
	return wd.Engine.Pushes(context.Background(), image, burst, promote.FromRegistry)
}

func pushed(t *testing.T, wd *demo.World, tag string) promote.Outcome {
	t.Helper()
	outs, err := pushes(wd, demo.Image, tag)
	if err != nil {
		t.Fatalf("push of %s: %v", tag, err)
	}
	if len(outs) != 1 {
		t.Fatalf("push of %s: %d outcomes, want 1: %+v", tag, len(outs), outs)
	}
	return outs[0]
}

// promoted is `stagehand promote --app web --to stage` by the App's key.
func promoted(t *testing.T, wd *demo.World, stage string) promote.Outcome {
	t.Helper()
	o, err := wd.Engine.Run(context.Background(), promote.Request{Kind: promote.Promote, Source: promote.FromCLI, App: "web", Stage: stage})
	if err != nil {
		t.Fatalf("promote web to %s: %v", stage, err)
	}
	return o
}

// chained is what a merged stagehand PR into from sets off.
func chained(wd *demo.World, from string) (promote.Outcome, error) {
	return wd.Engine.Run(context.Background(), promote.Request{Kind: promote.Chain, Source: promote.FromMerge, App: "web", From: from})
}

// rendered is what kustomize builds for each stage on main.
func rendered(t *testing.T, wd *demo.World) map[string]string {
	t.Helper()
	r, err := wd.Render("main")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func expect(t *testing.T, o promote.Outcome, result promote.Result) {
	t.Helper()
	if o.Result != result {
		t.Fatalf("%s/%s: result %s (%s), want %s", o.App, o.Stage, o.Result, o.Reason, result)
	}
}

// snapshot is the config repository as a user sees it: main's head and the
// pull requests.
type snapshot struct {
	head string
	prs  int
}

func snap(t *testing.T, wd *demo.World) snapshot {
	t.Helper()
	head, err := wd.GitHub.Head("main")
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{head: head, prs: len(wd.GitHub.PullRequests())}
}

func TestPushToProd(t *testing.T) {
	wd := world(t)

	// The sample starts with 0.9.0 pinned by tag alone everywhere: nothing
	// can be promoted from a stage with no digest.
	o := promoted(t, wd, "preprod")
	expect(t, o, promote.Refused)
	if !strings.Contains(o.Reason, "by tag 0.9.0 only, with no digest") {
		t.Errorf("refusal does not say why: %q", o.Reason)
	}

	d100 := push(t, wd, "1.0.0", false)
	o = pushed(t, wd, "1.0.0")
	expect(t, o, promote.Merged) // staging auto-merges; main requires no checks
	if got := rendered(t, wd)["staging"]; got != "ghcr.io/acme/web:1.0.0@"+d100 {
		t.Fatalf("staging renders %s after 1.0.0", got)
	}

	d110 := push(t, wd, "1.1.0", true) // a multi-arch index: its digest is pinned
	expect(t, pushed(t, wd, "1.1.0"), promote.Merged)

	o = promoted(t, wd, "preprod")
	expect(t, o, promote.Opened) // pull-request stage: a person merges
	if _, err := wd.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
		t.Fatal(err)
	}
	o = promoted(t, wd, "prod")
	expect(t, o, promote.Opened)
	if _, err := wd.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
		t.Fatal(err)
	}

	want := "ghcr.io/acme/web:1.1.0@" + d110
	for stage, img := range rendered(t, wd) {
		if img != want {
			t.Errorf("%s renders %s, want %s", stage, img, want)
		}
	}

	// The PRs tell people what they do, and carry the marker.
	for _, pr := range wd.GitHub.PullRequests() {
		m, ok, err := promote.ParseMarker(pr.Body)
		if err != nil || !ok {
			t.Errorf("PR #%d has no marker: %v", pr.Number, err)
			continue
		}
		if !strings.Contains(pr.Title, m.Tag) || !strings.Contains(pr.Title, m.Stage) {
			t.Errorf("PR #%d title %q does not name tag and stage", pr.Number, pr.Title)
		}
		for _, s := range []string{m.Digest, "What happens next", "apps/web/overlays/" + m.Stage + "/kustomization.yaml"} {
			if !strings.Contains(pr.Body, s) {
				t.Errorf("PR #%d body lacks %q", pr.Number, s)
			}
		}
		for _, l := range promote.Labels("web", m.Stage) {
			if !contains(pr.Labels, l) {
				t.Errorf("PR #%d lacks label %s: %v", pr.Number, l, pr.Labels)
			}
		}
		if !pr.Merged {
			t.Errorf("PR #%d (%s) is not merged", pr.Number, m.Stage)
		}
	}
}

func TestNothingToDoChangesNothing(t *testing.T) {
	wd := world(t)
	push(t, wd, "1.0.0", false)
	expect(t, pushed(t, wd, "1.0.0"), promote.Merged)
	before := snap(t, wd)

	// A second push of the same tag: staging runs it already.
	expect(t, pushed(t, wd, "1.0.0"), promote.AlreadyThere)
	// A tag the policy rejects, and one it accepts that would move back.
	push(t, wd, "0.5.0", false)
	expect(t, pushed(t, wd, "0.5.0"), promote.Ignored)
	push(t, wd, "latest", false)
	expect(t, pushed(t, wd, "latest"), promote.Ignored)
	// An image no app uses.
	outs, err := pushes(wd, "ghcr.io/acme/other", "1.0.0")
	if err != nil || len(outs) != 1 || outs[0].Result != promote.Ignored {
		t.Fatalf("unknown image: %+v, %v", outs, err)
	}
	if after := snap(t, wd); after != before {
		t.Fatalf("nothing to do changed the repository: %+v → %+v", before, after)
	}

	// A promotion into a stage that already has the digest.
	o := promoted(t, wd, "preprod")
	if _, err := wd.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
		t.Fatal(err)
	}
	before = snap(t, wd)
	expect(t, promoted(t, wd, "preprod"), promote.AlreadyThere)
	if after := snap(t, wd); after != before {
		t.Fatalf("promoting what is there changed the repository: %+v → %+v", before, after)
	}
}

func TestOneLivingPullRequest(t *testing.T) {
	wd := world(t)
	push(t, wd, "1.0.0", false)
	expect(t, pushed(t, wd, "1.0.0"), promote.Merged)
	first := promoted(t, wd, "preprod")
	expect(t, first, promote.Opened)

	// The same promotion again touches nothing.
	again := promoted(t, wd, "preprod")
	expect(t, again, promote.Unchanged)
	if again.PR != first.PR {
		t.Fatalf("a second PR was opened: #%d and #%d", first.PR, again.PR)
	}

	// A newer image in staging: the same PR is rebuilt on the new main.
	d110 := push(t, wd, "1.1.0", false)
	expect(t, pushed(t, wd, "1.1.0"), promote.Merged)
	newer := promoted(t, wd, "preprod")
	expect(t, newer, promote.Updated)
	if newer.PR != first.PR {
		t.Fatalf("update opened PR #%d instead of updating #%d", newer.PR, first.PR)
	}
	open := 0
	for _, pr := range wd.GitHub.PullRequests() {
		if pr.State == "open" {
			open++
			if !strings.Contains(pr.Body, d110) || !strings.Contains(pr.Title, "1.1.0") {
				t.Errorf("the living PR does not propose 1.1.0: %q", pr.Title)
			}
		}
	}
	if open != 1 {
		t.Fatalf("%d open PRs, want 1", open)
	}
	// Merging it lands 1.1.0, on top of the staging change it was rebuilt on.
	if _, err := wd.GitHub.MergeAsUser(newer.PR, "octocat"); err != nil {
		t.Fatalf("merge the rebuilt PR: %v", err)
	}
	r := rendered(t, wd)
	if r["preprod"] != "ghcr.io/acme/web:1.1.0@"+d110 || r["staging"] != r["preprod"] {
		t.Fatalf("after merge: %v", r)
	}
}

func TestStalePullRequestIsClosed(t *testing.T) {
	wd := world(t)
	d := push(t, wd, "1.0.0", false)
	expect(t, pushed(t, wd, "1.0.0"), promote.Merged)
	o := promoted(t, wd, "preprod")
	expect(t, o, promote.Opened)

	// Someone lands the same change on main by hand.
	file := "apps/web/overlays/preprod/kustomization.yaml"
	data, err := wd.GitHub.FileAt("stagehand/web/preprod", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wd.GitHub.Commit("main", "pin preprod by hand", map[string][]byte{file: data}); err != nil {
		t.Fatal(err)
	}
	expect(t, promoted(t, wd, "preprod"), promote.AlreadyThere)
	for _, pr := range wd.GitHub.PullRequests() {
		if pr.Number != o.PR {
			continue
		}
		if pr.State != "closed" || pr.Merged {
			t.Fatalf("stale PR #%d is %s (merged %v)", pr.Number, pr.State, pr.Merged)
		}
		if len(pr.Comments) == 0 || !strings.Contains(pr.Comments[len(pr.Comments)-1], d) {
			t.Fatalf("stale PR closed without saying why: %q", pr.Comments)
		}
	}
}

func TestAutoMergeWaitsForRequiredChecks(t *testing.T) {
	wd := world(t)
	wd.GitHub.SetRequiredChecks("main", "ci/build")
	push(t, wd, "1.0.0", false)
	o := pushed(t, wd, "1.0.0")
	expect(t, o, promote.Opened)
	if !strings.Contains(o.Reason, "ci/build (not reported yet)") {
		t.Fatalf("waiting PR does not say what for: %q", o.Reason)
	}

	wd.GitHub.SetStatus(o.HeadSHA, "ci/build", "failure")
	o = pushed(t, wd, "1.0.0")
	expect(t, o, promote.Unchanged)
	if !strings.Contains(o.Reason, "required check ci/build failed") {
		t.Fatalf("failing check: %q", o.Reason)
	}

	wd.GitHub.SetStatus(o.HeadSHA, "ci/build", "success")
	expect(t, pushed(t, wd, "1.0.0"), promote.Merged)
}

func TestRefusalsSayWhatToFix(t *testing.T) {
	wd := world(t)
	push(t, wd, "1.0.0", false)
	file := "apps/web/overlays/staging/kustomization.yaml"

	if _, err := wd.GitHub.Commit("main", "break staging", map[string][]byte{file: []byte("images:\n  - name: ghcr.io/acme/web\n    newTag: [1.0\n")}); err != nil {
		t.Fatal(err)
	}
	before := snap(t, wd)
	o := pushed(t, wd, "1.0.0")
	expect(t, o, promote.Refused)
	if !regexp.MustCompile(regexp.QuoteMeta(file) + `:\d+: `).MatchString(o.Reason) {
		t.Errorf("broken YAML refusal lacks file:line: %q", o.Reason)
	}
	if after := snap(t, wd); after != before {
		t.Fatalf("a refusal changed the repository")
	}

	if _, err := wd.GitHub.Commit("main", "bad config", map[string][]byte{".stagehand.yaml": []byte("stages: []\n")}); err != nil {
		t.Fatal(err)
	}
	_, err := pushes(wd, demo.Image, "1.0.0")
	var ce *promote.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), ".stagehand.yaml:1") {
		t.Fatalf("bad config: %v", err)
	}
}

func TestRegistryErrorsAreExplained(t *testing.T) {
	wd := world(t)
	_, err := pushes(wd, demo.Image, "9.9.9") // never pushed
	if err == nil || !strings.Contains(err.Error(), "ghcr.io/acme/web:9.9.9") || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("unknown tag: %v", err)
	}
	if prs := wd.GitHub.PullRequests(); len(prs) != 0 {
		t.Fatalf("a registry failure opened %d PRs", len(prs))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestAPICallBudget counts the GitHub requests of one promotion. Opening a
// PR from a push needs 8: read main, the config and the stage's
// kustomization; write a tree, a commit and the branch; open the PR and
// label it. A promotion reads one file more, the source stage's. Merging is
// counted apart: required checks, the merge, deleting the branch, and the
// stage's GitHub deployment with its status (two calls: what runs where,
// shown on GitHub).
func TestAPICallBudget(t *testing.T) {
	wd := world(t)
	push(t, wd, "1.0.0", false)
	wd.GitHub.ResetCalls()
	expect(t, pushed(t, wd, "1.0.0"), promote.Merged)
	open, merge := calls(wd)
	if open > 8 || merge > 5 {
		t.Errorf("push → merged PR took %d calls to open and %d to merge, want ≤ 8 and ≤ 5: %v", open, merge, wd.GitHub.Calls())
	}

	wd.GitHub.ResetCalls()
	expect(t, promoted(t, wd, "preprod"), promote.Opened)
	open, merge = calls(wd)
	if open > 9 || merge != 0 {
		t.Errorf("promotion to preprod took %d calls to open and %d to merge, want ≤ 9 and 0: %v", open, merge, wd.GitHub.Calls())
	}

	// Nothing to do costs reads only.
	wd.GitHub.ResetCalls()
	expect(t, pushed(t, wd, "1.0.0"), promote.AlreadyThere)
	for op := range wd.GitHub.Calls() {
		if op != "repos/get-branch" && op != "repos/get-content" && op != "pulls/list" && !authOps[op] {
			t.Errorf("a push that changes nothing called %s", op)
		}
	}
}

// TestConflictRebuildsOnCurrentMain: an auto-merge PR waits for checks while
// someone changes the same lines on main; when the checks pass GitHub finds
// it unmergeable, and stagehand rebuilds it on the new main instead of
// leaving it stuck.
func TestConflictRebuildsOnCurrentMain(t *testing.T) {
	wd := world(t)
	wd.GitHub.SetRequiredChecks("main", "ci")
	d := push(t, wd, "1.0.0", false)
	o := pushed(t, wd, "1.0.0")
	expect(t, o, promote.Opened)

	file := "apps/web/overlays/staging/kustomization.yaml"
	data, err := wd.GitHub.FileAt("main", file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), `newTag: "0.9.0"`, `newTag: "0.9.1"`, 1)
	if edited == string(data) {
		t.Fatal("sample staging overlay changed; update this test")
	}
	if _, err := wd.GitHub.Commit("main", "hotfix staging by hand", map[string][]byte{file: []byte(edited)}); err != nil {
		t.Fatal(err)
	}
	wd.GitHub.SetStatus(o.HeadSHA, "ci", "success")

	o2 := pushed(t, wd, "1.0.0")
	expect(t, o2, promote.Updated)
	if o2.PR != o.PR || o2.HeadSHA == o.HeadSHA {
		t.Fatalf("not rebuilt in place: PR #%d→#%d head %s→%s", o.PR, o2.PR, o.HeadSHA, o2.HeadSHA)
	}
	if !strings.Contains(o2.Reason, "ci (not reported yet)") {
		t.Fatalf("rebuilt PR must wait for its own checks: %q", o2.Reason)
	}
	wd.GitHub.SetStatus(o2.HeadSHA, "ci", "success")
	expect(t, pushed(t, wd, "1.0.0"), promote.Merged)
	if got := rendered(t, wd)["staging"]; got != "ghcr.io/acme/web:1.0.0@"+d {
		t.Fatalf("staging renders %s", got)
	}
}

func TestChainOnMerge(t *testing.T) {
	wd := world(t)
	wd.GitHub.SetRequiredChecks("main", "ci")
	push(t, wd, "1.0.0", false)
	o := pushed(t, wd, "1.0.0")
	expect(t, o, promote.Opened) // waits for ci

	// A person edits the PR before merging it: staging gets 1.0.1 instead.
	d101 := push(t, wd, "1.0.1", false)
	file := "apps/web/overlays/staging/kustomization.yaml"
	data, err := wd.GitHub.FileAt(promote.Branch("web", "staging"), file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(strings.Replace(string(data), `"1.0.0"`, `"1.0.1"`, 1), o.To.Digest, d101, 1)
	head, err := wd.GitHub.Commit(promote.Branch("web", "staging"), "use 1.0.1", map[string][]byte{file: []byte(edited)})
	if err != nil {
		t.Fatal(err)
	}
	wd.GitHub.SetStatus(head, "ci", "success")
	if _, err := wd.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
		t.Fatal(err)
	}

	c, err := chained(wd, "staging")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, c, promote.Opened) // preprod is a pull-request stage
	if c.Stage != "preprod" || c.To.Digest != d101 || c.To.Tag != "1.0.1" {
		t.Fatalf("chained %s %s@%s, want preprod 1.0.1@%s (what main holds)", c.Stage, c.To.Tag, c.To.Digest, d101)
	}
	wd.GitHub.SetStatus(c.HeadSHA, "ci", "success")
	if _, err := wd.GitHub.MergeAsUser(c.PR, "octocat"); err != nil {
		t.Fatal(err)
	}
	before := snap(t, wd)
	c, err = chained(wd, "preprod")
	if err != nil || c.Result != promote.Manual || c.Stage != "prod" || !strings.Contains(c.Reason, "--to prod") {
		t.Fatalf("chain into a manual stage: %+v %v", c, err)
	}
	if after := snap(t, wd); after != before {
		t.Fatal("chaining into a manual stage changed the repository")
	}
	if c, err = chained(wd, "prod"); err != nil || c.Result != promote.Ignored {
		t.Fatalf("chain after the last stage: %+v %v", c, err)
	}
}

func TestHeldStageTakesNoPromotion(t *testing.T) {
	wd := world(t)
	ctx := context.Background()
	if err := wd.Store.PlaceHold(ctx, store.Hold{App: "web", Stage: "staging", By: "ann", Reason: "incident 42", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	push(t, wd, "1.0.0", false)
	before := snap(t, wd)
	o := pushed(t, wd, "1.0.0")
	expect(t, o, promote.Refused)
	if o.Reason != "web is held in staging by @ann: incident 42; release it with `/release web staging` first" {
		t.Fatalf("refusal: %q", o.Reason)
	}
	if after := snap(t, wd); after != before {
		t.Fatal("a held stage was changed")
	}
	// Releasing proposes what the hold kept, at once.
	r, err := wd.Engine.Run(ctx, promote.Request{Kind: promote.Release, Source: promote.FromCLI, App: "web", Stage: "staging"})
	if err != nil || r.Result != promote.HoldLifted || r.Then == nil {
		t.Fatalf("release: %+v %v", r, err)
	}
	expect(t, *r.Then, promote.Merged)
	if r.Then.To.Tag != "1.0.0" {
		t.Fatalf("the release proposed %s, want the kept 1.0.0", r.Then.To.Tag)
	}
}
