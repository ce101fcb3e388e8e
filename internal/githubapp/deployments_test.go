package githubapp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestStatusesKeepTargetURLs: a health gate names the status that failed
// and where to look; a context reported both ways keeps the worst.
func TestStatusesKeepTargetURLs(t *testing.T) {
	s := newStub(t)
	s.handle("GET /repos/acme/config/commits/beef/status", reply(http.StatusOK, `{"state":"failure","statuses":[
		{"context":"kustomization/apps","state":"failure","target_url":"https://flux/apps","description":"Health check failed"},
		{"context":"argocd/web","state":"success","target_url":"https://argo/web"},
		{"context":"both","state":"success"}]}`))
	s.handle("GET /repos/acme/config/commits/beef/check-runs", reply(http.StatusOK, `{"total_count":2,"check_runs":[
		{"name":"both","status":"completed","conclusion":"cancelled","details_url":"https://ci/both","output":{"title":"cancelled by a person"}},
		{"name":"smoke","status":"in_progress","html_url":"https://github.com/acme/config/runs/1"}]}`))
	got, err := s.client(t).Statuses(context.Background(), "beef")
	if err != nil {
		t.Fatal(err)
	}
	want := []Status{
		{Context: "kustomization/apps", State: "failure", TargetURL: "https://flux/apps", Description: "Health check failed"},
		{Context: "argocd/web", State: "success", TargetURL: "https://argo/web"},
		{Context: "both", State: "failure", TargetURL: "https://ci/both", Description: "cancelled by a person"},
		{Context: "smoke", State: "pending", TargetURL: "https://github.com/acme/config/runs/1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Statuses =\n%+v\nwant\n%+v", got, want)
	}
}

// TestCreateDeploymentAsksNothingOfGitHub: a deployment of a merge commit
// never merges anything and waits for no checks.
func TestCreateDeploymentAsksNothingOfGitHub(t *testing.T) {
	s := newStub(t)
	var body map[string]any
	s.handle("POST /repos/acme/config/deployments", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Error(err)
		}
		reply(http.StatusCreated, `{"id":42,"sha":"beef","ref":"beef","environment":"staging"}`)(w, r)
	})
	var status map[string]any
	s.handle("POST /repos/acme/config/deployments/42/statuses", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &status); err != nil {
			t.Error(err)
		}
		reply(http.StatusCreated, `{"id":1,"state":"failure"}`)(w, r)
	})
	c := s.client(t)
	id, err := c.CreateDeployment(context.Background(), NewDeployment{Ref: "beef", Environment: "staging", Payload: map[string]any{"app": "web"}})
	if err != nil || id != 42 {
		t.Fatalf("CreateDeployment = %d, %v", id, err)
	}
	if body["auto_merge"] != false || body["environment"] != "staging" || body["ref"] != "beef" || body["required_contexts"] == nil ||
		len(body["required_contexts"].([]any)) != 0 || body["payload"].(map[string]any)["app"] != "web" {
		t.Errorf("request %v", body)
	}
	long := strings.Repeat("é", 100) // 200 bytes
	if err := c.SetDeploymentStatus(context.Background(), 42, "failure", long, "https://flux/apps"); err != nil {
		t.Fatal(err)
	}
	if d := status["description"].(string); len(d) > 140 || !strings.HasSuffix(d, "…") || status["log_url"] != "https://flux/apps" {
		t.Errorf("status %v", status)
	}
}
