package promote_test

import (
	"context"
	"maps"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// A group end to end on the demo world: web, api and worker release
// together as group shop; solo does not.

// groupSeed is the sample config repository with api, worker and solo
// made like web, and group shop of web, api and worker.
func groupSeed(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(seed)); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, ".stagehand.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, webApp, _ := strings.Cut(string(cfg), "apps:\n")
	var more strings.Builder
	for _, name := range []string{"api", "worker", "solo"} {
		more.WriteString(strings.ReplaceAll(webApp, "web", name))
		err := filepath.WalkDir(filepath.Join(dir, "apps", "web"), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join(dir, "apps", "web"), p)
			out := filepath.Join(dir, "apps", name, rel)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			return os.WriteFile(out, []byte(strings.ReplaceAll(string(data), "web", name)), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	more.WriteString("groups:\n  - name: shop\n    apps: [web, api, worker]\n")
	if err := os.WriteFile(filepath.Join(dir, ".stagehand.yaml"), append(cfg, more.String()...), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dueQueue is the scheduler of a group world: it keeps requests until they
// are due by the world's clock, once per id as the queue does (the queue
// remembers the ids of requests it ran, too).
type dueQueue struct {
	mu   sync.Mutex
	seen map[string]bool
	reqs []dueRequest
}

type dueRequest struct {
	r  promote.Request
	at time.Time
}

func (q *dueQueue) Schedule(_ context.Context, r promote.Request, at time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if r.ID != "" && q.seen[r.ID] {
		return nil
	}
	if q.seen == nil {
		q.seen = map[string]bool{}
	}
	q.seen[r.ID] = true
	q.reqs = append(q.reqs, dueRequest{r, at})
	return nil
}

// due takes the requests due at now, earliest first.
func (q *dueQueue) due(now time.Time) []promote.Request {
	q.mu.Lock()
	defer q.mu.Unlock()
	sort.SliceStable(q.reqs, func(i, j int) bool { return q.reqs[i].at.Before(q.reqs[j].at) })
	var out []promote.Request
	var left []dueRequest
	for _, d := range q.reqs {
		if d.at.After(now) {
			left = append(left, d)
		} else {
			out = append(out, d.r)
		}
	}
	q.reqs = left
	return out
}

// groupWorld is a demo world on groupSeed with a clock the test moves.
type groupWorld struct {
	*demo.World
	q   *dueQueue
	mu  sync.Mutex
	now time.Time
}

func newGroupWorld(t *testing.T) *groupWorld {
	t.Helper()
	gw := &groupWorld{q: &dueQueue{}, now: time.Now()}
	wd, err := demo.Start(context.Background(), demo.Options{Seed: groupSeed(t), Validate: true, Engine: func(o *promote.Options) {
		o.Scheduler = gw.q
		o.Now = gw.clock
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if v := wd.GitHub.Violations(); len(v) > 0 {
			t.Errorf("requests or responses that do not conform to GitHub's REST description:\n%s", strings.Join(v, "\n"))
		}
		wd.Close()
	})
	gw.World = wd
	return gw
}

func (gw *groupWorld) clock() time.Time {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	return gw.now
}

func (gw *groupWorld) advance(d time.Duration) {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	gw.now = gw.now.Add(d)
}

// runDue runs what the queue holds that is due, and what that schedules
// at once, as the queue's workers would; it returns the outcomes.
func (gw *groupWorld) runDue(t *testing.T) []promote.Outcome {
	t.Helper()
	var outs []promote.Outcome
	for {
		reqs := gw.q.due(gw.clock())
		if len(reqs) == 0 {
			return outs
		}
		for _, r := range reqs {
			o, err := gw.Engine.Run(context.Background(), r)
			if err != nil {
				t.Fatalf("%s %s: %v", r.Kind, r.App, err)
			}
			outs = append(outs, o)
		}
	}
}

// pushApp pushes app's image as tag and tells the engine, as a registry
// would; it returns the digest.
func (gw *groupWorld) pushApp(t *testing.T, app, tag string) (string, promote.Outcome) {
	t.Helper()
	d, err := gw.PushTo(context.Background(), "acme/"+app, tag, false)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := gw.Engine.Pushes(context.Background(), "ghcr.io/acme/"+app, []promote.Pushed{{Image: "ghcr.io/acme/" + app, Tag: tag}}, promote.FromRegistry)
	if err != nil || len(outs) != 1 {
		t.Fatalf("push of %s:%s: %+v %v", app, tag, outs, err)
	}
	return d.String(), outs[0]
}

// prsOf are the PRs from branch.
func (gw *groupWorld) prsOf(branch string) []int {
	var out []int
	for _, pr := range gw.GitHub.PullRequests() {
		if pr.Head == branch {
			out = append(out, pr.Number)
		}
	}
	return out
}

// pins is what each app's overlay of stage pins at ref.
func (gw *groupWorld) pins(t *testing.T, ref, stage string, apps ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, app := range apps {
		file := path.Join("apps", app, "overlays", stage, "kustomization.yaml")
		data, err := gw.GitHub.FileAt(ref, file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := manifest.Current(file, data, "ghcr.io/acme/"+app)
		if err != nil {
			t.Fatal(err)
		}
		out[app] = p.Tag + "@" + p.Digest
	}
	return out
}

func TestGroupMovesTogether(t *testing.T) {
	gw := newGroupWorld(t)
	ctx := context.Background()
	shop := []string{"web", "api", "worker"}

	// CI pushes the group's three images within its window: each waits.
	want := map[string]string{}
	for _, app := range shop {
		d, o := gw.pushApp(t, app, "1.0.0")
		expect(t, o, promote.Gathered)
		want[app] = "1.0.0@" + d
		gw.advance(500 * time.Millisecond)
	}
	if got := gw.runDue(t); len(got) != 0 {
		t.Fatalf("the group moved before its window closed: %+v", got)
	}
	if prs := gw.GitHub.PullRequests(); len(prs) != 0 {
		t.Fatalf("PRs opened while the window was open: %+v", prs)
	}

	// The window closes: one PR into staging, one commit with the three
	// files, merged (staging auto-merges); the chain opens one PR into
	// preprod, for the same three digests.
	gw.GitHub.ResetCalls()
	gw.advance(3 * time.Second)
	outs := gw.runDue(t)
	if n := gw.GitHub.Calls()["git/create-commit"]; n != 2 {
		t.Errorf("%d commits for staging and preprod, want one each", n)
	}
	staging, preprod := gw.prsOf(promote.Branch("shop", "staging")), gw.prsOf(promote.Branch("shop", "preprod"))
	if len(staging) != 1 || len(preprod) != 1 || len(gw.GitHub.PullRequests()) != 2 {
		t.Fatalf("PRs: staging %v, preprod %v, all %d; want one each and no other\n%+v", staging, preprod, len(gw.GitHub.PullRequests()), outs)
	}
	pr := gw.pr(t, staging[0])
	if !pr.Merged {
		t.Fatalf("staging PR #%d is not merged", pr.Number)
	}
	for _, ref := range []string{pr.HeadSHA, "main"} {
		if got := gw.pins(t, ref, "staging", shop...); !maps.Equal(got, want) {
			t.Errorf("staging at %s pins %v, want %v", ref, got, want)
		}
	}
	gw.checkGroupPR(t, pr, "staging", want)
	pre := gw.pr(t, preprod[0])
	if pre.State != "open" {
		t.Fatalf("preprod PR #%d is %s; a person merges it", pre.Number, pre.State)
	}
	if got := gw.pins(t, pre.HeadSHA, "preprod", shop...); !maps.Equal(got, want) {
		t.Errorf("the preprod PR pins %v, want %v", got, want)
	}
	gw.checkGroupPR(t, pre, "preprod", want)

	// Each app's history shows the group's merge.
	for _, app := range shop {
		m, ok, err := gw.Store.LastMerge(ctx, app, "staging")
		if err != nil || !ok || m.PR != pr.Number || m.Group != "shop" || m.Tag+"@"+m.Digest != want[app] {
			t.Errorf("%s's last staging merge: %+v %v %v", app, m, ok, err)
		}
	}

	// A person merges preprod; GitHub tells stagehand (as work.PRClosed
	// does); prod is manual, so nothing moves.
	if _, err := gw.GitHub.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	pre = gw.pr(t, pre.Number)
	m, _, _ := promote.ParseMarker(pre.Body)
	var ms []store.Merge
	for _, a := range m.Apps {
		ms = append(ms, store.Merge{App: a.App, Stage: m.Stage, Image: a.Image, Tag: a.Tag, Digest: a.Digest, PR: pre.Number, MergeSHA: pre.MergeSHA, MergedBy: "octocat", At: gw.clock()})
	}
	if err := gw.Engine.MergedGroup(ctx, "shop", ms); err != nil {
		t.Fatal(err)
	}
	outs = gw.runDue(t)
	if len(outs) != 1 || outs[0].Result != promote.Manual || !strings.Contains(outs[0].Reason, "`/promote shop to prod`") {
		t.Fatalf("chain into manual prod: %+v", outs)
	}

	// /promote shop to prod, as the CLI says it: one PR into prod.
	o, err := gw.Engine.Run(ctx, promote.Request{Kind: promote.Promote, Source: promote.FromCLI, App: "shop", Stage: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, o, promote.Opened)
	if prod := gw.prsOf(promote.Branch("shop", "prod")); len(prod) != 1 || prod[0] != o.PR {
		t.Fatalf("prod PRs %v, want #%d alone", prod, o.PR)
	}
	prod := gw.pr(t, o.PR)
	if got := gw.pins(t, prod.HeadSHA, "prod", shop...); !maps.Equal(got, want) {
		t.Errorf("the prod PR pins %v, want %v", got, want)
	}
	gw.checkGroupPR(t, prod, "prod", want)

	// solo is in no group: its push goes straight to its own PR, merged.
	d, o := gw.pushApp(t, "solo", "1.0.0")
	expect(t, o, promote.Merged)
	if got := gw.pins(t, "main", "staging", "solo"); got["solo"] != "1.0.0@"+d {
		t.Errorf("solo pins %v in staging", got)
	}
	if solo := gw.prsOf(promote.Branch("solo", "staging")); len(solo) != 1 {
		t.Errorf("solo's staging PRs: %v", solo)
	}
}

// TestGroupWindowTakesLatePushes: a push of the group that comes after
// the group's PR merged gets a PR of its own, with only that image; a
// push of one app alone moves its group after the window too.
func TestGroupLaterPushMovesAlone(t *testing.T) {
	gw := newGroupWorld(t)
	shop := []string{"web", "api", "worker"}
	for _, app := range shop {
		gw.pushApp(t, app, "1.0.0")
	}
	gw.advance(3 * time.Second)
	gw.runDue(t)

	d, o := gw.pushApp(t, "api", "1.0.1")
	expect(t, o, promote.Gathered)
	gw.advance(3 * time.Second)
	gw.runDue(t)
	staging := gw.prsOf(promote.Branch("shop", "staging"))
	if len(staging) != 2 {
		t.Fatalf("staging PRs %v, want one per window", staging)
	}
	pr := gw.pr(t, staging[1])
	m, _, _ := promote.ParseMarker(pr.Body)
	if !pr.Merged || len(m.Apps) != 1 || m.Apps[0].App != "api" || m.Apps[0].Digest != d {
		t.Fatalf("the second window's PR #%d: merged %v, %+v", pr.Number, pr.Merged, m.Apps)
	}
	// preprod's one living PR now moves web and worker as before and api's
	// newer image: what staging pins.
	preprod := gw.prsOf(promote.Branch("shop", "preprod"))
	if len(preprod) != 1 {
		t.Fatalf("preprod PRs %v, want one living PR", preprod)
	}
	pre := gw.pr(t, preprod[0])
	if got, want := gw.pins(t, pre.HeadSHA, "preprod", shop...), gw.pins(t, "main", "staging", shop...); !maps.Equal(got, want) {
		t.Errorf("the preprod PR pins %v, staging %v", got, want)
	}
}

// TestHeldAppHoldsItsGroup: a hold of one app stops the group, and its
// release moves the group with the pushes the window gathered.
func TestHeldAppHoldsItsGroup(t *testing.T) {
	gw := newGroupWorld(t)
	ctx := context.Background()
	if err := gw.Store.PlaceHold(ctx, store.Hold{App: "api", Stage: "staging", By: "ann", Reason: "incident 42", At: gw.clock()}); err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"web", "api"} {
		gw.pushApp(t, app, "1.0.0")
	}
	gw.advance(3 * time.Second)
	outs := gw.runDue(t)
	if len(outs) == 0 || outs[len(outs)-1].Result != promote.Refused || !strings.Contains(outs[len(outs)-1].Reason, "api is held in staging by @ann: incident 42") {
		t.Fatalf("a held app's group: %+v", outs)
	}
	if prs := gw.GitHub.PullRequests(); len(prs) != 0 {
		t.Fatalf("a held group opened PRs: %+v", prs)
	}
	r, err := gw.Engine.Run(ctx, promote.Request{Kind: promote.Release, Source: promote.FromCLI, App: "api", Stage: "staging"})
	if err != nil || r.Result != promote.HoldLifted || !strings.Contains(r.Reason, "group shop's promotion into staging") {
		t.Fatalf("release: %+v %v", r, err)
	}
	gw.runDue(t)
	staging := gw.prsOf(promote.Branch("shop", "staging"))
	if len(staging) != 1 {
		t.Fatalf("staging PRs after the release: %v", staging)
	}
	m, _, _ := promote.ParseMarker(gw.pr(t, staging[0]).Body)
	if len(m.Apps) != 2 {
		t.Fatalf("the released group's PR moves %+v, want web and api", m.Apps)
	}
}

func (gw *groupWorld) pr(t *testing.T, number int) githubfake.PullRequest {
	t.Helper()
	for _, pr := range gw.GitHub.PullRequests() {
		if pr.Number == number {
			return pr
		}
	}
	t.Fatalf("no PR #%d", number)
	return githubfake.PullRequest{}
}

// checkGroupPR checks what a reviewer reads: the group's labels, a title
// and body naming every app, and a marker of exactly want.
func (gw *groupWorld) checkGroupPR(t *testing.T, pr githubfake.PullRequest, stage string, want map[string]string) {
	t.Helper()
	for _, l := range promote.GroupLabels("shop", stage) {
		if !contains(pr.Labels, l) {
			t.Errorf("PR #%d lacks label %s: %v", pr.Number, l, pr.Labels)
		}
	}
	m, ok, err := promote.ParseMarker(pr.Body)
	if err != nil || !ok || m.Group != "shop" || m.Stage != stage || len(m.Apps) != len(want) {
		t.Fatalf("PR #%d marker %+v %v %v", pr.Number, m, ok, err)
	}
	for _, a := range m.Apps {
		if a.Tag+"@"+a.Digest != want[a.App] {
			t.Errorf("PR #%d marks %s %s@%s, want %s", pr.Number, a.App, a.Tag, a.Digest, want[a.App])
		}
		if !strings.Contains(pr.Title, a.App+" "+a.Tag) || !strings.Contains(pr.Body, a.Digest) {
			t.Errorf("PR #%d does not name %s %s (%s):\n%s\n%s", pr.Number, a.App, a.Tag, a.Digest, pr.Title, pr.Body)
		}
	}
}
