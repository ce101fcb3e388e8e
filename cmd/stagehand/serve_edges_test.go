package main

// End-to-end tests of the real-world edges that lost pushes silently
// (issue 7), through a running `stagehand serve`: a real CNCF Distribution
// registry notifying it, a burst of deliveries arriving in any order, and
// GitHub events of other repositories. Everything unexported here starts
// with ed; the world is internal/testkit/e2e's.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/distribution"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// edRelay forwards requests to a URL set once it is known. A registry
// needs its notification URL when it starts, and serve, whose config names
// the registry's host, listens only after; the relay starts first. It
// records what serve answered to each notification.
type edRelay struct {
	srv    *httptest.Server
	client *http.Client

	mu     sync.Mutex
	target string
	got    []edAnswer
}

// edAnswer is one notification that went through the relay, and serve's
// answer to it.
type edAnswer struct {
	events []distribution.Event
	status int
	answer string
}

func edNewRelay(t *testing.T) *edRelay {
	t.Helper()
	r := &edRelay{client: &http.Client{Timeout: 30 * time.Second}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *edRelay) url() string { return r.srv.URL }

func (r *edRelay) to(base string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = base
}

func (r *edRelay) answers() []edAnswer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *edRelay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	target := r.target
	r.mu.Unlock()
	if target == "" {
		http.Error(w, "stagehand is not listening yet", http.StatusServiceUnavailable)
		return
	}
	// serve's answer is recorded even when the sender has hung up.
	out, err := http.NewRequestWithContext(context.WithoutCancel(req.Context()), req.Method, target+req.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out.Header = req.Header.Clone()
	var env struct {
		Events []distribution.Event `json:"events"`
	}
	_ = json.Unmarshal(body, &env)
	a := edAnswer{events: env.Events}
	resp, err := r.client.Do(out)
	if err != nil {
		a.status, a.answer = http.StatusBadGateway, err.Error()
	} else {
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a.status, a.answer = resp.StatusCode, strings.TrimSpace(string(answer))
	}
	r.mu.Lock()
	r.got = append(r.got, a)
	r.mu.Unlock()
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.answer)
}

// edPinned is what file pins for a's image at ref of the config repository.
func edPinned(t *testing.T, w *e2e.World, a e2e.App, ref, stage string) manifest.Pinned {
	t.Helper()
	file := path.Join("apps", a.Name, "overlays", stage, "kustomization.yaml")
	data, err := w.GitHub.FileAt(ref, file)
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := manifest.Current(file, data, a.Image)
	if err != nil {
		t.Fatal(err)
	}
	return pinned
}

// edMarker is what stagehand's PR says it proposes.
func edMarker(pr githubfake.PullRequest) promote.Marker {
	m, _, _ := promote.ParseMarker(pr.Body)
	return m
}

// edLanded waits until a's newest staging PR proposing tag@digest is
// merged, and checks that main pins exactly that.
func edLanded(t *testing.T, w *e2e.World, a e2e.App, tag, digest string) {
	t.Helper()
	branch := promote.Branch(a.Name, "staging")
	w.Eventually(t, fmt.Sprintf("%s:%s merged into staging", a.Name, tag), func() (bool, string) {
		pr, ok := w.PR(branch)
		m := edMarker(pr)
		return ok && pr.Merged && m.Tag == tag && m.Digest == digest,
			fmt.Sprintf("#%d %s merged=%v proposes %s@%s", pr.Number, pr.State, pr.Merged, m.Tag, m.Digest)
	})
	if p := edPinned(t, w, a, "main", "staging"); p.Tag != tag || p.Digest != digest {
		t.Errorf("%s: main pins %s@%s in staging, want %s@%s (the registry's digest)", a.Name, p.Tag, p.Digest, tag, digest)
	}
}

// edRegistryApp is an app whose image lives in a registry of the test's
// own, which names it by its address.
func edRegistryApp(host string) e2e.App {
	return e2e.App{Name: "registry", Source: "distribution", Image: host + "/acme/registry-app"}
}

