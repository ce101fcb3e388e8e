package main

// stagehand at scale, against GitHub's secondary rate limits.

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// TestHundredAppBurstMeetsNoSecondaryLimit: 100 apps pushed at once end
// merged into staging and proposed for preprod, at GitHub's own pace: the
// stand-in enforces GitHub's documented secondary limits (100 requests in
// flight, 80 content-generating requests a minute and 500 an hour, 900
// points per endpoint a minute), its minute made 100 ms so that the test
// takes seconds, and stagehand paced to the same limits meets none of
// them.
func TestHundredAppBurstMeetsNoSecondaryLimit(t *testing.T) {
	w, took := scaleBurst(t, nil)
	refused, content, busiest := scaleStats(w)
	t.Logf("100 apps merged in %s (%.0f scaled minutes): %d content-generating requests, at most %d in one minute; secondary-limit answers: %v",
		took.Round(10*time.Millisecond), float64(took)/float64(scaleMinute), content, busiest, w.gh.SecondaryStats().Refused)
	if refused != 0 {
		t.Errorf("stagehand met GitHub's secondary limits %d times", refused)
	}
	crashCheckHistory(t, w, 1)
}

// TestHundredAppBurstGrouped is the burst above with the apps released
// together: as one group of 100, and as four groups of 25. Each group ends
// with one PR per stage (staging merged, preprod open) that moves all its
// apps with the digests the registry has, and stagehand meets none of
// GitHub's secondary limits.
func TestHundredAppBurstGrouped(t *testing.T) {
	for _, groups := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d groups", groups), func(t *testing.T) {
			seed, members := seedGroups(t, groups)
			w, took := scaleBurst(t, seed)
			refused, content, busiest := scaleStats(w)
			prs := 0
			for _, pr := range w.gh.PullRequests() {
				if strings.HasPrefix(pr.Head, "stagehand/") {
					prs++
				}
			}
			t.Logf("100 apps in %d groups merged into staging and proposed for preprod in %s: %d PRs, %d content-generating requests, at most %d in one minute; secondary-limit answers: %v",
				groups, took.Round(10*time.Millisecond), prs, content, busiest, w.gh.SecondaryStats().Refused)
			if refused != 0 {
				t.Errorf("stagehand met GitHub's secondary limits %d times", refused)
			}
			if prs != 2*groups {
				t.Errorf("%d stagehand PRs, want one per group and stage (%d)", prs, 2*groups)
			}
			for g, apps := range members {
				grBurstCheck(t, w, g, "staging", apps)
				grBurstCheck(t, w, g, "preprod", apps)
			}
		})
	}
}

// seedGroups returns a seed that groups the scaleApps apps into n groups
// (app i in group i mod n), and the groups' members.
func seedGroups(tb testing.TB, n int) (seed func(dir string), members map[string][]string) {
	members = map[string][]string{}
	var yaml strings.Builder
	yaml.WriteString("groups:\n")
	for g := range n {
		name := fmt.Sprintf("release%d", g)
		for i := g; i < scaleApps; i += n {
			members[name] = append(members[name], fmt.Sprintf("app%d", i))
		}
		fmt.Fprintf(&yaml, "  - name: %s\n    apps: [%s]\n", name, strings.Join(members[name], ", "))
	}
	return func(dir string) {
		cfg := filepath.Join(dir, ".stagehand.yaml")
		data, err := os.ReadFile(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(cfg, append(data, yaml.String()...), 0o644); err != nil {
			tb.Fatal(err)
		}
	}, members
}

const (
	scaleApps   = 100
	scaleMinute = 100 * time.Millisecond // GitHub's minute, scaled
)

// scaleBurst starts serve on a world of scaleApps apps whose stand-in
// enforces GitHub's secondary limits (seed, when set, changes the config
// repository first), delivers a push of every app at once, and waits until
// every app is merged into staging and the queue is empty; it returns the
// world and how long that took.
func scaleBurst(t *testing.T, seed func(dir string)) (*crashWorld, time.Duration) {
	t.Helper()
	w := newCrashWorldWith(t, scaleApps, false, func(o *githubfake.Options) {
		o.SecondaryLimits = &githubfake.SecondaryLimits{Window: scaleMinute}
		if seed != nil {
			seed(o.Seed)
		}
	})
	w.pace = fmt.Sprintf("80/%s,500/%s", scaleMinute, 60*scaleMinute)
	w.pushAll(t, 1)
	c := crashStart(t, w, filepath.Join(t.TempDir(), "queue.db"), crashLogFile(t))
	client := &http.Client{Timeout: 10 * time.Second}

	start := time.Now()
	var wg sync.WaitGroup
	for _, app := range w.apps {
		wg.Go(func() {
			if err := crashDeliver(client, c.addr, crashGenericBody(crashImage(app), crashTag(1), "")); err != nil {
				t.Errorf("%s: %v", app, err)
			}
		})
	}
	wg.Wait()
	newest := map[string]int{}
	for _, app := range w.apps {
		newest[app] = 1
	}
	crashEventually(t, 3*time.Minute, "every app merged into staging", func() string {
		return crashSettled(client, c.metrics, w, newest, 0)
	})
	return w, time.Since(start)
}

// scaleStats is what the stand-in counted: secondary-limit answers, and
// content-generating requests in all and in the busiest minute.
func scaleStats(w *crashWorld) (refused, content, busiest int) {
	stats := w.gh.SecondaryStats()
	for _, n := range stats.Refused {
		refused += n
	}
	for _, n := range stats.ContentAccepted {
		content += n
		busiest = max(busiest, n)
	}
	return refused, content, busiest
}

// grBurstCheck checks group g's one PR into stage: staging's merged and
// preprod's open, moving every app of the group to tag 1.0.1 with the
// registry's digest.
func grBurstCheck(t *testing.T, w *crashWorld, g, stage string, apps []string) {
	t.Helper()
	var found []githubfake.PullRequest
	for _, pr := range w.gh.PullRequests() {
		if pr.Head == promote.Branch(g, stage) {
			found = append(found, pr)
		}
	}
	if len(found) != 1 {
		t.Errorf("%d PRs of %s into %s, want one", len(found), g, stage)
		return
	}
	pr := found[0]
	if merged := stage == "staging"; pr.Merged != merged || (!merged && pr.State != "open") {
		t.Errorf("%s's PR #%d into %s: merged %v, %s", g, pr.Number, stage, pr.Merged, pr.State)
	}
	m, ok, err := promote.ParseMarker(pr.Body)
	if err != nil || !ok || m.Group != g || len(m.Apps) != len(apps) {
		t.Errorf("%s's PR #%d into %s moves %d apps (%v %v), want %d", g, pr.Number, stage, len(m.Apps), ok, err, len(apps))
		return
	}
	for i, a := range m.Apps {
		if a.App != apps[i] || a.Tag != crashTag(1) || a.Digest != w.digests[a.App][crashTag(1)] {
			t.Errorf("%s's PR #%d into %s moves %s %s@%s, want %s with the registry's digest", g, pr.Number, stage, a.App, a.Tag, a.Digest, apps[i])
		}
	}
}
