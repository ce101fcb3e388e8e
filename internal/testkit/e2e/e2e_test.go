package e2e

import (
	"encoding/json"
	"maps"
	"testing"
)

// TestEdit: a payload from testdata/webhook, found from any package's
// tests, with a nested field and an array element set and the rest kept.
func TestEdit(t *testing.T) {
	body := Edit(t, "registry/distribution/MODIFIED.envelope.push.docs.tagged.json", map[string]any{
		"events.0.target.tag": "9.9.9", "events.1.request.host": "registry.test:5000",
	})
	var doc struct {
		Events []struct {
			ID      string                `json:"id"`
			Target  struct{ Tag string }  `json:"target"`
			Request struct{ Host string } `json:"request"`
		} `json:"events"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Events) < 2 || doc.Events[0].Target.Tag != "9.9.9" || doc.Events[1].Request.Host != "registry.test:5000" || doc.Events[0].ID == "" {
		t.Errorf("edited payload: %s", body)
	}
}

// TestTotals: series as /metrics prints them, summed by the labels asked for.
func TestTotals(t *testing.T) {
	m := map[string]float64{
		Series("stagehand_deliveries_total", "source", "quay", "outcome", "accepted"):  2,
		Series("stagehand_deliveries_total", "source", "quay", "outcome", "duplicate"): 1,
		Series("stagehand_deliveries_total", "source", "github", "outcome", "ignored"): 3,
		Series("stagehand_promotions_total", "stage", "staging", "result", "merged"):   4,
		Series("stagehand_jobs_total", "kind", "push", "outcome", "ok"):                5,
		"stagehand_queue_depth": 0,
	}
	want := map[string]int{"quay accepted": 2, "quay duplicate": 1, "github ignored": 3}
	if got := DeliveryCounts(m); !maps.Equal(got, want) {
		t.Errorf("DeliveryCounts: %v, want %v", got, want)
	}
	if got := Totals(m, "stagehand_jobs_total", "kind"); !maps.Equal(got, map[string]float64{"push": 5}) {
		t.Errorf("Totals by kind: %v", got)
	}
}