// TestServeRealDistribution: the real CNCF Distribution registry notifies
// a running serve of every blob, manifest and pull, as it does for its
// users. Each tagged push ends as a merged staging PR pinning exactly the
// registry's digest; every other event is acknowledged and counted as
// ignored; nothing is refused, or Distribution would retry it for ever,
// with the pushes behind it waiting.
func TestServeRealDistribution(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, edRealDistribution)
}

func edRealDistribution(t *testing.T, database string) {
	ctx := t.Context()
	relay := edNewRelay(t)
	reg := distribution.NewTest(t,
		distribution.WithEndpoint(relay.url()+"/webhooks/registry/distribution"),
		distribution.WithHeader("Authorization", e2e.DistAuth))
	a := edRegistryApp(reg.Host())
	w := e2e.Start(t, e2e.Options{Run: run, Database: database, MoreApps: []e2e.MoreApp{{App: a}}, Insecure: []string{reg.Host()}})
	relay.to(w.Base)

	// The second push lands only if the registry's queue is not stuck
	// behind a notification of the first.
	for _, tag := range []string{"1.0.0", "1.1.0"} {
		p, err := reg.PushImage(ctx, a.RepoPath()+":"+tag)
		if err != nil {
			t.Fatal(err)
		}
		edLanded(t, w, a, tag, p.Digest.String())
	}

	// Every notification so far is answered and counted (serve counts
	// before it answers; the relay records after).
	var answers []edAnswer
	var counts map[string]int
	w.Eventually(t, "every notification answered and counted", func() (bool, string) {
		answers, counts = relay.answers(), e2e.DeliveryCounts(w.Metrics(t))
		n := 0
		for k, v := range counts {
			if strings.HasPrefix(k, "distribution ") {
				n += v
			}
		}
		return n == len(answers), fmt.Sprintf("%d answers, %d counted", len(answers), n)
	})
	var manifests, blobs, pulls, ignored int
	for _, a := range answers {
		tagged := slices.ContainsFunc(a.events, func(e distribution.Event) bool { return e.Action == "push" && e.Target.Tag != "" })
		switch {
		case a.status < 200 || a.status > 299:
			t.Errorf("notification of %s answered %d %q: Distribution retries it for ever", edEvents(a.events), a.status, a.answer)
		case tagged && a.answer != "accepted" && !strings.HasPrefix(a.answer, "duplicate"):
			t.Errorf("tagged push %s answered %q, want accepted", edEvents(a.events), a.answer)
		case !tagged && !strings.HasPrefix(a.answer, "ignored: distribution: "):
			t.Errorf("notification of %s answered %q, want ignored with the reason", edEvents(a.events), a.answer)
		}
		if !tagged {
			ignored++
		}
		for _, e := range a.events {
			switch {
			case e.Action == "pull":
				pulls++
			case e.Action == "push" && e.Target.Tag != "":
				manifests++
			case e.Action == "push":
				blobs++
			}
		}
	}
	if blobs == 0 || pulls == 0 || manifests < 2 {
		t.Errorf("Distribution notified %d blob pushes, %d pulls and %d tagged pushes; want some of each", blobs, pulls, manifests)
	}
	for k, v := range counts {
		source, outcome, _ := strings.Cut(k, " ")
		if source == "distribution" && !slices.Contains([]string{"accepted", "ignored", "duplicate"}, outcome) {
			t.Errorf("stagehand_deliveries_total: %s %d", k, v)
		}
	}
	if counts["distribution accepted"] != 2 || counts["distribution ignored"] != ignored {
		t.Errorf("stagehand_deliveries_total: %d accepted and %d ignored from Distribution, want 2 (one per tag pushed) and %d",
			counts["distribution accepted"], counts["distribution ignored"], ignored)
	}
}

