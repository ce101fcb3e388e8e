package main

import (
	"strings"
	"testing"
)

// Lines as `go test -bench -count 3` printed them (this machine, two
// packages that both have a BenchmarkPushToPR).
const sample = `goos: linux
goarch: amd64
pkg: github.com/stagehand-dev/stagehand/cmd/stagehand
cpu: Oxide Virtual Turin-like Processor
BenchmarkWebhookAccept/sqlite/senders=64-2         	   20000	    970393 ns/op	       391.6 cpu-µs/delivery	      1031 deliveries/s	        39.10 p50-ms	       255.5 p99-ms
BenchmarkWebhookAccept/sqlite/senders=64-2         	   20000	    980842 ns/op	       405.4 cpu-µs/delivery	      1020 deliveries/s	        45.50 p50-ms	       265.1 p99-ms
BenchmarkWebhookAccept/sqlite/senders=64-2         	   20000	   1347916 ns/op	       481.1 cpu-µs/delivery	       741.9 deliveries/s	        75.77 p50-ms	       249.0 p99-ms
BenchmarkPushToPR/sqlite/required-checks=false-2   	     100	  120000 ns/op	 4.5 own-p50-ms
--- BENCH: BenchmarkGitHubCalls/warm
PASS
ok  	github.com/stagehand-dev/stagehand/cmd/stagehand	29.861s
pkg: github.com/stagehand-dev/stagehand/internal/promote
BenchmarkPushToPR-2   	     100	  29500 ns/op	 8.00 calls-to-open/op
BenchmarkGitHubCalls/warm-2   	       5	  1000 ns/op	 7.00 calls/open	 13.00 calls/merge+chain
`

func TestTableOfSample(t *testing.T) {
	r := results{}
	pkg := ""
	for _, line := range strings.Split(sample, "\n") {
		pkg = r.add(pkg, line)
	}
	if got := r["cmd/stagehand BenchmarkWebhookAccept/sqlite/senders=64"]["deliveries/s"]; len(got) != 3 {
		t.Fatalf("deliveries/s of 3 runs read as %v", got)
	}
	if got := r["internal/promote BenchmarkPushToPR"]["calls-to-open/op"]; len(got) != 1 || got[0] != 8 {
		t.Errorf("the promote package's BenchmarkPushToPR read as %v, apart from cmd's", got)
	}
	var out strings.Builder
	failed := render(&out, r, []row{
		{"accept", "cmd/stagehand BenchmarkWebhookAccept/sqlite/senders=64", "deliveries/s", "≥ 5,000"},
		{"accept", "cmd/stagehand BenchmarkWebhookAccept/sqlite/senders=64", "p50-ms", ""},
		{"own", "cmd/stagehand BenchmarkPushToPR/sqlite/required-checks=false", "own-p50-ms", "≤ 5"},
		{"calls", "internal/promote BenchmarkGitHubCalls/warm", "calls/merge+chain", "≤ 12"},
		{"pg", "cmd/stagehand BenchmarkWebhookAccept/postgres/senders=64", "deliveries/s", "≥ 3,000"},
	})
	table := out.String()
	for _, want := range []string{
		"| accept | cmd/stagehand BenchmarkWebhookAccept/sqlite/senders=64 | deliveries/s | 742 | 1020 | 1031 | 3 | ≥ 5,000 ✗ |",
		"| p50-ms | 39.1 | 45.5 | 75.8 | 3 |  |",
		"| own-p50-ms | 4.50 | 4.50 | 4.50 | 1 | ≤ 5 ✓ |",
		"| calls/merge+chain | 13.0 | 13.0 | 13.0 | 1 | ≤ 12 ✗ |",
		"| deliveries/s | | not run | | 0 | ≥ 3,000 |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	if failed != 2 {
		t.Errorf("%d figures miss, want 2 (accept/s and merge+chain):\n%s", failed, table)
	}
}

func TestMeetsRefusesWhatItCannotRead(t *testing.T) {
	for _, want := range []string{"5000", "> 5", "≥ five", ""} {
		if _, err := meets(1, want); err == nil {
			t.Errorf("meets(1, %q) read a want", want)
		}
	}
}

func FuzzAdd(f *testing.F) {
	for _, line := range strings.Split(sample, "\n") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r := results{}
		r.add("pkg", line)
		for _, units := range r {
			for unit, vals := range units {
				if unit == "" || len(vals) != 1 {
					t.Fatalf("%q read as %v", line, r)
				}
			}
		}
		var out strings.Builder
		render(&out, r, rows)
	})
}
