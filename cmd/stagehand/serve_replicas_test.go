package main

// Two `stagehand serve` processes on one PostgreSQL database.

import (
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/pgtest"
)

// TestTwoReplicasShareTheWorkAndSurviveEachOther runs two replicas of
// stagehand serve on one PostgreSQL database, as the ha deployment does.
// 50 pushes over 10 apps, sent at once in random order to either replica,
// end with every app on its newest tag, nothing lost, no PR or commit made
// twice, and work done by both. Then one replica is killed (SIGKILL) in the
// middle of a second burst: the other finishes everything, within 30
// seconds of the kill.
func TestTwoReplicasShareTheWorkAndSurviveEachOther(t *testing.T) {
	db := pgtest.Schema(t)
	const apps, perBurst = 10, 5 // 1.0.1 … 1.0.5, then 1.0.6 … 1.0.10
	w := newCrashWorld(t, apps, true)
	w.pushAll(t, 2*perBurst)
	logs := []*os.File{crashLogFile(t), crashLogFile(t)}
	replicas := []*crashChild{crashStart(t, w, db, logs[0]), crashStart(t, w, db, logs[1])}
	client := &http.Client{Timeout: 10 * time.Second}

	// burst sends tags from…to of every app at once, in random order, each
	// to a random replica (the other when that one is down), until each is
	// accepted; kill, when set, runs once half of them are.
	burst := func(from, to int, kill func()) {
		t.Helper()
		type push struct{ app, tag string }
		var pushes []push
		for _, app := range w.apps {
			for n := from; n <= to; n++ {
				pushes = append(pushes, push{app, crashTag(n)})
			}
		}
		rand.Shuffle(len(pushes), func(i, j int) { pushes[i], pushes[j] = pushes[j], pushes[i] })
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			accepted int
			killOnce sync.Once
			failed   []string
		)
		for _, p := range pushes {
			wg.Go(func() {
				body := crashGenericBody(crashImage(p.app), p.tag, "")
				first := rand.IntN(2)
				deadline := time.Now().Add(30 * time.Second)
				for try := 0; ; try++ {
					if crashDeliver(client, replicas[(first+try)%2].addr, body) == nil {
						break
					}
					if time.Now().After(deadline) {
						mu.Lock()
						failed = append(failed, p.app+":"+p.tag)
						mu.Unlock()
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				mu.Lock()
				accepted++
				half := accepted == len(pushes)/2
				mu.Unlock()
				if half && kill != nil {
					killOnce.Do(kill)
				}
			})
		}
		wg.Wait()
		if len(failed) > 0 {
			t.Fatalf("never accepted by either replica: %s", strings.Join(failed, ", "))
		}
	}
	newest := func(n int) map[string]int {
		m := map[string]int{}
		for _, app := range w.apps {
			m[app] = n
		}
		return m
	}

	burst(1, perBurst, nil)
	crashEventually(t, 60*time.Second, "every app on 1.0.5", func() string {
		return crashSettled(client, replicas[0].metrics, w, newest(perBurst), 0)
	})
	var killed time.Time
	burst(perBurst+1, 2*perBurst, func() {
		replicas[0].kill()
		killed = time.Now()
	})
	crashEventually(t, 60*time.Second, "every app on 1.0.10, with the survivor alone", func() string {
		return crashSettled(client, replicas[1].metrics, w, newest(2*perBurst), 0)
	})
	took := time.Since(killed)
	t.Logf("the survivor finished %s after the kill", took.Round(100*time.Millisecond))
	if took > 30*time.Second {
		t.Errorf("the survivor needed %s after the kill; want within 30s", took.Round(time.Second))
	}
	crashCheckHistory(t, w, 2*perBurst)

	// Both replicas worked: each proposed some of it.
	for i, f := range logs {
		data, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), `"msg":"proposed"`); n == 0 {
			t.Errorf("replica %d proposed nothing: the work was not shared", i+1)
		} else {
			t.Logf("replica %d proposed %d times", i+1, n)
		}
	}
}
