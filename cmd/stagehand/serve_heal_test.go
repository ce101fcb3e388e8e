package main

// End-to-end tests of the real-world edges of issue 7 against a running
// `stagehand serve`, in the world of internal/testkit/e2e: a push a hold
// refused is kept, shown and proposed on release; a broken .stagehand.yaml
// is reported on its commit and its fix lets waiting pushes through at
// once; GitHub failing in passing costs time, never a push. What is new
// here starts with hl.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// hlHealDeadline is how soon after its cause clears (the last GitHub
// fault, the commit fixing the config) a waiting push must land: a bound
// a user would still call prompt, and a deadline to fail, not a speed claim.
const hlHealDeadline = 30 * time.Second

// hlPush pushes a new image as a's tag to the registry and tells stagehand
// as a CI job would (the generic sender); pushedAt, when set, is the time
// the CI job says it pushed. It returns the image's digest.
func hlPush(t *testing.T, w *e2e.World, a e2e.App, tag string, pushedAt time.Time) string {
	t.Helper()
	d := w.Push(t, a, tag)
	body := fmt.Sprintf(`{"image":%q,"tag":%q,"digest":%q`, a.Image, tag, d)
	if !pushedAt.IsZero() {
		body += fmt.Sprintf(`,"pushed_at":%q`, pushedAt.UTC().Format(time.RFC3339Nano))
	}
	if code, answer := w.Send(t, e2e.Generic([]byte(body+"}"))); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("push %s:%s: %d %q, want 202 accepted", a.Name, tag, code, answer)
	}
	return d
}

// hlHistory is what GET /api/v1/apps/{app}/history answers.
func hlHistory(t *testing.T, w *e2e.World, app string) api.History {
	t.Helper()
	resp, err := w.GetAPI("/api/v1/apps/" + app + "/history")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h api.History
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("history of %s: %d %v", app, resp.StatusCode, err)
	}
	return h
}

// hlPromotions is stagehand_promotions_total by "stage result".
func hlPromotions(m map[string]float64) map[string]float64 {
	return e2e.Totals(m, "stagehand_promotions_total", "stage", "result")
}

// hlNotes are stagehand's comments on an issue that answer nobody: its
// notes, not its replies (which start with "@login ").
func hlNotes(w *e2e.World, number int) []string {
	var out []string
	for _, c := range w.GitHub.CommentsOn(number) {
		if strings.HasSuffix(c.User, "[bot]") && !strings.HasPrefix(c.Body, "@") {
			out = append(out, c.Body)
		}
	}
	return out
}

// hlMarker is the stagehand marker of the newest PR of app's stage.
func hlMarker(w *e2e.World, app, stage string) (githubfake.PullRequest, promote.Marker, bool) {
	pr, ok := w.PR(promote.Branch(app, stage))
	if !ok {
		return pr, promote.Marker{}, false
	}
	m, ok, err := promote.ParseMarker(pr.Body)
	return pr, m, ok && err == nil
}

// TestServeHeldPushIsKeptAndProposedOnRelease: a writer holds staging with
// a comment on an issue; a push is refused there, and the refusal shows
// where people look: a note on the hold's issue naming the kept image, the
// audit log (refused, held), and the metrics (refused, not failed). A newer
// push replaces the kept one. /release proposes the newest kept image at
// once, and says so. A pattern-policy app's held push goes the same way.
func TestServeHeldPushIsKeptAndProposedOnRelease(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, hlHeldPush)
}