// edEvents describes events for a failure message.
func edEvents(events []distribution.Event) string {
	var s []string
	for _, e := range events {
		s = append(s, fmt.Sprintf("%s %s %s:%s", e.Action, e.Target.MediaType, e.Target.Repository, e.Target.Tag))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// TestServeRealDistributionTagWrittenLate: Distribution notifies a manifest
// push before it points the tag at the manifest (here every time, and
// slowly, as on an object store); each push still ends pinned to the
// digest pushed. A new tag written long after its notification is not
// found at first, and its job is retried until it is; a tag pushed again
// still names the image before for a while, and stagehand asks again for
// about a second and a half before it believes the registry. (Written
// later than that, the tag pushed again is left to the periodic reconcile,
// which is off here.)
func TestServeRealDistributionTagWrittenLate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		delay time.Duration
		tags  []string
	}{
		{"new tags written 3s late", 3 * time.Second, []string{"1.0.0", "1.1.0"}},
		{"a tag pushed again, written 1s late", time.Second, []string{"1.0.0", "1.0.0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			relay := edNewRelay(t)
			reg := distribution.NewTest(t,
				distribution.WithEndpoint(relay.url()+"/webhooks/registry/distribution"),
				distribution.WithHeader("Authorization", e2e.DistAuth),
				distribution.WithTagDelay(tt.delay))
			a := edRegistryApp(reg.Host())
			w := e2e.Start(t, e2e.Options{Run: run, MoreApps: []e2e.MoreApp{{App: a}}, Insecure: []string{reg.Host()}})
			relay.to(w.Base)

			seen := map[string]bool{}
			for _, tag := range tt.tags {
				p, err := reg.PushImage(ctx, a.RepoPath()+":"+tag)
				if err != nil {
					t.Fatal(err)
				}
				if seen[p.Digest.String()] {
					t.Fatalf("%s pushed again has the digest of an image before", tag)
				}
				seen[p.Digest.String()] = true
				edLanded(t, w, a, tag, p.Digest.String())
			}
			for _, a := range relay.answers() {
				if a.status < 200 || a.status > 299 {
					t.Errorf("notification of %s answered %d %q", edEvents(a.events), a.status, a.answer)
				}
			}
		})
	}
}

// TestServeBurstInAnyOrder: twenty tags pushed, then their twenty
// notifications delivered at once in a random order, end as one staging PR
// proposing the highest version. For a pattern policy, where no version
// orders tags, the image built last wins, whatever order its notifications
// arrive in.
func TestServeBurstInAnyOrder(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, edBurst)
}

