package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// routesFunc adds routes to the router: a stand-in for the API and the
// link pages.
type routesFunc func(r chi.Router)

func (f routesFunc) Routes(r chi.Router) { f(r) }

const apiToken = "api-token-SECRET-server-test"

// TestAPIAccess: with a token set, the API answers only its holders (401
// with a Bearer challenge otherwise); open, anyone; with neither, nobody,
// and the answer says how to open it. The link pages, the webhooks and
// health never ask for the token.
func TestAPIAccess(t *testing.T) {
	api := routesFunc(func(r chi.Router) {
		r.Get("/api/v1/apps", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "[]") })
	})
	links := routesFunc(func(r chi.Router) {
		r.Get("/promote/{token}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "page") })
	})
	start := func(t *testing.T, token string, open bool) string {
		s, err := New(Options{GitHubSecret: ghSecret, Queue: &fakeQueue{seen: map[string]bool{}}, Ready: func(context.Context) error { return nil },
			API: api, APIToken: token, APIOpen: open, Links: links})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(ts.Close)
		return ts.URL
	}
	get := func(t *testing.T, url, auth string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body)
	}

	tests := []struct {
		name      string
		token     string
		open      bool
		auth      string
		code      int
		challenge string
		body      string
	}{
		{"token, sent", apiToken, false, "Bearer " + apiToken, 200, "", "[]"},
		{"token, scheme in lower case", apiToken, false, "bearer " + apiToken, 200, "", "[]"},
		{"token, none sent", apiToken, false, "", 401, `Bearer realm="stagehand API"`, "the API needs a token"},
		{"token, wrong one", apiToken, false, "Bearer " + apiToken + "x", 401, `Bearer realm="stagehand API", error="invalid_token"`, "the API token is wrong"},
		{"token, a prefix of it", apiToken, false, "Bearer " + apiToken[:10], 401, `error="invalid_token"`, "the API token is wrong"},
		{"token, as Basic", apiToken, false, "Basic " + apiToken, 401, `Bearer realm="stagehand API"`, "the API needs a token"},
		{"open", "", true, "", 200, "", "[]"},
		{"closed", "", false, "", 403, "", "start stagehand serve with STAGEHAND_API_TOKEN set"},
		{"closed, whatever is sent", "", false, "Bearer ", 403, "", "--api-open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := start(t, tt.token, tt.open)
			code, challenge, body := get(t, base+"/api/v1/apps", tt.auth)
			if code != tt.code || !strings.Contains(challenge, tt.challenge) || (tt.challenge == "" && challenge != "") || !strings.Contains(body, tt.body) {
				t.Errorf("GET /api/v1/apps: %d, WWW-Authenticate %q, %q; want %d, %q, ~%q", code, challenge, body, tt.code, tt.challenge, tt.body)
			}
			if strings.Contains(body, apiToken) {
				t.Errorf("the answer repeats the token: %q", body)
			}
			// What people and senders reach is not behind the token.
			if code, _, body := get(t, base+"/promote/abc", ""); code != 200 || body != "page" {
				t.Errorf("link page: %d %q", code, body)
			}
			if code, _, _ := get(t, base+"/healthz", ""); code != 200 {
				t.Errorf("healthz: %d", code)
			}
			if code, _ := post(t, base+GitHubWebhookPath, []byte(`{}`), map[string]string{"X-GitHub-Event": "ping", "X-GitHub-Delivery": "1", "X-Hub-Signature-256": sign(ghSecret, []byte(`{}`))}); code == 401 || code == 403 || code == 404 {
				t.Errorf("GitHub webhook: %d", code)
			}
		})
	}
}

func TestAPITokenAndOpenConflict(t *testing.T) {
	_, err := New(Options{GitHubSecret: ghSecret, Queue: &fakeQueue{}, Ready: func(context.Context) error { return nil }, APIToken: apiToken, APIOpen: true})
	if err == nil || !strings.Contains(err.Error(), "choose one") || strings.Contains(err.Error(), apiToken) {
		t.Errorf("token and open: %v", err)
	}
}

// TestMetricsApart: the metrics are served by their own handler, for a
// listener of their own, and not by the main one.
func TestMetricsApart(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := New(Options{GitHubSecret: ghSecret, Queue: &fakeQueue{}, Ready: func(context.Context) error { return nil }, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	main := httptest.NewServer(s.Handler())
	defer main.Close()
	metrics := httptest.NewServer(s.MetricsHandler())
	defer metrics.Close()
	for _, tt := range []struct {
		url  string
		code int
		body string
	}{
		{main.URL + "/metrics", 404, "not found"},
		{metrics.URL + "/metrics", 200, "stagehand_delivery_accept_seconds"},
		{metrics.URL + "/webhooks/github", 404, "not found"},
		{metrics.URL + "/api/v1/apps", 404, "not found"},
	} {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.body) {
			t.Errorf("GET %s: %d %.80q; want %d ~%q", tt.url, resp.StatusCode, body, tt.code, tt.body)
		}
	}
}
