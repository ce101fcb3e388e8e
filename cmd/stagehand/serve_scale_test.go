package main

// stagehand at scale, against GitHub's secondary rate limits.

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
)

// TestHundredAppBurstMeetsNoSecondaryLimit: 100 apps pushed at once end
// merged into staging and proposed for preprod, at GitHub's own pace: the
// stand-in enforces GitHub's documented secondary limits (100 requests in
// flight, 80 content-generating requests a minute and 500 an hour, 900
// points per endpoint a minute), its minute made 100 ms so that the test
// takes seconds, and stagehand paced to the same limits meets none of
// them.
func TestHundredAppBurstMeetsNoSecondaryLimit(t *testing.T) {
	const (
		apps   = 100
		minute = 100 * time.Millisecond // GitHub's minute, scaled
	)
	w := newCrashWorldWith(t, apps, false, func(o *githubfake.Options) {
		o.SecondaryLimits = &githubfake.SecondaryLimits{Window: minute}
	})
	w.pace = fmt.Sprintf("80/%s,500/%s", minute, 60*minute)
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
		return crashSettled(client, c.addr, w, newest, 0)
	})
	took := time.Since(start)

	stats := w.gh.SecondaryStats()
	refused := 0
	for _, n := range stats.Refused {
		refused += n
	}
	content, busiest := 0, 0
	for _, n := range stats.ContentAccepted {
		content += n
		busiest = max(busiest, n)
	}
	t.Logf("100 apps merged in %s (%.0f scaled minutes): %d content-generating requests, at most %d in one minute; secondary-limit answers: %v",
		took.Round(10*time.Millisecond), float64(took)/float64(minute), content, busiest, stats.Refused)
	if refused != 0 {
		t.Errorf("stagehand met GitHub's secondary limits %d times: %v", refused, stats.Refused)
	}
	crashCheckHistory(t, w, 1)
}
