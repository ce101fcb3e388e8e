package main

// Benchmarks of stagehand at scale, run on the product binary as a process
// of its own: memory, a burst of many apps against GitHub's secondary
// limits, and a burst of one image.

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// productBinary builds `stagehand` as `make build` does (once per test
// binary run), so that what is measured is what people deploy, not this
// test binary with the stand-ins linked in.
var productBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "stagehand-bench-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "stagehand")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// procMiB reads a memory figure of process pid from /proc, in MiB: VmRSS is
// what it holds now, VmHWM the most it ever held.
func procMiB(tb testing.TB, pid int, field string) float64 {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				tb.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// burst delivers tag 1.0.n of every app at once; each must be accepted.
func burst(tb testing.TB, w *crashWorld, addr string, n int) {
	tb.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for _, app := range w.apps {
		wg.Go(func() {
			if err := crashDeliver(client, addr, crashGenericBody(crashImage(app), crashTag(n), "")); err != nil {
				tb.Errorf("%s: %v", app, err)
			}
		})
	}
	wg.Wait()
}

// BenchmarkBurst100Apps: 100 apps pushed at once, against a stand-in that
// enforces GitHub's secondary limits with its minute made 100 ms, until
// every app is merged into staging and proposed for preprod: each app on
// its own, and the apps released together as one group of 100 and as four
// of 25. Reported: the time in scaled minutes and in seconds, the PRs, the
// content-generating requests and the secondary-limit answers met (GitHub's
// limits bound every design; zero is the goal), with the product binary's
// memory idle and at its peak.
func BenchmarkBurst100Apps(b *testing.B) {
	for _, groups := range []int{0, 1, 4} {
		name := "ungrouped"
		if groups > 0 {
			name = fmt.Sprintf("groups=%d", groups)
		}
		b.Run(name, func(b *testing.B) { benchBurst(b, groups) })
	}
}

func benchBurst(b *testing.B, groups int) {
	const minute = scaleMinute
	bin, err := productBinary()
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		w := newCrashWorldWith(b, scaleApps, false, func(o *githubfake.Options) {
			o.SecondaryLimits = &githubfake.SecondaryLimits{Window: minute}
			if groups > 0 {
				seed, _ := seedGroups(b, groups)
				seed(o.Seed)
			}
		})
		w.pace, w.bin = fmt.Sprintf("80/%s,500/%s", minute, 60*minute), bin
		w.pushAll(b, 1)
		c := crashStart(b, w, filepath.Join(b.TempDir(), "queue.db"), crashLogFile(b))
		time.Sleep(2 * time.Second) // idle: started, configuration read
		idle := procMiB(b, c.cmd.Process.Pid, "VmRSS")

		start := time.Now()
		burst(b, w, c.addr, 1)
		newest := map[string]int{}
		for _, app := range w.apps {
			newest[app] = 1
		}
		client := &http.Client{Timeout: 10 * time.Second}
		crashEventually(b, 5*time.Minute, "every app merged into staging", func() string {
			return crashSettled(client, c.metrics, w, newest, 0)
		})
		took := time.Since(start)
		peak := procMiB(b, c.cmd.Process.Pid, "VmHWM")

		limited, content, _ := scaleStats(w)
		b.ReportMetric(float64(took)/float64(minute), "github-minutes")
		b.ReportMetric(took.Seconds(), "seconds")
		b.ReportMetric(float64(len(w.gh.PullRequests())), "PRs")
		b.ReportMetric(float64(content), "content-requests")
		b.ReportMetric(float64(limited), "secondary-limited")
		b.ReportMetric(idle, "idle-MiB")
		b.ReportMetric(peak, "peak-MiB")
		c.kill()
	}
}

// BenchmarkOneImage50PushesIn1s: 50 tags of one image notified within a
// second, in order of push, each as it is pushed, as a busy CI would. One
// living PR for the stage, as few commits as the pushes allow, and the
// newest tag at the end.
func BenchmarkOneImage50PushesIn1s(b *testing.B) {
	for range b.N {
		w := newCrashWorld(b, 1, false)
		app := w.apps[0]
		w.pushAll(b, 50)
		c := crashStart(b, w, filepath.Join(b.TempDir(), "queue.db"), crashLogFile(b))
		client := &http.Client{Timeout: 10 * time.Second}
		w.gh.ResetCalls()
		start := time.Now()
		for n := 1; n <= 50; n++ {
			if err := crashDeliver(client, c.addr, crashGenericBody(crashImage(app), crashTag(n), "")); err != nil {
				b.Fatal(err)
			}
			time.Sleep(time.Until(start.Add(time.Duration(n) * 20 * time.Millisecond)))
		}
		crashEventually(b, time.Minute, "the app on 1.0.50", func() string {
			return crashSettled(client, c.metrics, w, map[string]int{app: 50}, 0)
		})
		data, err := w.gh.FileAt("main", crashOverlay(app))
		if err != nil {
			b.Fatal(err)
		}
		final, err := manifest.Current(crashOverlay(app), data, crashImage(app))
		if err != nil {
			b.Fatal(err)
		}
		finalPatch, _ := strconv.Atoi(strings.TrimPrefix(final.Tag, "1.0."))
		staging := 0
		for _, pr := range w.gh.PullRequests() {
			if pr.Head == "stagehand/"+app+"/staging" {
				staging++
			}
		}
		b.ReportMetric(float64(staging), "staging-PRs")
		b.ReportMetric(float64(w.gh.Calls()["git/create-commit"]), "commits")
		b.ReportMetric(float64(finalPatch), "final-patch")
		c.kill()
	}
}
