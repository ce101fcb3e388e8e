package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/pgtest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// benchDatabases are the queue databases the benchmarks run on: SQLite
// always, PostgreSQL when STAGEHAND_TEST_DATABASE_URL names one (skipped otherwise).
var benchDatabases = []struct {
	name string
	url  func(b *testing.B) string
}{
	{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "queue.db") }},
	{"postgres", func(b *testing.B) string { return pgtest.Schema(b) }},
}

// BenchmarkWebhookAccept measures how many signed generic deliveries
// `stagehand serve` accepts per second, each made durable before its 202,
// from 8, 32 and 64 concurrent senders, and how long a sender waits for the
// 202. The pushes name the apps' images (a push of an image no app uses is
// ignored at the door, which would measure nothing) with tags their policy
// declines, so each becomes work that the workers behind finish without
// calling GitHub: the figure is acceptance, not GitHub's pace.
func BenchmarkWebhookAccept(b *testing.B) {
	for _, db := range benchDatabases {
		for _, senders := range []int{8, 32, 64} {
			b.Run(fmt.Sprintf("%s/senders=%d", db.name, senders), func(b *testing.B) {
				url := db.url(b)
				w := newCrashWorld(b, 8, false)
				addr := benchServe(b, w, url)
				client := benchClient()
				var (
					seq       atomic.Int64
					mu        sync.Mutex
					latencies []time.Duration
				)
				b.SetParallelism(max(1, senders/runtime.GOMAXPROCS(0)))
				b.ResetTimer()
				start, cpu0 := time.Now(), processCPU(b)
				b.RunParallel(func(pb *testing.PB) {
					var mine []time.Duration
					for pb.Next() {
						n := seq.Add(1)
						body := crashGenericBody(crashImage(fmt.Sprintf("app%d", n%8)), fmt.Sprintf("0.1.%d", n), "")
						t0 := time.Now()
						if err := crashDeliver(client, addr, body); err != nil {
							b.Error(err)
							return
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					latencies = append(latencies, mine...)
					mu.Unlock()
				})
				elapsed, cpu := time.Since(start), processCPU(b)-cpu0
				b.StopTimer()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
				// CPU time per delivery, the server's and the senders' (one
				// process): what bounds deliveries/s on a machine's cores,
				// and steadier than it when the machine is busy otherwise.
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/delivery")
				benchReportPercentiles(b, latencies)
			})
		}
	}
}

// BenchmarkPushCriticalPath counts the round trips to GitHub and the
// registry a push waits for, one after another, on its way to a merged
// staging PR: each answer of the stand-ins takes 10 ms longer, as over a
// network, so that requests made side by side overlap and count once.
// rounds/op is that critical path, with the work that follows the merge
// (the deployment, the branch's removal, the next stage's PR, until it
// proposes the image); rounds-to-merge/op stops at the merge; requests/op
// counts every request. With -v it lists the last push's requests by round.
func BenchmarkPushCriticalPath(b *testing.B) {
	for _, checks := range []bool{false, true} {
		b.Run(fmt.Sprintf("required-checks=%t", checks), func(b *testing.B) { benchCriticalPath(b, checks) })
	}
}

// benchCriticalPath is BenchmarkPushCriticalPath; with checks, the
// benchmark plays CI as BenchmarkPushToPR does, once the push's job found
// the checks pending, and rounds-after-ci/op counts the rounds from the
// status event to the merge.
func benchCriticalPath(b *testing.B, checks bool) {
	w := newCrashWorld(b, 1, false)
	app := w.apps[0]
	if checks {
		w.gh.SetRequiredChecks("main", "ci")
	}
	addr := benchServe(b, w, filepath.Join(b.TempDir(), "queue.db"))
	client := benchClient()
	rounds, requests, toMerge, afterChecks := 0, 0, 0, 0
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		tag := crashTag(i + 1)
		digest, err := w.push(app, tag)
		if err != nil {
			b.Fatal(err)
		}
		w.busy.latency.Store(int64(10 * time.Millisecond))
		b.StartTimer()
		t0 := time.Now()
		if err := crashDeliver(client, addr, crashGenericBody(crashImage(app), tag, digest)); err != nil {
			b.Fatal(err)
		}
		var tc time.Time
		if checks {
			// CI reports once the push's job found the checks pending, as
			// a real CI, slower than a push's job, does.
			pr := benchWaitPR(b, w.gh, app, tag, false)
			for !w.busy.served("/commits/" + pr.HeadSHA + "/status") {
				time.Sleep(time.Millisecond)
			}
			w.gh.SetStatus(pr.HeadSHA, "ci", "success")
			tc = time.Now()
			if err := benchStatusEvent(client, addr, w.gh.Owner()+"/"+w.gh.Repo(), pr.Head, pr.HeadSHA, i); err != nil {
				b.Fatal(err)
			}
		}
		benchWaitPR(b, w.gh, app, tag, true)
		t1 := time.Now()
		if checks {
			c, _ := w.busy.rounds(tc, t1)
			afterChecks += c
		}
		b.StopTimer()
		// What follows the merge (the deployment, the branch's removal,
		// the chain to preprod's PR) is counted at the same latency, until
		// preprod's PR proposes the image and the last answers are in.
		benchWaitPR(b, w.gh, app, tag, false)
		time.Sleep(50 * time.Millisecond)
		t2 := time.Now()
		w.busy.latency.Store(0)
		r, n := w.busy.rounds(t0, t2)
		m, _ := w.busy.rounds(t0, t1)
		if i == b.N-1 && testing.Verbose() {
			b.Log("the last push's requests, numbered by round:\n" + w.busy.listing(t0, t2))
		}
		rounds, requests, toMerge = rounds+r, requests+n, toMerge+m
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(rounds)/float64(b.N), "rounds/op")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(toMerge)/float64(b.N), "rounds-to-merge/op")
	if checks {
		b.ReportMetric(float64(afterChecks)/float64(b.N), "rounds-after-ci/op")
	}
}

