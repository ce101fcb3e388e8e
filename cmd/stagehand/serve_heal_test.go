package main

// End-to-end tests of the real-world edges of issue 7 against a running
// `stagehand serve`, with the helpers of serve_e2e_test.go: a push a hold
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
	"github.com/stagehand-dev/stagehand/internal/pgtest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// hlHealDeadline is how soon after its cause clears (the last GitHub
// fault, the commit fixing the config) a waiting push must land: a bound
// a user would still call prompt, and a deadline to fail, not a speed claim.
const hlHealDeadline = 30 * time.Second

// hlDatabases runs a test on SQLite and on PostgreSQL.
func hlDatabases(t *testing.T, test func(t *testing.T, database string)) {
	for _, d := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.Schema(t) }},
	} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			test(t, d.url(t))
		})
	}
}

// hlPush pushes a new image as a's tag to the registry and tells stagehand
// as a CI job would (the generic sender); pushedAt, when set, is the time
// the CI job says it pushed. It returns the image's digest.
func (w *e2eWorld) hlPush(t *testing.T, a e2eApp, tag string, pushedAt time.Time) string {
	t.Helper()
	d := w.push(t, a, tag)
	body := fmt.Sprintf(`{"image":%q,"tag":%q,"digest":%q`, a.image, tag, d)
	if !pushedAt.IsZero() {
		body += fmt.Sprintf(`,"pushed_at":%q`, pushedAt.UTC().Format(time.RFC3339Nano))
	}
	if code, answer := w.send(t, e2eGeneric([]byte(body+"}"))); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("push %s:%s: %d %q, want 202 accepted", a.name, tag, code, answer)
	}
	return d
}

// hlHistory is what GET /api/v1/apps/{app}/history answers.
func (w *e2eWorld) hlHistory(t *testing.T, app string) api.History {
	t.Helper()
	resp, err := w.client.Get(w.base + "/api/v1/apps/" + app + "/history")
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
	out := map[string]float64{}
	for series, v := range m {
		rest, ok := strings.CutPrefix(series, "stagehand_promotions_total{")
		if !ok {
			continue
		}
		labels := map[string]string{}
		for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
			k, val, _ := strings.Cut(kv, "=")
			labels[k], _ = strconv.Unquote(val)
		}
		out[labels["stage"]+" "+labels["result"]] += v
	}
	return out
}

// hlNotes are stagehand's comments on an issue that answer nobody: its
// notes, not its replies (which start with "@login ").
func (w *e2eWorld) hlNotes(number int) []string {
	var out []string
	for _, c := range w.gh.CommentsOn(number) {
		if strings.HasSuffix(c.User, "[bot]") && !strings.HasPrefix(c.Body, "@") {
			out = append(out, c.Body)
		}
	}
	return out
}

// hlMarker is the stagehand marker of the newest PR of app's stage.
func (w *e2eWorld) hlMarker(app, stage string) (githubfake.PullRequest, promote.Marker, bool) {
	pr, ok := w.prOf(promote.Branch(app, stage))
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
	hlDatabases(t, hlHeldPush)
}