func edBurst(t *testing.T, database string) {
	pattern := e2e.MoreApp{
		App:  e2e.App{Name: "pattern", Source: "generic", Image: e2e.CIHost + "/acme/pattern-app"},
		Tags: `pattern: "^main-[0-9a-f]{7}$"`,
	}
	w := e2e.Start(t, e2e.Options{Run: run, Database: database, RequiredChecks: []string{"ci"}, MoreApps: []e2e.MoreApp{pattern}})

	// CI is slow: the staging PR waits for its check while the burst
	// arrives, so every notification meets the same PR.
	a := w.App("generic")
	const n = 20
	tags, digests := make([]string, n), map[string]string{}
	var ds []e2e.Delivery
	for i := range n {
		tags[i] = fmt.Sprintf("1.4.%d", i)
		digests[tags[i]] = w.Push(t, a, tags[i])
		ds = append(ds, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, a.Image, tags[i], digests[tags[i]])))
	}
	newest := tags[n-1]
	start := time.Now()
	answers := edSendAll(t, w, ds, rand.Perm(n))
	for i, got := range answers {
		if got != "202 accepted" {
			t.Errorf("%s: %s, want 202 accepted", tags[i], got)
		}
	}
	branch := promote.Branch(a.Name, "staging")
	w.Eventually(t, "the staging PR proposes "+newest, func() (bool, string) {
		pr, ok := w.PR(branch)
		m := edMarker(pr)
		return ok && m.Tag == newest && m.Digest == digests[newest], fmt.Sprintf("#%d proposes %s@%s", pr.Number, m.Tag, m.Digest)
	})
	t.Logf("the burst of %d settled on %s in %s", n, newest, time.Since(start).Round(time.Millisecond))
	w.Eventually(t, "the queue drained", func() (bool, string) {
		v := w.Metrics(t)["stagehand_queue_depth"]
		return v == 0, fmt.Sprintf("stagehand_queue_depth %v", v)
	})
	var staging []githubfake.PullRequest
	for _, pr := range w.GitHub.PullRequests() {
		if pr.Head == branch {
			staging = append(staging, pr)
		}
	}
	if len(staging) != 1 || staging[0].State != "open" {
		t.Fatalf("staging PRs %+v; want one, open, waiting for ci", staging)
	}
	pr := staging[0]
	if m := edMarker(pr); m.Tag != newest || m.Digest != digests[newest] {
		t.Errorf("PR #%d proposes %s@%s, want %s@%s", pr.Number, m.Tag, m.Digest, newest, digests[newest])
	}
	if p := edPinned(t, w, a, branch, "staging"); p.Tag != newest || p.Digest != digests[newest] {
		t.Errorf("branch %s pins %s@%s, want %s@%s", branch, p.Tag, p.Digest, newest, digests[newest])
	}
	edJobsWell(t, w)

	// CI passes: GitHub tells stagehand, which merges what the PR proposes.
	w.GitHub.SetStatus(pr.HeadSHA, "ci", "success")
	edLanded(t, w, a, newest, digests[newest])

	// No check is required any more: the pattern app's pushes merge as they
	// come. Three images built an hour apart, notified newest first, each
	// worked before the next arrives: a late notification of an older
	// image does not replace the newer one.
	w.GitHub.SetRequiredChecks("main")
	p := pattern.App
	built := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ptags := []string{"main-aaaaaaa", "main-bbbbbbb", "main-ccccccc"}
	pdigests := map[string]string{}
	for i, tag := range ptags {
		pdigests[tag] = w.PushBuilt(t, p, tag, built.Add(time.Duration(i)*time.Hour))
	}
	pushJobs := e2e.Series("stagehand_jobs_total", "kind", "push", "outcome", "ok")
	for _, i := range []int{2, 1, 0} {
		tag := ptags[i]
		before := w.Metrics(t)[pushJobs]
		code, answer := w.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, p.Image, tag, pdigests[tag])))
		if code != http.StatusAccepted || answer != "accepted" {
			t.Fatalf("%s: %d %q", tag, code, answer)
		}
		w.Eventually(t, tag+"'s push worked", func() (bool, string) {
			v := w.Metrics(t)[pushJobs]
			return v == before+1, fmt.Sprintf("%s %v, was %v", pushJobs, v, before)
		})
		if i == 2 {
			edLanded(t, w, p, tag, pdigests[tag])
		}
	}
	pbranch := promote.Branch(p.Name, "staging")
	w.Eventually(t, "nothing left to do", func() (bool, string) {
		v := w.Metrics(t)["stagehand_queue_depth"]
		_, err := w.GitHub.Head(pbranch)
		return v == 0 && err != nil, fmt.Sprintf("stagehand_queue_depth %v, branch %s: %v", v, pbranch, err)
	})
	last := ptags[2]
	if got := edPinned(t, w, p, "main", "staging"); got.Tag != last || got.Digest != pdigests[last] {
		t.Errorf("main pins %s@%s for the pattern app, want the image built last, %s@%s", got.Tag, got.Digest, last, pdigests[last])
	}
	for _, pr := range w.GitHub.PullRequests() {
		if m := edMarker(pr); pr.Head == pbranch && m.Tag != last {
			t.Errorf("PR #%d (%s, merged=%v) proposes %s, built before %s", pr.Number, pr.State, pr.Merged, m.Tag, last)
		}
	}
	edJobsWell(t, w)
}

