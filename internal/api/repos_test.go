package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

type fakeStatus []promote.AppStatus

func (f fakeStatus) Status(context.Context) ([]promote.AppStatus, error) { return f, nil }

type fakeRecords struct{}

func (fakeRecords) Holds(context.Context, string) ([]store.Hold, error)        { return nil, nil }
func (fakeRecords) Merges(context.Context, string, int) ([]store.Merge, error) { return nil, nil }
func (fakeRecords) Actions(context.Context, string, int) ([]store.Action, error) {
	return nil, nil
}

// fakeRepos serves each repository with one app named after it.
type fakeRepos []string

func (f fakeRepos) Served() []string { return f }
func (f fakeRepos) Reader(repo string) (Reader, bool) {
	for _, r := range f {
		if strings.EqualFold(r, repo) {
			app := strings.ReplaceAll(r, "/", "-")
			return Reader{Status: fakeStatus{{App: app, Stages: []promote.StageStatus{{Stage: "prod"}}}}, Records: fakeRecords{}}, true
		}
	}
	return Reader{}, false
}

func get(t *testing.T, repos Repos, path string) (int, string) {
	t.Helper()
	r := chi.NewRouter()
	RepoRoutes(r, repos, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// TestRepoRoutes: each repository answers under its own path; today's
// routes answer while one is served and name the repositories when
// several are.
func TestRepoRoutes(t *testing.T) {
	several := fakeRepos{"acme/a", "acme/b"}
	for _, tt := range []struct {
		repos Repos
		path  string
		code  int
		want  string
	}{
		{several, "/api/v1/repos", 200, `"repo": "acme/b"`},
		{several, "/api/v1/repos/acme/b/apps", 200, `"app": "acme-b"`},
		{several, "/api/v1/repos/ACME/A/apps", 200, `"app": "acme-a"`},
		{several, "/api/v1/repos/acme/a/apps/acme-a/history", 200, `"app": "acme-a"`},
		{several, "/api/v1/repos/acme/a/apps/acme-b/history", 404, "unknown app"},
		{several, "/api/v1/repos/acme/c/apps", 404, "acme/c is not a config repository"},
		{several, "/api/v1/apps", 409, "acme/a, acme/b"},
		{fakeRepos{"acme/a"}, "/api/v1/apps", 200, `"app": "acme-a"`},
		{fakeRepos{"acme/a"}, "/api/v1/apps/acme-a/history", 200, `"app": "acme-a"`},
	} {
		code, body := get(t, tt.repos, tt.path)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d %s\nwant %d with %q", tt.path, code, body, tt.code, tt.want)
		}
		if !json.Valid([]byte(body)) {
			t.Errorf("GET %s: not JSON: %s", tt.path, body)
		}
	}
}
