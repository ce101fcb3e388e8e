package githubapp

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"
)

func TestRequiredChecksUnitesContextsAndChecks(t *testing.T) {
	s := newStub(t)
	s.handle("GET /repos/acme/config/branches/main/protection/required_status_checks", reply(http.StatusOK,
		`{"strict":true,"contexts":["ci","lint"],"checks":[{"context":"ci","app_id":1},{"context":"e2e","app_id":null}]}`))
	names, err := s.client(t).RequiredChecks(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ci", "lint", "e2e"}; !slices.Equal(names, want) {
		t.Errorf("RequiredChecks = %q, want %q", names, want)
	}
}

func TestChecksMergesStatusesAndCheckRunsAcrossPages(t *testing.T) {
	s := newStub(t)
	page := func(r *http.Request) string { return r.URL.Query().Get("page") }
	link := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?page=2&per_page=100>; rel="next"`, r.Host, r.URL.Path))
	}
	s.handle("GET /repos/acme/config/commits/beef/status", func(w http.ResponseWriter, r *http.Request) {
		if page(r) == "" {
			link(w, r)
			reply(http.StatusOK, `{"state":"pending","statuses":[{"context":"ci","state":"success"},{"context":"lint","state":"error"}]}`)(w, r)
			return
		}
		reply(http.StatusOK, `{"state":"pending","statuses":[{"context":"deploy","state":"pending"},{"context":"both","state":"success"}]}`)(w, r)
	})
	s.handle("GET /repos/acme/config/commits/beef/check-runs", func(w http.ResponseWriter, r *http.Request) {
		if f := r.URL.Query().Get("filter"); f != "latest" {
			t.Errorf("filter = %q, want latest", f)
		}
		if page(r) == "" {
			link(w, r)
			reply(http.StatusOK, `{"total_count":4,"check_runs":[
				{"name":"test","status":"completed","conclusion":"success"},
				{"name":"docs","status":"completed","conclusion":"skipped"},
				{"name":"fmt","status":"completed","conclusion":"neutral"},
				{"name":"both","status":"completed","conclusion":"failure"}]}`)(w, r)
			return
		}
		reply(http.StatusOK, `{"total_count":4,"check_runs":[
			{"name":"e2e","status":"in_progress"},
			{"name":"queued","status":"queued"},
			{"name":"slow","status":"completed","conclusion":"timed_out"},
			{"name":"gone","status":"completed","conclusion":"cancelled"}]}`)(w, r)
	})
	c := s.client(t)

	got, err := c.Checks(context.Background(), "beef")
	if err != nil {
		t.Fatal(err)
	}
	want := []Check{
		{"both", "failure"}, // a failing check run outweighs a passing status
		{"ci", "success"},
		{"deploy", "pending"},
		{"docs", "success"},
		{"e2e", "pending"},
		{"fmt", "success"},
		{"gone", "failure"},
		{"lint", "failure"},
		{"queued", "pending"},
		{"slow", "failure"},
		{"test", "success"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Checks =\n%v\nwant\n%v", got, want)
	}
	if c.Calls() != 4 {
		t.Errorf("Calls = %d, want 4 (two pages of each)", c.Calls())
	}
}

func TestRunState(t *testing.T) {
	tests := []struct{ status, conclusion, want string }{
		{"queued", "", "pending"},
		{"in_progress", "", "pending"},
		{"waiting", "", "pending"},
		{"completed", "success", "success"},
		{"completed", "neutral", "success"},
		{"completed", "skipped", "success"},
		{"completed", "failure", "failure"},
		{"completed", "action_required", "failure"},
		{"completed", "stale", "failure"},
		{"completed", "", "failure"},
	}
	for _, tt := range tests {
		if got := runState(tt.status, tt.conclusion); got != tt.want {
			t.Errorf("runState(%q, %q) = %q, want %q", tt.status, tt.conclusion, got, tt.want)
		}
	}
}