// BenchmarkPushToPR measures push-to-merge latency: from the registry's
// delivery to stagehand until the staging PR for the pushed tag is merged
// on GitHub. With required checks on, the benchmark plays CI: as soon as
// the PR is open it reports success and sends GitHub's status event.
func BenchmarkPushToPR(b *testing.B) {
	for _, db := range benchDatabases {
		for _, checks := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/required-checks=%t", db.name, checks), func(b *testing.B) {
				url := db.url(b)
				w := newCrashWorld(b, 1, false)
				app := w.apps[0]
				if checks {
					w.gh.SetRequiredChecks("main", "ci")
				}
				addr := benchServe(b, w, url)
				client := benchClient()
				samples := make([]time.Duration, 0, b.N)
				var own []time.Duration // samples less the stand-ins' time
				var calls int
				b.ResetTimer()
				for i := range b.N {
					b.StopTimer()
					tag := crashTag(i + 1)
					digest, err := w.push(app, tag)
					if err != nil {
						b.Fatal(err)
					}
					before := benchCalls(w.gh)
					b.StartTimer()

					t0 := time.Now()
					if err := crashDeliver(client, addr, crashGenericBody(crashImage(app), tag, digest)); err != nil {
						b.Fatal(err)
					}
					if checks {
						pr := benchWaitPR(b, w.gh, app, tag, false)
						w.gh.SetStatus(pr.HeadSHA, "ci", "success")
						if err := benchStatusEvent(client, addr, w.gh.Owner()+"/"+w.gh.Repo(), pr.Head, pr.HeadSHA, i); err != nil {
							b.Fatal(err)
						}
					}
					benchWaitPR(b, w.gh, app, tag, true)
					t1 := time.Now()
					samples = append(samples, t1.Sub(t0))
					own = append(own, t1.Sub(t0)-w.busy.busy(t0, t1))
					calls += benchCalls(w.gh) - before
				}
				b.StopTimer()
				benchReportPercentiles(b, samples)
				slices.Sort(own)
				b.ReportMetric(float64(own[len(own)/2].Microseconds())/1000, "own-p50-ms")
				b.ReportMetric(float64(own[len(own)*99/100].Microseconds())/1000, "own-p99-ms")
				b.ReportMetric(float64(calls)/float64(b.N), "github-calls/op")
			})
		}
	}
}

// benchServe runs `stagehand serve` in this process until the benchmark
// ends and returns the address it listens on.
func benchServe(b *testing.B, w *crashWorld, db string) string {
	b.Helper()
	return serveInProcess(b, w.serveArgs(db), &benchTail{})
}

// serveInProcess runs `stagehand <args>` in this process until the test
// ends (a non-zero exit then fails it) and returns the address it listens
// on; logs keeps what it logged, for the failure messages.
func serveInProcess(tb testing.TB, args []string, logs interface {
	io.Writer
	fmt.Stringer
}) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	exited := make(chan int, 1)
	go func() {
		code := run(ctx, args, outW, logs)
		outW.Close()
		exited <- code
	}()
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(outR)
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), "stagehand listening on "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		tb.Cleanup(func() {
			cancel()
			if code := <-exited; code != 0 {
				tb.Errorf("stagehand serve exited %d:\n%s", code, logs)
			}
		})
		return a
	case code := <-exited:
		cancel()
		tb.Fatalf("stagehand serve exited %d before listening:\n%s", code, logs)
	case <-time.After(30 * time.Second):
		cancel()
		tb.Fatalf("stagehand serve did not listen within 30s:\n%s", logs)
	}
	return ""
}

// processCPU is the CPU time this process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}
}