// edSendAll posts every delivery at once, starting them in order, and
// returns each one's "status answer".
func edSendAll(t *testing.T, w *e2e.World, ds []e2e.Delivery, order []int) []string {
	t.Helper()
	out := make([]string, len(ds))
	var wg sync.WaitGroup
	for _, i := range order {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, w.Base+ds[i].Path, bytes.NewReader(ds[i].Body))
			if err != nil {
				out[i] = err.Error()
				return
			}
			req.Header = ds[i].Header.Clone()
			resp, err := w.Client.Do(req)
			if err != nil {
				out[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				out[i] = err.Error()
				return
			}
			out[i] = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		})
	}
	wg.Wait()
	return out
}

// edJobsWell checks that no job failed.
func edJobsWell(t *testing.T, w *e2e.World) {
	t.Helper()
	for series, v := range w.Metrics(t) {
		if strings.HasPrefix(series, "stagehand_jobs_total{") && !strings.Contains(series, `outcome="ok"`) {
			t.Errorf("a job did not go well: %s %v", series, v)
		}
	}
}

// edFrom is d as GitHub would deliver it for repository repo of
// installation: the App installed elsewhere too. It is signed afresh, with
// a new delivery id.
func edFrom(t *testing.T, d e2e.Delivery, repo string, installation int64) e2e.Delivery {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(d.Body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	r, ok := doc["repository"].(map[string]any)
	if !ok {
		t.Fatal("the delivery has no repository")
	}
	owner, name, _ := strings.Cut(repo, "/")
	r["full_name"], r["name"] = repo, name
	if o, ok := r["owner"].(map[string]any); ok {
		o["login"] = owner
	}
	doc["installation"] = map[string]any{"id": installation}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return e2e.GitHub(d.Header.Get("X-GitHub-Event"), e2e.GUID(), body)
}

// TestServeOtherRepositoriesIgnored: the App may be installed on other
// repositories, whose pull requests and comments may look like the config
// repository's (a copied stagehand PR, a "/promote" by an admin there).
// Their events are acknowledged and counted as ignored, and nothing
// happens in the config repository: the live branch stays, no comment is
// posted, no merge is recorded.
func TestServeOtherRepositoriesIgnored(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run, RequiredChecks: []string{"ci"}})
	a := w.App("generic")
	const admin = "release-admin"
	w.GitHub.SetPermission(admin, "admin")
	branch := promote.Branch(a.Name, "staging")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.Eventually(t, "the push worked", w.JobsDone(t, "push", 1))
	pr, ok := w.PR(branch)
	if !ok || pr.State != "open" {
		t.Fatalf("want the staging PR open, waiting for ci; got %+v", pr)
	}
	head, err := w.GitHub.Head(branch)
	if err != nil {
		t.Fatal(err)
	}

	// The same PR, merged, and a /promote on it, as another repository's
	// events: another repository of the same installation, and the config
	// repository's name under another installation.
	merged := pr
	merged.Merged, merged.State, merged.MergeSHA, merged.MergedBy = true, "closed", pr.HeadSHA, "octocat"
	closed := w.PRClosed(t, merged)
	comment := e2e.GitHub("issue_comment", e2e.GUID(), e2e.Edit(t, "github/issue_comment/created.payload.json", map[string]any{
		"action": "created", "issue.number": pr.Number, "issue.title": pr.Title, "issue.body": pr.Body,
		"issue.pull_request":         map[string]any{"url": w.GitHub.URL() + fmt.Sprintf("/repos/acme/config/pulls/%d", pr.Number)},
		"comment.body":               "/promote",
		"comment.user.login":         admin,
		"comment.author_association": "OWNER",
		"repository.full_name":       "acme/config", "installation": map[string]any{"id": w.GitHub.InstallationID()},
	}))
	// Quiet first: GitHub has delivered what the push did, and serve has
	// worked it.
	ctx, cancel := context.WithTimeout(context.Background(), e2e.Deadline)
	defer cancel()
	if err := w.GitHub.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "the queue drained", func() (bool, string) {
		v := w.Metrics(t)["stagehand_queue_depth"]
		return v == 0, fmt.Sprintf("stagehand_queue_depth %v", v)
	})
	if err := w.GitHub.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	before := w.Metrics(t)
	githubSent := len(w.GitHub.Deliveries())
	comments := len(w.GitHub.CommentsOn(pr.Number))
	others := []struct {
		name string
		d    e2e.Delivery
		why  string
	}{
		{"merged PR of another repository", edFrom(t, closed, "acme/config-fork", w.GitHub.InstallationID()), `event of "acme/config-fork", not of the config repository acme/config`},
		{"merged PR of another installation", edFrom(t, closed, "acme/config", w.GitHub.InstallationID()+1), fmt.Sprintf("event of installation %d, not of stagehand's %d", w.GitHub.InstallationID()+1, w.GitHub.InstallationID())},
		{"/promote in another repository", edFrom(t, comment, "acme/config-fork", w.GitHub.InstallationID()), `event of "acme/config-fork", not of the config repository acme/config`},
		{"/promote of another installation", edFrom(t, comment, "acme/config", w.GitHub.InstallationID()+1), fmt.Sprintf("event of installation %d, not of stagehand's %d", w.GitHub.InstallationID()+1, w.GitHub.InstallationID())},
	}
	for _, o := range others {
		if code, answer := w.Send(t, o.d); code != http.StatusAccepted || answer != "ignored: "+o.why {
			t.Errorf("%s: %d %q, want 202 ignored: %s", o.name, code, answer, o.why)
		}
	}
	ignored := e2e.Series("stagehand_deliveries_total", "outcome", "ignored", "source", "github")
	after := w.Metrics(t)
	if got := after[ignored] - before[ignored]; got != float64(len(others)) {
		t.Errorf("%s went up by %v, want %d", ignored, got, len(others))
	}
	for series, v := range after {
		if strings.HasPrefix(series, "stagehand_jobs_total{") && !strings.Contains(series, `kind="prune"`) && v != before[series] {
			t.Errorf("a job ran for another repository's event: %s %v, was %v", series, v, before[series])
		}
	}

	unchanged := func() {
		t.Helper()
		if now, err := w.GitHub.Head(branch); err != nil || now != head {
			t.Fatalf("branch %s moved from %s to %q (%v)", branch, head, now, err)
		}
		if now, _ := w.PR(branch); now.Number != pr.Number || now.State != "open" || now.Merged {
			t.Fatalf("PR #%d is now %s, merged=%v; want it open as it was", pr.Number, now.State, now.Merged)
		}
		if cs := w.GitHub.CommentsOn(pr.Number); len(cs) != comments {
			t.Fatalf("%d comment(s) on #%d, was %d: %+v", len(cs), pr.Number, comments, cs[comments:])
		}
		// GitHub sends an event for whatever happens in the repository.
		if n := len(w.GitHub.Deliveries()); n != githubSent {
			t.Fatalf("something happened in the config repository: GitHub delivered %d event(s) since", n-githubSent)
		}
	}
	for range 20 { // settle: anything set in motion would show by now
		unchanged()
		time.Sleep(25 * time.Millisecond)
	}
	resp, err := w.GetAPI("/api/v1/apps/" + a.Name + "/history")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h api.History
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("history: %d %v", resp.StatusCode, err)
	}
	if len(h.Merges) != 0 {
		t.Errorf("merges recorded: %+v", h.Merges)
	}

	// The same /promote, in the config repository, is answered: the ones
	// above were ignored for where they came from, not for what they said.
	if code, reply := w.Comment(t, pr.Number, admin, "/promote"); code != http.StatusAccepted || reply == "" {
		t.Errorf("/promote in the config repository: %d, reply %q", code, reply)
	}
}
