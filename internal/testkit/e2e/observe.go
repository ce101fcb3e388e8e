package e2e

// What serve shows, read as a user or an operator reads it: /metrics, the
// JSON log, and conditions on them waited for.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer is an io.Writer that serve writes and the test reads at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Eventually polls cond until it holds or Deadline passes; cond returns
// what it saw, for the failure message, which also shows serve's log.
func (w *World) Eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(Deadline)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after %s; last saw: %s\nserver log:\n%s", what, Deadline, saw, w.Stderr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// JobsDone is a condition for Eventually: n jobs of kind have finished well.
func (w *World) JobsDone(t *testing.T, kind string, n int) func() (bool, string) {
	series := Series("stagehand_jobs_total", "kind", kind, "outcome", "ok")
	return func() (bool, string) {
		v := w.Metrics(t)[series]
		return v == float64(n), fmt.Sprintf("%s %v", series, v)
	}
}

// Metrics reads /metrics as a map from series ("name{l1="v1",l2="v2"}",
// labels sorted; see Series) to value.
func (w *World) Metrics(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := w.Client.Get(w.MetricsBase + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// GetAPI is GET of serve's API at path (/api/v1/…), with the world's
// token, as an operator's client sends it.
func (w *World) GetAPI(path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, w.Base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+APIToken)
	return w.Client.Do(req)
}

// Series names a series the way /metrics prints it; labels are name,
// value pairs.
func Series(name string, labels ...string) string {
	var kv []string
	for i := 0; i+1 < len(labels); i += 2 {
		kv = append(kv, labels[i]+"="+strconv.Quote(labels[i+1]))
	}
	slices.Sort(kv)
	return name + "{" + strings.Join(kv, ",") + "}"
}

// Totals is the counter name of metrics m summed by the values of labels,
// joined by spaces: Totals(m, "stagehand_promotions_total", "stage",
// "result")["staging merged"] is how many staging merges were counted.
func Totals(m map[string]float64, name string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	for series, v := range m {
		rest, ok := strings.CutPrefix(series, name+"{")
		if !ok {
			continue
		}
		got := map[string]string{}
		for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
			k, val, _ := strings.Cut(kv, "=")
			got[k], _ = strconv.Unquote(val)
		}
		key := make([]string, len(labels))
		for i, l := range labels {
			key[i] = got[l]
		}
		out[strings.Join(key, " ")] += v
	}
	return out
}

// DeliveryCounts returns stagehand_deliveries_total of metrics m as
// "source outcome" → count.
func DeliveryCounts(m map[string]float64) map[string]int {
	out := map[string]int{}
	for k, v := range Totals(m, "stagehand_deliveries_total", "source", "outcome") {
		out[k] = int(v)
	}
	return out
}

// Logged reports whether a JSON log line of serve has every field of want.
func (w *World) Logged(want map[string]string) bool {
	for _, line := range strings.Split(w.Stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		match := true
		for k, v := range want {
			if got, _ := rec[k].(string); got != v {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
