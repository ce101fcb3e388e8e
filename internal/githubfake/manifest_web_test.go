package githubfake

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestManifestWebFlow: a manifest posted to the organization's "new App"
// page comes back to its redirect_url with a code and the state; the code
// converts into the App; its install page installs it, and the
// repository's events then go to its webhook, signed with its secret.
func TestManifestWebFlow(t *testing.T) {
	s := NewTest(t, seededOptions(t))
	var mu sync.Mutex
	var hooks []*http.Request
	var bodies [][]byte
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks, bodies = append(hooks, r), append(bodies, body)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer receiver.Close()
	manifest := `{"name": "Stagehand Web", "url": "https://stagehand.example", "hook_attributes": {"url": "` + receiver.URL + `/webhooks/github"},
		"redirect_url": "http://127.0.0.1:1/callback", "callback_urls": ["https://stagehand.example/oauth/callback"], "public": false,
		"default_events": ["issue_comment", "push"], "default_permissions": {"contents": "write", "issues": "write"}}`
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path, manifest string) *http.Response {
		t.Helper()
		resp, err := noRedirect.PostForm(s.URL()+strings.TrimPrefix(path, "/"), url.Values{"manifest": {manifest}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	for _, tt := range []struct {
		name, path, manifest string
		code                 int
	}{
		{"another organization", "/organizations/umbrella/settings/apps/new", manifest, 404},
		{"a personal App with nobody signed in", "/settings/apps/new", manifest, 401},
		{"an unknown parameter", "/organizations/acme/settings/apps/new", strings.Replace(manifest, `"public"`, `"publik"`, 1), 422},
		{"an event without its permission", "/organizations/acme/settings/apps/new", strings.Replace(manifest, `"push"`, `"pull_request"`, 1), 422},
		{"no redirect_url", "/organizations/acme/settings/apps/new", strings.Replace(manifest, `"redirect_url"`, `"setup_url"`, 1), 422},
	} {
		if resp := post(tt.path, tt.manifest); resp.StatusCode != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.code)
		}
	}

	resp := post("/organizations/acme/settings/apps/new?state=xyz", manifest)
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || back.Host != "127.0.0.1:1" || back.Path != "/callback" || back.Query().Get("state") != "xyz" || back.Query().Get("code") == "" {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	anon := enterprise(t, github.NewClient(nil), s)
	cfg, _, err := anon.Apps.CompleteAppManifest(context.Background(), back.Query().Get("code"))
	if err != nil || cfg.GetSlug() != "stagehand-web" || cfg.GetOwner().GetLogin() != "acme" {
		t.Fatalf("conversion: %+v %v", cfg, err)
	}

	page, err := http.Get(cfg.GetHTMLURL() + "/installations/new")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Fatalf("install page: %d", page.StatusCode)
	}
	issue := s.OpenIssue("hello")
	s.AddComment(issue, "writer", "hi")
	if _, err := s.Commit("main", "more", map[string][]byte{"more.txt": []byte("m\n")}); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitDeliveries(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var events []string
	for i, r := range hooks {
		events = append(events, r.Header.Get("X-GitHub-Event"))
		mac := hmac.New(sha256.New, []byte(cfg.GetWebhookSecret()))
		mac.Write(bodies[i])
		if r.Header.Get("X-Hub-Signature-256") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("delivery %d is not signed with the App's webhook secret", i)
		}
		var p struct {
			Installation struct{ ID int64 } `json:"installation"`
		}
		if json.Unmarshal(bodies[i], &p) != nil || p.Installation.ID == s.InstallationID() || p.Installation.ID == 0 {
			t.Errorf("delivery %d names installation %d, not the new App's", i, p.Installation.ID)
		}
	}
	// The App subscribed to issue_comment and push only: the issue's
	// opening is not among them.
	if strings.Join(events, " ") != "issue_comment push" {
		t.Errorf("events delivered %q, want the comment and the push", events)
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("violations: %q", v)
	}
}
