package promote_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// calls splits the stand-in's request counts into opening and merging.
func calls(wd *demo.World) (open, merge int) {
	for op, n := range wd.GitHub.Calls() {
		switch {
		case authOps[op]:
		case mergeOps[op]:
			merge += n
		default:
			open += n
		}
	}
	return open, merge
}

// bigSeed is the sample config repository plus filler manifests, so that it
// holds about n files.
func bigSeed(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.CopyFS(dir, os.DirFS(seed)); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n-10; i++ {
		p := filepath.Join(dir, "apps", fmt.Sprintf("svc%03d", i/100), fmt.Sprintf("overlays/env%02d/kustomization.yaml", i%100))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, fmt.Appendf(nil, "resources:\n  - ../../base\nnamePrefix: env%02d-\n", i%100), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// unpaced is a GitHub client pace for the stand-in here, which enforces
// no secondary limits: paced as github.com is, a benchmark's hundreds of
// writes a minute would time the pacer, not the engine.
var unpaced = githubapp.Pace{Writes: []githubapp.Rate{{N: 1 << 30, Per: time.Minute}}}

func benchWorld(b *testing.B, files int) *demo.World {
	wd, err := demo.Start(context.Background(), demo.Options{Seed: bigSeed(b, files), Pace: unpaced})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(wd.Close)
	return wd
}

// BenchmarkPushToPR is one push of a new release becoming a staging PR
// that is merged at once (staging auto-merges, main requires no checks).
func BenchmarkPushToPR(b *testing.B) {
	for _, files := range []int{10, 20000} {
		b.Run(fmt.Sprintf("files=%d", files), func(b *testing.B) {
			wd := benchWorld(b, files)
			ctx := context.Background()
			wd.GitHub.ResetCalls()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tag := fmt.Sprintf("1.0.%d", i)
				if _, err := wd.Push(ctx, tag, false); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				outs, err := pushes(wd, demo.Image, tag)
				if err != nil || outs[0].Result != promote.Merged {
					b.Fatalf("push %s: %+v %v", tag, outs, err)
				}
			}
			open, merge := calls(wd)
			b.ReportMetric(float64(open)/float64(b.N), "calls-to-open/op")
			b.ReportMetric(float64(merge)/float64(b.N), "calls-to-merge/op")
		})
	}
}

// BenchmarkPromote is one promotion of what staging runs into preprod,
// opening its PR (a person merges it, untimed, before the next round, and
// its branch is deleted as stagehand does when it hears of the merge).
func BenchmarkPromote(b *testing.B) {
	for _, files := range []int{10, 20000} {
		b.Run(fmt.Sprintf("files=%d", files), func(b *testing.B) {
			wd := benchWorld(b, files)
			ctx := context.Background()
			var open, merge int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tag := fmt.Sprintf("1.0.%d", i)
				if _, err := wd.Push(ctx, tag, false); err != nil {
					b.Fatal(err)
				}
				if _, err := pushes(wd, demo.Image, tag); err != nil {
					b.Fatal(err)
				}
				wd.GitHub.ResetCalls()
				b.StartTimer()
				o, err := wd.Engine.Run(ctx, promote.Request{Kind: promote.Promote, Source: promote.FromCLI, App: "web", Stage: "preprod"})
				b.StopTimer()
				if err != nil || o.Result != promote.Opened {
					b.Fatalf("promote: %+v %v", o, err)
				}
				po, pm := calls(wd)
				open, merge = open+po, merge+pm
				if _, err := wd.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
					b.Fatal(err)
				}
				// As stagehand does when it hears of the merge.
				if err := wd.Engine.Closed(ctx, promote.Branch("web", "preprod")); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(open)/float64(b.N), "calls-to-open/op")
			b.ReportMetric(float64(merge)/float64(b.N), "calls-to-merge/op")
		})
	}
}

// BenchmarkGitHubCalls reports, per round, what opening a stage's PR for a
// push, updating it for a newer push, merging an auto-merge stage's PR
// together with the chain that opens the next stage's, and promoting into
// a manual stage cost in GitHub calls
// (TestCallBudget holds them to their budget): warm, in a process that has
// served requests before, and cold, each the first request after a
// restart, with what the restart itself costs. The calls of the last
// round are logged by operation, once.
func BenchmarkGitHubCalls(b *testing.B) {
	for _, cold := range []bool{false, true} {
		name := map[bool]string{false: "warm", true: "cold"}[cold]
		logged := false
		b.Run(name, func(b *testing.B) {
			pr := newCallWorld(b, "pull-request", false)
			am := newCallWorld(b, "auto-merge", false)
			pr.openUpdateRound(b, 0, false)
			am.mergeChainRound(b, 0, false)
			total := map[string]int{}
			last := map[string]apiCalls{}
			b.ResetTimer()
			for i := 1; i <= b.N; i++ {
				last["open"], last["update"] = pr.openUpdateRound(b, i, cold)
				last["merge+chain"] = am.mergeChainRound(b, i, cold)
				last["promote"] = am.promoteRound(b, cold)
				last["start"] = am.started
				for what, c := range last {
					total[what] += c.total()
				}
			}
			b.StopTimer()
			for _, what := range []string{"open", "update", "merge+chain", "promote", "start"} {
				if what == "start" && !cold {
					continue
				}
				b.ReportMetric(float64(total[what])/float64(b.N), "calls/"+what)
				if !logged {
					b.Logf("%s (%s): %v", what, name, last[what])
				}
			}
			logged = true
		})
	}
}