func hlHeldPush(t *testing.T, database string) {
	w := e2eStart(t, e2eOptions{database: database})
	a := w.app("generic")
	w.gh.SetPermission("writer", "write")
	staging := promote.Branch(a.name, "staging")
	issue := w.gh.OpenIssue("Change freeze")

	if code, reply := w.comment(t, issue, "writer", "/hold "+a.name+" staging change freeze"); code != http.StatusAccepted || !strings.Contains(reply, a.name+" is held in staging") {
		t.Fatalf("/hold: %d %q", code, reply)
	}
	d110 := w.hlPush(t, a, "1.1.0", time.Time{})
	w.eventually(t, "the held push worked", w.jobsDone(t, "push", 1))
	if pr, ok := w.prOf(staging); ok {
		t.Fatalf("a push into held staging opened PR #%d", pr.Number)
	}
	w.eventually(t, "a note on the hold's issue naming the kept image", func() (bool, string) {
		notes := w.hlNotes(issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`1.1.0`") && strings.Contains(notes[0], d110), strings.Join(notes, "\n---\n")
	})
	h := w.hlHistory(t, a.name)
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
	counted := hlPromotions(w.metrics(t))
	if counted["staging refused"] != 1 || counted["staging failed"] != 0 {
		t.Errorf("stagehand_promotions_total: %v; want staging refused 1, failed 0", counted)
	}

	// A newer push while still held replaces the kept one, in the same note.
	d120 := w.hlPush(t, a, "1.2.0", time.Time{})
	w.eventually(t, "the second held push worked", w.jobsDone(t, "push", 2))
	w.eventually(t, "the note names the newer image", func() (bool, string) {
		notes := w.hlNotes(issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`1.2.0`") && strings.Contains(notes[0], d120) && !strings.Contains(notes[0], d110),
			strings.Join(notes, "\n---\n")
	})
	if counted := hlPromotions(w.metrics(t)); counted["staging refused"] != 2 || counted["staging failed"] != 0 {
		t.Errorf("stagehand_promotions_total: %v; want staging refused 2, failed 0", counted)
	}
	if pr, ok := w.prOf(staging); ok {
		t.Fatalf("a push into held staging opened PR #%d", pr.Number)
	}

	// The release proposes the newest kept image before it answers: the PR
	// is there when the reply is, with no reconcile (it is off) and no push.
	_, reply := w.comment(t, issue, "writer", "/release "+a.name+" staging")
	for _, want := range []string{a.name + " is released in staging", "kept `1.2.0` (`" + d120 + "`) for staging; it is proposed now"} {
		if !strings.Contains(reply, want) {
			t.Errorf("/release reply %q lacks %q", reply, want)
		}
	}
	pr, m, ok := w.hlMarker(a.name, "staging")
	if !ok || m.Tag != "1.2.0" || m.Digest != d120 {
		t.Fatalf("after /release, staging's PR %+v proposes %+v; want 1.2.0@%s", pr, m, d120)
	}
	if !strings.Contains(reply, fmt.Sprintf("/pull/%d", pr.Number)) {
		t.Errorf("the reply does not link PR #%d: %q", pr.Number, reply)
	}
	w.eventually(t, "staging runs the kept image", func() (bool, string) {
		p, _, _ := w.hlMarker(a.name, "staging")
		return p.Merged, p.State
	})
	if got := w.hlHistory(t, a.name).Stages[0]; got.Tag != "1.2.0" || got.Digest != d120 || got.Hold != nil {
		t.Errorf("staging after the release: %+v; want 1.2.0@%s, not held", got, d120)
	}
	// The kept promotion was proposed once: releasing again finds no hold.
	if _, reply := w.comment(t, issue, "writer", "/release "+a.name+" staging"); !strings.Contains(reply, "is not held in staging") {
		t.Errorf("a second /release: %q", reply)
	}

	hlHeldPatternPush(t, w)
}

// hlHeldPatternPush: an app whose tags follow a pattern, not versions,
// orders its pushes by when they were pushed, by arrival when the sender
// gives no push time: the later push held is the one kept and proposed on
// release.
func hlHeldPatternPush(t *testing.T, w *e2eWorld) {
	t.Helper()
	a := w.app("acr")
	cfg, err := w.gh.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The acr app's semver line is the one after its image line.
	old := "image: " + a.image + "\n    tags:\n      semver: \">=1.0.0\"\n"
	if !strings.Contains(string(cfg), old) {
		t.Fatalf("the config has no %q", old)
	}
	cfg = []byte(strings.Replace(string(cfg), old, "image: "+a.image+"\n    tags:\n      pattern: '^main-[0-9]+$'\n", 1))
	if _, err := w.gh.Commit("main", a.name+" follows main builds", map[string][]byte{".stagehand.yaml": cfg}); err != nil {
		t.Fatal(err)
	}
	issue := w.gh.OpenIssue("Hold " + a.name)
	if _, reply := w.comment(t, issue, "writer", "/hold "+a.name+" staging"); !strings.Contains(reply, a.name+" is held in staging") {
		t.Fatalf("/hold %s: %q", a.name, reply)
	}
	pushes := 2 + 1 // the semver app's two, this one's first
	// main-9 is pushed before main-10, and the CI job says no push time: no
	// version and no clock orders them, so the later arrival is the newer.
	d9 := w.hlPush(t, a, "main-9", time.Time{})
	w.eventually(t, "main-9's push worked", w.jobsDone(t, "push", pushes))
	w.eventually(t, "the note names main-9", func() (bool, string) {
		notes := w.hlNotes(issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`main-9`") && strings.Contains(notes[0], d9), strings.Join(notes, "\n---\n")
	})
	d10 := w.hlPush(t, a, "main-10", time.Time{})
	w.eventually(t, "main-10's push worked", w.jobsDone(t, "push", pushes+1))
	w.eventually(t, "the note names main-10", func() (bool, string) {
		notes := w.hlNotes(issue)
		return len(notes) == 1 && strings.Contains(notes[0], "`main-10`") && strings.Contains(notes[0], d10), strings.Join(notes, "\n---\n")
	})
	_, reply := w.comment(t, issue, "writer", "/release "+a.name+" staging")
	if want := "kept `main-10` (`" + d10 + "`) for staging; it is proposed now"; !strings.Contains(reply, want) {
		t.Errorf("/release %s reply %q lacks %q", a.name, reply, want)
	}
	if pr, m, ok := w.hlMarker(a.name, "staging"); !ok || m.Tag != "main-10" || m.Digest != d10 {
		t.Fatalf("after /release, %s's staging PR %+v proposes %+v; want main-10@%s", a.name, pr, m, d10)
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
	hlDatabases(t, hlBrokenConfig)
}

func hlBrokenConfig(t *testing.T, database string) {
	w := e2eStart(t, e2eOptions{database: database})
	a := w.app("generic")
	w.gh.SetPermission("writer", "write")
	good, err := w.gh.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	typo := []byte(strings.Replace(string(good), "mode: auto-merge", "mode: auto-merg", 1))
	broken, err := w.gh.Commit("main", "staging merges by itself", map[string][]byte{".stagehand.yaml": typo})
	if err != nil {
		t.Fatal(err)
	}
	problems := hlValidate(t, w, "main")
	if len(problems) == 0 {
		t.Fatal("stagehand validate finds nothing wrong with the typo")
	}

	// Nothing else happens: GitHub's news of the commit is what tells.
	w.eventually(t, "a failing stagehand/config check run on the broken commit", func() (bool, string) {
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

	issue := w.gh.OpenIssue("Promote generic")
	_, reply := w.comment(t, issue, "writer", "/promote "+a.name+" to preprod")
	if !strings.Contains(reply, "cannot act until the configuration is fixed") {
		t.Errorf("/promote while the config is broken: %q", reply)
	}
	for _, p := range problems {
		if !strings.Contains(reply, p) {
			t.Errorf("the /promote reply lacks the problem %q:\n%s", p, reply)
		}
	}

	d := w.hlPush(t, a, "1.1.0", time.Time{})
	snoozed := e2eSeries("stagehand_jobs_total", "kind", "push", "outcome", "snoozed")
	w.eventually(t, "the push tried and set to wait for a fix", func() (bool, string) {
		v := w.metrics(t)[snoozed]
		return v >= 1, fmt.Sprintf("%s %v", snoozed, v)
	})
	m := w.metrics(t)
	if v := m[e2eSeries("stagehand_jobs_total", "kind", "push", "outcome", "failed")]; v != 0 {
		t.Errorf("the waiting push was given up: %v failed push jobs", v)
	}
	if m["stagehand_queue_depth"] < 1 {
		t.Errorf("nothing waits in the queue while the config is broken")
	}
	if _, ok := w.prOf(promote.Branch(a.name, "staging")); ok {
		t.Fatal("a PR was opened while the config was broken")
	}

	fixed, err := w.gh.Commit("main", "fix the typo", map[string][]byte{".stagehand.yaml": good})
	if err != nil {
		t.Fatal(err)
	}
	fixedAt := time.Now()
	landed := hlWait(t, w, fixedAt.Add(hlHealDeadline), "the waiting push merged into staging after the fix", func() (bool, string) {
		pr, m, ok := w.hlMarker(a.name, "staging")
		return ok && pr.Merged && m.Digest == d, fmt.Sprintf("%+v", m)
	})
	t.Logf("the waiting push landed %s after the commit fixing the config", landed.Sub(fixedAt).Round(time.Millisecond))
	w.eventually(t, "a successful stagehand/config check run on the fixing commit", func() (bool, string) {
		run, ok := hlConfigCheck(w, fixed)
		return ok && run.Conclusion == "success", fmt.Sprintf("%+v", run)
	})

	// Nothing was given up on for good.
	w.stop(t)
	hlNoFailures(t, w.database)
}

// hlProblemRE reads a problem as `stagehand validate` prints it.
var hlProblemRE = regexp.MustCompile(`^([^:\s]+):(\d+):\d+: (.+)$`)

// hlValidate is what `stagehand validate` prints as errors for a checkout
// of ref, without the "error: " prefix.
func hlValidate(t *testing.T, w *e2eWorld, ref string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := w.gh.Checkout(ref, dir); err != nil {
		t.Fatal(err)
	}
	var out, errOut e2eBuffer
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
func hlConfigCheck(w *e2eWorld, sha string) (githubfake.CheckRun, bool) {
	runs := w.gh.CheckRuns(sha)
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
func hlWait(t *testing.T, w *e2eWorld, deadline time.Time, what string, cond func() (bool, string)) time.Time {
	t.Helper()
	for {
		ok, saw := cond()
		if ok {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so at the deadline; last saw: %s\nserver log:\n%s", what, saw, w.stderr)
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
	hlDatabases(t, hlFaults)
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

func hlFaults(t *testing.T, database string) {
	w := e2eStart(t, e2eOptions{database: database})
	apps := w.apps[:10]
	faults := &hlFaultLog{outage: 4} // githubapp's retryTransport tries a call 4 times
	kinds := []githubfake.Fault{githubfake.Fault500, githubfake.Fault502, githubfake.FaultSecondaryLimit, githubfake.FaultLostResponse}
	w.gh.SetFaults(faults.wrap(githubfake.RandomFaults(uint64(time.Now().UnixNano()), 0.2, kinds)))

	type push struct {
		app     e2eApp
		digest  string
		sent    time.Time
		landed  time.Time
		latency time.Duration
	}
	pushes := make([]*push, len(apps))
	for i, a := range apps {
		pushes[i] = &push{app: a, digest: w.hlPush(t, a, "1.1.0", time.Time{}), sent: time.Now()}
	}
	landed := func() (int, string) {
		n := 0
		var waiting []string
		for _, p := range pushes {
			if p.landed.IsZero() {
				if pr, m, ok := w.hlMarker(p.app.name, "staging"); ok && pr.Merged && m.Digest == p.digest && m.Tag == "1.1.0" {
					p.landed = time.Now()
					p.latency = p.landed.Sub(p.sent)
				}
			}
			if p.landed.IsZero() {
				waiting = append(waiting, p.app.name)
			} else {
				n++
			}
		}
		return n, "waiting: " + strings.Join(waiting, ", ")
	}
	// The faults last while the work goes on: until every push landed
	// despite them, or GitHub has failed stagehand 30 times.
	w.eventually(t, "the work under faults", func() (bool, string) {
		n, saw := landed()
		_, injected := faults.get()
		return n == len(pushes) || injected >= 30, fmt.Sprintf("%d faults; %s", injected, saw)
	})
	w.gh.StopFaults()
	last, injected := faults.get()
	t.Logf("faults stopped after %d injected: %v", injected, w.gh.FaultCounts())
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
	w.eventually(t, "every preprod PR opened and the queue drained", func() (bool, string) {
		var waiting []string
		for _, p := range pushes {
			if pr, m, ok := w.hlMarker(p.app.name, "preprod"); !ok || pr.State != "open" || m.Digest != p.digest {
				waiting = append(waiting, p.app.name)
			}
		}
		depth := w.metrics(t)["stagehand_queue_depth"]
		return len(waiting) == 0 && depth == 0, fmt.Sprintf("preprod waiting: %v; depth %v", waiting, depth)
	})
	heads := map[string]int{}
	for _, pr := range w.gh.PullRequests() {
		heads[pr.Head]++
	}
	want := []string{"main"}
	for _, p := range pushes {
		for _, stage := range []string{"staging", "preprod"} {
			if n := heads[promote.Branch(p.app.name, stage)]; n != 1 {
				t.Errorf("%s: %d PRs from %s, want 1", p.app.name, n, promote.Branch(p.app.name, stage))
			}
		}
		want = append(want, promote.Branch(p.app.name, "preprod"))
	}
	if len(heads) != 2*len(pushes) {
		t.Errorf("PRs from %d branches, want %d: %v", len(heads), 2*len(pushes), heads)
	}
	slices.Sort(want)
	w.eventually(t, "merged branches removed", func() (bool, string) {
		got := w.gh.Branches()
		return slices.Equal(got, want), fmt.Sprintf("branches %v, want %v", got, want)
	})

	// Every delivery GitHub made was acknowledged (the test's own were
	// checked as they were sent).
	ctx, cancel := context.WithTimeout(context.Background(), e2eDeadline)
	defer cancel()
	if err := w.gh.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range w.gh.Deliveries() {
		if d.Status != http.StatusAccepted {
			t.Errorf("GitHub's %s delivery %s: %d %s", d.Event, d.GUID, d.Status, d.Err)
		}
	}

	// A failed try is counted as failed and retried; nothing was refused.
	counted := hlPromotions(w.metrics(t))
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
		for _, act := range w.hlHistory(t, p.app.name).Actions {
			if act.Result == "refused" || act.Result == "failed" {
				t.Errorf("%s: the audit log says %+v", p.app.name, act)
			}
		}
	}
	w.stop(t)
	hlNoFailures(t, w.database)
}
