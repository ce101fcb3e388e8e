package main

import "fmt"

// rows are the figures of issue 13's table, with what it wants of them on
// the 2-core machine stagehand is measured on.
var rows = func() []row {
	var out []row
	add := func(what, bench, unit, want string) { out = append(out, row{what, bench, unit, want}) }
	for _, db := range []string{"sqlite", "postgres"} {
		want := map[string]string{"sqlite": "≥ 5,000", "postgres": "≥ 3,000"}[db]
		for _, s := range []int{8, 32, 64} {
			b := fmt.Sprintf("cmd/stagehand BenchmarkWebhookAccept/%s/senders=%d", db, s)
			what := fmt.Sprintf("accept through HTTP, %s, %d senders", db, s)
			add(what, b, "deliveries/s", want)
			p99 := ""
			if db == "sqlite" {
				p99 = "≤ 20"
			}
			add(what, b, "p50-ms", "")
			add(what, b, "p99-ms", p99)
			add(what, b, "cpu-µs/delivery", "")
		}
	}
	for _, db := range []string{"sqlite", "postgres"} {
		add("queue pickup after the 202, "+db, "internal/queue BenchmarkPickup/"+db, "p50-ms", "≤ 2")
		add("queue pickup after the 202, "+db, "internal/queue BenchmarkPickup/"+db, "p99-ms", "")
	}
	for _, db := range []string{"sqlite", "postgres"} {
		b := "cmd/stagehand BenchmarkPushToPR/" + db + "/required-checks=false"
		what := "push → merged PR, " + db
		add(what, b, "p50-ms", "")
		add(what, b, "p99-ms", "")
		add(what+", stagehand's own time", b, "own-p50-ms", "≤ 5")
		add(what+", stagehand's own time", b, "own-p99-ms", "≤ 20")
		add(what, b, "github-calls/op", "")
	}
	for _, checks := range []string{"false", "true"} {
		b := "cmd/stagehand BenchmarkPushCriticalPath/required-checks=" + checks
		what := "push → merged PR, round trips one after another, required checks " + checks
		add(what, b, "rounds-to-merge/op", "")
		add(what+", with the deployment and the chain", b, "rounds/op", "")
		if checks == "true" {
			add("CI's status → merged PR, round trips one after another", b, "rounds-after-ci/op", "")
		}
	}
	for _, temp := range []string{"warm", "cold"} {
		b := "internal/promote BenchmarkGitHubCalls/" + temp
		what := "GitHub calls, " + temp
		add(what, b, "calls/open", "≤ 8")
		add(what, b, "calls/update", "≤ 6")
		add(what, b, "calls/promote", "≤ 8")
		add(what, b, "calls/merge+chain", "≤ 12")
	}
	for _, g := range []struct{ name, prs, secs string }{{"ungrouped", "", ""}, {"groups=1", "= 2", "≤ 5"}, {"groups=4", "= 8", ""}} {
		b := "cmd/stagehand BenchmarkBurst100Apps/" + g.name
		what := "100-app burst, " + g.name
		add(what, b, "seconds", g.secs)
		add(what, b, "github-minutes", "")
		add(what, b, "PRs", g.prs)
		add(what, b, "content-requests", "")
		add(what, b, "secondary-limited", "= 0")
	}
	b := "cmd/stagehand BenchmarkOneImage50PushesIn1s"
	add("50 pushes of one image in 1 s", b, "staging-PRs", "")
	add("50 pushes of one image in 1 s", b, "commits", "")
	add("50 pushes of one image in 1 s", b, "final-patch", "= 50")
	add("product binary memory", "cmd/stagehand BenchmarkBurst100Apps/ungrouped", "idle-MiB", "≤ 30")
	add("product binary memory", "cmd/stagehand BenchmarkBurst100Apps/ungrouped", "peak-MiB", "")
	return out
}()