func hlHeldPush(t *testing.T, database string) {
	w := e2e.Start(t, e2e.Options{Run: run, Database: database})
	a := w.App("generic")
	w.GitHub.SetPermission("writer", "write")
	staging := promote.Branch(a.Name, "staging")
	issue := w.GitHub.OpenIssue("Change freeze")

	if code, reply := w.Comment(t, issue, "writer", "/hold "+a.Name+" staging change freeze"); code != http.StatusAccepted || !strings.Contains(reply, a.Name+" is held in staging") {
		t.Fatalf("/hold: %d %q", code, reply)
	}
	d110 := hlPush(t, w, a, "1.1.0", time.Time{})
	w.Eventually(t, "the held push worked", w.JobsDone(t, "push", 1))
	if pr, ok := w.PR(staging); ok {
		t.Fatalf("a push into held staging opened PR #%d", pr.Number)
	}
	w.Eventually(t, "a note on the hold's issue naming the kept image", func() (bool, string) {
		notes := hlNotes(w, issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`1.1.0`") && strings.Contains(notes[0], d110), strings.Join(notes, "\n---\n")
	})
	h := hlHistory(t, w, a.Name)
	if len(h.Actions) == 0 {
		t.Fatal("the audit log is empty")
	}
	if act := h.Actions[0]; act.Kind != "push" || act.Stage != "staging" || act.Result != "refused" || !strings.Contains(act.Reason, "held") ||
		act.ToTag != "1.1.0" || act.ToDigest != d110 || act.Actor != "stagehand" {
		t.Errorf("newest action %+v; want stagehand's push of 1.1.0@%s into staging refused as held", act, d110)
	}
	if h.Stages[0].Hold == nil || h.Stages[0].Hold.By != "writer" {
		t.Errorf("staging's hold in the API: %+v", h.Stages[0].Hold)
	}
	counted := hlPromotions(w.Metrics(t))
	if counted["staging refused"] != 1 || counted["staging failed"] != 0 {
		t.Errorf("stagehand_promotions_total: %v; want staging refused 1, failed 0", counted)
	}

	// A newer push while still held replaces the kept one, in the same note.
	d120 := hlPush(t, w, a, "1.2.0", time.Time{})
	w.Eventually(t, "the second held push worked", w.JobsDone(t, "push", 2))
	w.Eventually(t, "the note names the newer image", func() (bool, string) {
		notes := hlNotes(w, issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`1.2.0`") && strings.Contains(notes[0], d120) && !strings.Contains(notes[0], d110),
			strings.Join(notes, "\n---\n")
	})
	if counted := hlPromotions(w.Metrics(t)); counted["staging refused"] != 2 || counted["staging failed"] != 0 {
		t.Errorf("stagehand_promotions_total: %v; want staging refused 2, failed 0", counted)
	}
	if pr, ok := w.PR(staging); ok {
		t.Fatalf("a push into held staging opened PR #%d", pr.Number)
	}

	// The release proposes the newest kept image before it answers: the PR
	// is there when the reply is, with no reconcile (it is off) and no push.
	_, reply := w.Comment(t, issue, "writer", "/release "+a.Name+" staging")
	for _, want := range []string{a.Name + " is released in staging", "kept `1.2.0` (`" + d120 + "`) for staging; it is proposed now"} {
		if !strings.Contains(reply, want) {
			t.Errorf("/release reply %q lacks %q", reply, want)
		}
	}
	pr, m, ok := hlMarker(w, a.Name, "staging")
	if !ok || m.Tag != "1.2.0" || m.Digest != d120 {
		t.Fatalf("after /release, staging's PR %+v proposes %+v; want 1.2.0@%s", pr, m, d120)
	}
	if !strings.Contains(reply, fmt.Sprintf("/pull/%d", pr.Number)) {
		t.Errorf("the reply does not link PR #%d: %q", pr.Number, reply)
	}
	w.Eventually(t, "staging runs the kept image", func() (bool, string) {
		p, _, _ := hlMarker(w, a.Name, "staging")
		return p.Merged, p.State
	})
	if got := hlHistory(t, w, a.Name).Stages[0]; got.Tag != "1.2.0" || got.Digest != d120 || got.Hold != nil {
		t.Errorf("staging after the release: %+v; want 1.2.0@%s, not held", got, d120)
	}
	// The kept promotion was proposed once: releasing again finds no hold.
	if _, reply := w.Comment(t, issue, "writer", "/release "+a.Name+" staging"); !strings.Contains(reply, "is not held in staging") {
		t.Errorf("a second /release: %q", reply)
	}

	hlHeldPatternPush(t, w)
}

// hlHeldPatternPush: an app whose tags follow a pattern, not versions,
// orders its pushes by when they were pushed, by arrival when the sender
// gives no push time: the later push held is the one kept and proposed on
// release.
func hlHeldPatternPush(t *testing.T, w *e2e.World) {
	t.Helper()
	a := w.App("acr")
	cfg, err := w.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The acr app's semver line is the one after its image line.
	old := "image: " + a.Image + "\n    tags:\n      semver: \">=1.0.0\"\n"
	if !strings.Contains(string(cfg), old) {
		t.Fatalf("the config has no %q", old)
	}
	cfg = []byte(strings.Replace(string(cfg), old, "image: "+a.Image+"\n    tags:\n      pattern: '^main-[0-9]+$'\n", 1))
	if _, err := w.GitHub.Commit("main", a.Name+" follows main builds", map[string][]byte{".stagehand.yaml": cfg}); err != nil {
		t.Fatal(err)
	}
	issue := w.GitHub.OpenIssue("Hold " + a.Name)
	if _, reply := w.Comment(t, issue, "writer", "/hold "+a.Name+" staging"); !strings.Contains(reply, a.Name+" is held in staging") {
		t.Fatalf("/hold %s: %q", a.Name, reply)
	}
	pushes := 2 + 1 // the semver app's two, this one's first
	// main-9 is pushed before main-10, and the CI job says no push time: no
	// version and no clock orders them, so the later arrival is the newer.
	d9 := hlPush(t, w, a, "main-9", time.Time{})
	w.Eventually(t, "main-9's push worked", w.JobsDone(t, "push", pushes))
	w.Eventually(t, "the note names main-9", func() (bool, string) {
		notes := hlNotes(w, issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`main-9`") && strings.Contains(notes[0], d9), strings.Join(notes, "\n---\n")
	})
	d10 := hlPush(t, w, a, "main-10", time.Time{})
	w.Eventually(t, "main-10's push worked", w.JobsDone(t, "push", pushes+1))
	w.Eventually(t, "the note names main-10", func() (bool, string) {
		notes := hlNotes(w, issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`main-10`") && strings.Contains(notes[0], d10), strings.Join(notes, "\n---\n")
	})
	_, reply := w.Comment(t, issue, "writer", "/release "+a.Name+" staging")
	if want := "kept `main-10` (`" + d10 + "`) for staging; it is proposed now"; !strings.Contains(reply, want) {
		t.Errorf("/release %s reply %q lacks %q", a.Name, reply, want)
	}
	if pr, m, ok := hlMarker(w, a.Name, "staging"); !ok || m.Tag != "main-10" || m.Digest != d10 {
		t.Fatalf("after /release, %s's staging PR %+v proposes %+v; want main-10@%s", a.Name, pr, m, d10)
	}
}

// TestServeBrokenConfigIsReportedAndHealed: a typo committed to
// .stagehand.yaml shows as a failing stagehand/config check run on that
// commit, naming each problem as `stagehand validate` does; a /promote
// meanwhile is answered with the problems; a push meanwhile is accepted and
// waits, never given up; the commit that fixes the config turns the check
// green and lets the push through at once.
func TestServeBrokenConfigIsReportedAndHealed(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, hlBrokenConfig)
}

func hlBrokenConfig(t *testing.T, database string) {
	w := e2e.Start(t, e2e.Options{Run: run, Database: database})
	a := w.App("generic")
	w.GitHub.SetPermission("writer", "write")
	good, err := w.GitHub.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	typo := []byte(strings.Replace(string(good), "mode: auto-merge", "mode: auto-merg", 1))
	broken, err := w.GitHub.Commit("main", "staging merges by itself", map[string][]byte{".stagehand.yaml": typo})
	if err != nil {
		t.Fatal(err)
	}
	problems := hlValidate(t, w, "main")
	if len(problems) == 0 {
		t.Fatal("stagehand validate finds nothing wrong with the typo")
	}

	// Nothing else happens: GitHub's news of the commit is what tells.
	w.Eventually(t, "a failing stagehand/config check run on the broken commit", func() (bool, string) {
		run, ok := hlConfigCheck(w, broken)
		return ok && run.Conclusion == "failure", fmt.Sprintf("%+v", run)
	})
	run, _ := hlConfigCheck(w, broken)
	for _, p := range problems {
		if !strings.Contains(run.Summary, p) {
			t.Errorf("the check run's summary lacks the problem %q:\n%s", p, run.Summary)
		}
		// Each problem is also an annotation on its line of the file.
		m := hlProblemRE.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("stagehand validate printed %q, not file:line:col: problem", p)
		}
		line, _ := strconv.Atoi(m[2])
		if !slices.ContainsFunc(run.Annotations, func(a githubfake.Annotation) bool {
			return a.Path == m[1] && a.StartLine == line && a.Message == m[3] && a.Level == "failure"
		}) {
			t.Errorf("no annotation on %s line %d saying %q: %+v", m[1], line, m[3], run.Annotations)
		}
	}

	issue := w.GitHub.OpenIssue("Promote generic")
	_, reply := w.Comment(t, issue, "writer", "/promote "+a.Name+" to preprod")
	if !strings.Contains(reply, "cannot act until the configuration is fixed") {
		t.Errorf("/promote while the config is broken: %q", reply)
	}
	for _, p := range problems {
		if !strings.Contains(reply, p) {
			t.Errorf("the /promote reply lacks the problem %q:\n%s", p, reply)
		}
	}

	d := hlPush(t, w, a, "1.1.0", time.Time{})
	snoozed := e2e.Series("stagehand_jobs_total", "kind", "push", "outcome", "snoozed")
	w.Eventually(t, "the push tried and set to wait for a fix", func() (bool, string) {
		v := w.Metrics(t)[snoozed]
		return v >= 1, fmt.Sprintf("%s %v", snoozed, v)
	})
	m := w.Metrics(t)
	if v := m[e2e.Series("stagehand_jobs_total", "kind", "push", "outcome", "failed")]; v != 0 {
		t.Errorf("the waiting push was given up: %v failed push jobs", v)
	}
	if m["stagehand_queue_depth"] < 1 {
		t.Errorf("nothing waits in the queue while the config is broken")
	}
	if _, ok := w.PR(promote.Branch(a.Name, "staging")); ok {
		t.Fatal("a PR was opened while the config was broken")
	}

	fixed, err := w.GitHub.Commit("main", "fix the typo", map[string][]byte{".stagehand.yaml": good})
	if err != nil {
		t.Fatal(err)
	}
	fixedAt := time.Now()
	landed := hlWait(t, w, fixedAt.Add(hlHealDeadline), "the waiting push merged into staging after the fix", func() (bool, string) {
		pr, m, ok := hlMarker(w, a.Name, "staging")
		return ok && pr.Merged && m.Digest == d, fmt.Sprintf("%+v", m)
	})
	t.Logf("the waiting push landed %s after the commit fixing the config", landed.Sub(fixedAt).Round(time.Millisecond))
	w.Eventually(t, "a successful stagehand/config check run on the fixing commit", func() (bool, string) {
		run, ok := hlConfigCheck(w, fixed)
		return ok && run.Conclusion == "success", fmt.Sprintf("%+v", run)
	})

	// Nothing was given up on for good.
	w.Stop(t)
	hlNoFailures(t, w.Database)
}

// hlProblemRE reads a problem as `stagehand validate` prints it.
var hlProblemRE = regexp.MustCompile(`^([^:\s]+):(\d+):\d+: (.+)$`)

// hlValidate is what `stagehand validate` prints as errors for a checkout
// of ref, without the "error: " prefix.
func hlValidate(t *testing.T, w *e2e.World, ref string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := w.GitHub.Checkout(ref, dir); err != nil {
		t.Fatal(err)
	}
	var out, errOut e2e.Buffer
	run(context.Background(), []string{"validate", dir}, &out, &errOut)
	var problems []string
	for _, line := range strings.Split(errOut.String(), "\n") {
		if p, ok := strings.CutPrefix(line, "error: "); ok {
			problems = append(problems, p)
		}
	}
	return problems
}

// hlConfigCheck is the newest stagehand/config check run on sha.
func hlConfigCheck(w *e2e.World, sha string) (githubfake.CheckRun, bool) {
	runs := w.GitHub.CheckRuns(sha)
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Name == githubapp.ConfigCheck {
			return runs[i], true
		}
	}
	return githubfake.CheckRun{}, false
}

// hlNoFailures checks, once serve has stopped, that the queue gave up no
// job for good.
func hlNoFailures(t *testing.T, database string) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, database, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	q, err := queue.Submitter(d, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	failures, err := q.Failures(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failures {
		t.Errorf("job given up: %s %s after %d attempts: %s", f.Kind, f.Summary, f.Attempts, f.Error)
	}
}

// hlWait polls cond until it holds, failing the test at deadline; it
// returns when cond was first seen to hold.
func hlWait(t *testing.T, w *e2e.World, deadline time.Time, what string, cond func() (bool, string)) time.Time {
	t.Helper()
	for {
		ok, saw := cond()
		if ok {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so at the deadline; last saw: %s\nserver log:\n%s", what, saw, w.Stderr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestServeGitHubFaultsHealFast: GitHub fails one API request in five
// (500, 502, a secondary rate limit with a short Retry-After, an answer
// lost after the write was made) while ten pushes are worked. Once the
// faults stop, every push lands within hlHealDeadline, with one PR and one
// branch per app and stage, every delivery acknowledged, and failed tries
// counted as failures, never as refusals.
func TestServeGitHubFaultsHealFast(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, hlFaults)
}

// hlFaultLog wraps a fault injector to remember when it last injected
// one. Besides the random faults, the first PR stagehand merges meets a
// 502 on each of outage tries (a short outage): GitHub's client gives up,
// so that one try of a job fails as a whole and is retried.
type hlFaultLog struct {
	mu     sync.Mutex
	last   time.Time
	n      int
	outage int    // 502s left for merging the PR at down
	down   string // the path of the first merge asked for
}

func (l *hlFaultLog) wrap(f githubfake.FaultFunc) githubfake.FaultFunc {
	return func(r *http.Request, op string) githubfake.Fault {
		l.mu.Lock()
		defer l.mu.Unlock()
		fault := githubfake.FaultNone
		if op == "pulls/merge" && l.down == "" {
			l.down = r.URL.Path
		}
		if op == "pulls/merge" && r.URL.Path == l.down && l.outage > 0 {
			l.outage--
			fault = githubfake.Fault502
		} else {
			fault = f(r, op)
		}
		if fault != githubfake.FaultNone {
			l.last, l.n = time.Now(), l.n+1
		}
		return fault
	}
}

func (l *hlFaultLog) get() (time.Time, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, l.n
}

// outageOver reports whether the first merge met its outage: until then
// the faults must not stop, or the outage never comes.
func (l *hlFaultLog) outageOver() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.down != "" && l.outage == 0
}

func hlFaults(t *testing.T, database string) {
	w := e2e.Start(t, e2e.Options{Run: run, Database: database})
	apps := w.Apps[:10]
	faults := &hlFaultLog{outage: 4} // githubapp's retryTransport tries a call 4 times
	kinds := []githubfake.Fault{githubfake.Fault500, githubfake.Fault502, githubfake.FaultSecondaryLimit, githubfake.FaultLostResponse}
	w.GitHub.SetFaults(faults.wrap(githubfake.RandomFaults(uint64(time.Now().UnixNano()), 0.2, kinds)))

	type push struct {
		app     e2e.App
		digest  string
		sent    time.Time
		landed  time.Time
		latency time.Duration
	}
	pushes := make([]*push, len(apps))
	for i, a := range apps {
		pushes[i] = &push{app: a, digest: hlPush(t, w, a, "1.1.0", time.Time{}), sent: time.Now()}
	}
	landed := func() (int, string) {
		n := 0
		var waiting []string
		for _, p := range pushes {
			if p.landed.IsZero() {
				if pr, m, ok := hlMarker(w, p.app.Name, "staging"); ok && pr.Merged && m.Digest == p.digest && m.Tag == "1.1.0" {
					p.landed = time.Now()
					p.latency = p.landed.Sub(p.sent)
				}
			}
			if p.landed.IsZero() {
				waiting = append(waiting, p.app.Name)
			} else {
				n++
			}
		}
		return n, "waiting: " + strings.Join(waiting, ", ")
	}
	// The faults last while the work goes on: until every push landed
	// despite them, or GitHub has failed stagehand 30 times and the first
	// merge met its outage. (On a busy machine the ten pushes' requests
	// interleave, and 30 random faults may come before any merge is asked
	// for; stopping then would spare the merge its outage.)
	w.Eventually(t, "the work under faults", func() (bool, string) {
		n, saw := landed()
		_, injected := faults.get()
		return n == len(pushes) || injected >= 30 && faults.outageOver(), fmt.Sprintf("%d faults, outage over %v; %s", injected, faults.outageOver(), saw)
	})
	w.GitHub.StopFaults()
	last, injected := faults.get()
	t.Logf("faults stopped after %d injected: %v", injected, w.GitHub.FaultCounts())
	if injected == 0 {
		t.Fatal("no fault was injected")
	}
	hlWait(t, w, last.Add(hlHealDeadline), "every push merged into staging after the last fault", func() (bool, string) {
		n, saw := landed()
		return n == len(pushes), saw
	})
	var lat []time.Duration
	lastLanded := last
	for _, p := range pushes {
		lat = append(lat, p.latency)
		if p.landed.After(lastLanded) {
			lastLanded = p.landed
		}
	}
	t.Logf("the last push landed %s after the last fault", lastLanded.Sub(last).Round(time.Millisecond))
	slices.Sort(lat)
	t.Logf("push → merged in staging: min %s, median %s, max %s; the last fault %s after the first push",
		lat[0].Round(time.Millisecond), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond),
		last.Sub(pushes[0].sent).Round(time.Millisecond))

	// Each staging merge moves the image on to preprod; once that settled,
	// one PR per app and stage, and no branch but main and the open PRs'.
	w.Eventually(t, "every preprod PR opened and the queue drained", func() (bool, string) {
		var waiting []string
		for _, p := range pushes {
			if pr, m, ok := hlMarker(w, p.app.Name, "preprod"); !ok || pr.State != "open" || m.Digest != p.digest {
				waiting = append(waiting, p.app.Name)
			}
		}
		depth := w.Metrics(t)["stagehand_queue_depth"]
		return len(waiting) == 0 && depth == 0, fmt.Sprintf("preprod waiting: %v; depth %v", waiting, depth)
	})
	heads := map[string]int{}
	for _, pr := range w.GitHub.PullRequests() {
		heads[pr.Head]++
	}
	want := []string{"main"}
	for _, p := range pushes {
		for _, stage := range []string{"staging", "preprod"} {
			if n := heads[promote.Branch(p.app.Name, stage)]; n != 1 {
				t.Errorf("%s: %d PRs from %s, want 1", p.app.Name, n, promote.Branch(p.app.Name, stage))
			}
		}
		want = append(want, promote.Branch(p.app.Name, "preprod"))
	}
	if len(heads) != 2*len(pushes) {
		t.Errorf("PRs from %d branches, want %d: %v", len(heads), 2*len(pushes), heads)
	}
	slices.Sort(want)
	w.Eventually(t, "merged branches removed", func() (bool, string) {
		got := w.GitHub.Branches()
		return slices.Equal(got, want), fmt.Sprintf("branches %v, want %v", got, want)
	})

	// Every delivery GitHub made was acknowledged (the test's own were
	// checked as they were sent).
	ctx, cancel := context.WithTimeout(context.Background(), e2e.Deadline)
	defer cancel()
	if err := w.GitHub.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range w.GitHub.Deliveries() {
		if d.Status != http.StatusAccepted {
			t.Errorf("GitHub's %s delivery %s: %d %s", d.Event, d.GUID, d.Status, d.Err)
		}
	}

	// A failed try is counted as failed and retried; nothing was refused.
	counted := hlPromotions(w.Metrics(t))
	if counted["staging failed"] < 1 {
		t.Errorf("stagehand_promotions_total: %v; the merge GitHub failed 4 times in a row is not counted as failed", counted)
	}
	for k, v := range counted {
		if strings.HasSuffix(k, " refused") {
			t.Errorf("stagehand_promotions_total{%s} = %v: GitHub failing is not a refusal", k, v)
		}
	}
	t.Logf("stagehand_promotions_total: %v", counted)
	for _, p := range pushes {
		for _, act := range hlHistory(t, w, p.app.Name).Actions {
			if act.Result == "refused" || act.Result == "failed" {
				t.Errorf("%s: the audit log says %+v", p.app.Name, act)
			}
		}
	}
	w.Stop(t)
	hlNoFailures(t, w.Database)
}