// benchWaitPR polls the stand-in until app's staging PR for tag is open
// (merged false) or merged, and returns it.
func benchWaitPR(b *testing.B, gh *githubfake.Server, app, tag string, merged bool) githubfake.PullRequest {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		prs := gh.PullRequests()
		for _, pr := range slices.Backward(prs) {
			m, ok, _ := promote.ParseMarker(pr.Body)
			if !ok || m.App != app || m.Tag != tag {
				continue
			}
			if (merged && pr.Merged) || (!merged && pr.State == "open") {
				return pr
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s's staging PR for %s not merged=%t within 30s", app, tag, merged)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// benchStatusEvent sends GitHub's status event for a successful "ci"
// status on sha, whose branch is branch, in repository repo (owner/name).
func benchStatusEvent(client *http.Client, addr, repo, branch, sha string, n int) error {
	body, err := json.Marshal(map[string]any{
		"id": n + 1, "sha": sha, "state": "success", "context": "ci", "repository": map[string]string{"full_name": repo},
		"branches": []map[string]any{{"name": branch, "commit": map[string]string{"sha": sha}}},
	})
	if err != nil {
		return err
	}
	if err := crashPost(client, addr, e2e.GitHub("status", fmt.Sprintf("bench-status-%d-%s", n, sha), body)); err != nil {
		return fmt.Errorf("status event: %w", err)
	}
	return nil
}

func benchCalls(gh *githubfake.Server) int {
	n := 0
	for _, c := range gh.Calls() {
		n += c
	}
	return n
}

// benchReportPercentiles reports the median and 99th percentile in ms.
func benchReportPercentiles(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	at := func(p float64) float64 {
		i := min(len(samples)-1, int(p*float64(len(samples))))
		return float64(samples[i].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// benchTail keeps the last 16 KB of stagehand's log, to show on failure.
type benchTail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *benchTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 16<<10; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *benchTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// busyClock keeps when the stand-ins (GitHub, the registry) were answering
// a request, so that what is left of a push's time is stagehand's own.
// With a latency, each answer takes that much longer, as over a network:
// requests made side by side then overlap, and rounds counts the ones
// that waited for each other.
type busyClock struct {
	mu      sync.Mutex
	spans   [][2]time.Time
	names   []string     // method and path of each span, for the listing
	latency atomic.Int64 // nanoseconds added to every answer
}

func (c *busyClock) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		time.Sleep(time.Duration(c.latency.Load()))
		h.ServeHTTP(w, r)
		c.mu.Lock()
		c.spans = append(c.spans, [2]time.Time{start, time.Now()})
		c.names = append(c.names, r.Method+" "+r.URL.Path)
		c.mu.Unlock()
	})
}

// busy is how long, between from and to, at least one stand-in was
// answering: the union of their spans.
func (c *busyClock) busy(from, to time.Time) time.Duration {
	c.mu.Lock()
	spans := slices.Clone(c.spans)
	c.mu.Unlock()
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var total time.Duration
	var end time.Time
	for _, s := range spans {
		a, b := maxTime(s[0], from, end), minTime(s[1], to)
		if b.After(a) {
			total += b.Sub(a)
		}
		end = maxTime(end, s[1])
	}
	return total
}

// rounds counts the round trips between from and to that one waited for
// another: the spans, with those that overlap counted as one.
func (c *busyClock) rounds(from, to time.Time) (rounds, requests int) {
	c.mu.Lock()
	spans := slices.Clone(c.spans)
	c.mu.Unlock()
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var end time.Time
	for _, s := range spans {
		if s[0].Before(from) || s[1].After(to) {
			continue
		}
		requests++
		if !s[0].Before(end) {
			rounds++
		}
		end = maxTime(end, s[1])
	}
	return rounds, requests
}

// served says whether a request whose path contains part was answered.
func (c *busyClock) served(part string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.names, func(n string) bool { return strings.Contains(n, part) })
}

// listing lists the requests between from and to in order of start,
// marking with "|" those that overlapped the one before (same round).
func (c *busyClock) listing(from, to time.Time) string {
	c.mu.Lock()
	type span struct {
		s, e time.Time
		name string
	}
	var spans []span
	for i, s := range c.spans {
		if !s[0].Before(from) && !s[1].After(to) {
			spans = append(spans, span{s[0], s[1], c.names[i]})
		}
	}
	c.mu.Unlock()
	slices.SortFunc(spans, func(a, b span) int { return a.s.Compare(b.s) })
	var out strings.Builder
	var end time.Time
	round := 0
	for _, s := range spans {
		mark := "|"
		if !s.s.Before(end) {
			round++
			mark = fmt.Sprint(round)
		}
		fmt.Fprintf(&out, "%3s %6.1f-%6.1f ms %s\n", mark, float64(s.s.Sub(from).Microseconds())/1000, float64(s.e.Sub(from).Microseconds())/1000, s.name)
		end = maxTime(end, s.e)
	}
	return out.String()
}

func maxTime(ts ...time.Time) time.Time {
	m := ts[0]
	for _, t := range ts[1:] {
		if t.After(m) {
			m = t
		}
	}
	return m
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
