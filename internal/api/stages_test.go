package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/promote"
)

// oneRepo serves one repository, read through r.
type oneRepo struct{ r Reader }

func (o oneRepo) Served() []string             { return []string{"acme/config"} }
func (o oneRepo) Reader(string) (Reader, bool) { return o.r, true }

// TestAppsShowTheStageGraph: GET /api/v1/apps says which stages each stage
// takes images from, so that a client can draw parallel stages; the first
// stage has no "after" at all.
func TestAppsShowTheStageGraph(t *testing.T) {
	status := fakeStatus{{App: "web", Image: "ghcr.io/acme/web", Stages: []promote.StageStatus{
		{Stage: "staging", Mode: "auto-merge", Path: "s.yaml"},
		{Stage: "prod-eu", Mode: "manual", After: []string{"staging"}, Path: "eu.yaml"},
		{Stage: "prod-us", Mode: "manual", After: []string{"staging"}, Path: "us.yaml"},
		{Stage: "global", Mode: "manual", After: []string{"prod-eu", "prod-us"}, Path: "g.yaml"},
	}}}
	router := chi.NewRouter()
	RepoRoutes(router, oneRepo{Reader{Status: status, Records: fakeRecords{}}}, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/apps", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/apps: %d %s", rec.Code, rec.Body)
	}
	var raw []struct {
		Stages []map[string]any `json:"stages"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw) != 1 {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if _, ok := raw[0].Stages[0]["after"]; ok {
		t.Errorf("the first stage has an after: %s", rec.Body)
	}
	var apps []AppStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &apps); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, st := range apps[0].Stages {
		got[st.Stage] = st.After
	}
	for stage, want := range map[string][]string{"prod-eu": {"staging"}, "prod-us": {"staging"}, "global": {"prod-eu", "prod-us"}} {
		if !slices.Equal(got[stage], want) {
			t.Errorf("%s is after %v, want %v", stage, got[stage], want)
		}
	}
}
