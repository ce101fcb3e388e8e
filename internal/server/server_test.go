package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/webhook"
)

const (
	ghSecret      = "It's a Secret to Everybody"
	genericSecret = "generic-secret"
	hubToken      = "hub-token-0123456789"
	distAuth      = "Bearer dist-0123456789"
)

// fakeQueue records accepted deliveries; err makes it refuse.
type fakeQueue struct {
	mu   sync.Mutex
	got  []queue.Delivery
	seen map[string]bool
	err  error
}

func (q *fakeQueue) Accept(ctx context.Context, d queue.Delivery) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return false, q.err
	}
	if q.seen[d.ID] {
		return true, nil
	}
	q.seen[d.ID] = true
	q.got = append(q.got, d)
	return false, nil
}

func newTestServer(t *testing.T, q *fakeQueue, ready error) (*httptest.Server, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	s, err := New(Options{
		GitHubSecret: ghSecret,
		Registries:   webhook.Config{DockerHubToken: hubToken, GenericSecret: genericSecret, DistributionAuth: distAuth},
		Queue:        q,
		Ready:        func(context.Context) error { return ready },
		Registry:     reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, reg
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func post(t *testing.T, url string, body []byte, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/webhook/" + p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewRefusesAnEmptySecret(t *testing.T) {
	_, err := New(Options{Queue: &fakeQueue{}, Ready: func(context.Context) error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "STAGEHAND_GITHUB_WEBHOOK_SECRET") {
		t.Fatalf("err = %v", err)
	}
}

func TestGitHubDeliveries(t *testing.T) {
	q := &fakeQueue{seen: map[string]bool{}}
	ts, reg := newTestServer(t, q, nil)
	merged := readFile(t, "github/pull_request/closed.merged.reallyfastci.json")
	ghHeaders := func(event, id string, body []byte) map[string]string {
		return map[string]string{"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": id, "X-Hub-Signature-256": sign(ghSecret, body)}
	}
	tampered := append([]byte(nil), merged...)
	tampered[len(tampered)/2] ^= 1
	form := []byte("payload=" + url.QueryEscape(string(merged)))
	formHeaders := ghHeaders("pull_request", "d-6", form)
	formHeaders["Content-Type"] = "application/x-www-form-urlencoded"
	textPlain := ghHeaders("pull_request", "d-1", merged)
	textPlain["Content-Type"] = "text/plain"

	tests := []struct {
		name    string
		body    []byte
		headers map[string]string
		code    int
		says    string
	}{
		{"merged PR", merged, ghHeaders("pull_request", "d-1", merged), 202, "accepted"},
		{"same delivery again", merged, ghHeaders("pull_request", "d-1", merged), 202, "duplicate"},
		{"tampered body", tampered, ghHeaders("pull_request", "d-2", merged), 401, "X-Hub-Signature-256"},
		{"no signature", merged, map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "pull_request"}, 401, "missing"},
		// The Content-Type refuses nothing: a JSON body is read (here, as a
		// duplicate of d-1), and a form-encoded one is not JSON.
		{"JSON sent as text/plain", merged, textPlain, 202, "duplicate"},
		{"form encoded", form, formHeaders, 400, "Content-Type \"application/x-www-form-urlencoded\" is not application/json"},
		{"not JSON", []byte("{oops"), ghHeaders("pull_request", "d-3", []byte("{oops")), 400, ""},
		{"ping", []byte(`{"zen":"hi","hook_id":1}`), ghHeaders("ping", "d-4", []byte(`{"zen":"hi","hook_id":1}`)), 202, "ignored"},
		{"unknown event", []byte(`{}`), ghHeaders("star", "d-5", []byte(`{}`)), 202, "ignored"},
	}
	for _, tt := range tests {
		code, body := post(t, ts.URL+"/webhooks/github", tt.body, tt.headers)
		if code != tt.code || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d %q, want %d ~%q", tt.name, code, body, tt.code, tt.says)
		}
	}
	if len(q.got) != 1 || q.got[0].PRClosed == nil || !q.got[0].PRClosed.Merged {
		t.Fatalf("queued %+v, want the one merged PR", q.got)
	}
	if got := counter(t, reg, "stagehand_deliveries_total", map[string]string{"source": "github", "outcome": "unauthorized"}); got != 2 {
		t.Errorf("unauthorized deliveries counted %v, want 2", got)
	}
}

// A comment by someone outside the repository (on a public repository,
// anyone) is acknowledged and ignored before it becomes work: stagehand
// answers only the owner, members and collaborators.
func TestCommentsByOutsidersAreIgnored(t *testing.T) {
	q := &fakeQueue{seen: map[string]bool{}}
	ts, reg := newTestServer(t, q, nil)
	owner := readFile(t, "github/issue_comment/created.payload.json")
	var p map[string]any
	if err := json.Unmarshal(owner, &p); err != nil {
		t.Fatal(err)
	}
	for i, association := range []string{"NONE", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "MANNEQUIN"} {
		p["comment"].(map[string]any)["author_association"] = association
		body, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		code, answer := post(t, ts.URL+"/webhooks/github", body, map[string]string{"X-GitHub-Event": "issue_comment",
			"X-GitHub-Delivery": fmt.Sprintf("c-%d", i), "X-Hub-Signature-256": sign(ghSecret, body)})
		if code != http.StatusAccepted || !strings.Contains(answer, "ignored: a comment by") || !strings.Contains(answer, association) {
			t.Errorf("%s: %d %q, want 202 ignored, naming why", association, code, answer)
		}
	}
	code, answer := post(t, ts.URL+"/webhooks/github", owner, map[string]string{"X-GitHub-Event": "issue_comment",
		"X-GitHub-Delivery": "c-owner", "X-Hub-Signature-256": sign(ghSecret, owner)})
	if code != http.StatusAccepted || strings.TrimSpace(answer) != "accepted" {
		t.Errorf("the owner's comment: %d %q", code, answer)
	}
	if len(q.got) != 1 || q.got[0].Comment == nil || q.got[0].Comment.Association != "OWNER" {
		t.Fatalf("queued %+v, want only the owner's comment", q.got)
	}
	if got := counter(t, reg, "stagehand_deliveries_total", map[string]string{"source": "github", "outcome": "ignored"}); got != 5 {
		t.Errorf("ignored deliveries counted %v, want 5", got)
	}
}

func TestRegistryDeliveries(t *testing.T) {
	q := &fakeQueue{seen: map[string]bool{}}
	ts, reg := newTestServer(t, q, nil)
	hub := readFile(t, "registry/dockerhub/push.docs.json")
	generic := []byte(`{"image":"ghcr.io/acme/web","tag":"1.2.3"}`)
	placeholder := []byte(`{"image":"ghcr.io/acme/web","tag":"1.2.3","digest":"sha256:xxxx"}`)
	big := bytes.Repeat([]byte(" "), maxRegistryBody+1)
	dist := readFile(t, "registry/distribution/MODIFIED.envelope.push.docs.tagged.json")
	distHeaders := func(ct string) map[string]string {
		return map[string]string{"Content-Type": ct, "Authorization": distAuth}
	}
	pull := readFile(t, "registry/distribution/envelope.pull.docs.json")

	tests := []struct {
		name    string
		path    string
		body    []byte
		headers map[string]string
		code    int
		says    string
	}{
		{"docker hub with its token", "/webhooks/registry/dockerhub/" + hubToken, hub, map[string]string{"Content-Type": "application/json"}, 202, "accepted"},
		{"docker hub, wrong token", "/webhooks/registry/dockerhub/nope", hub, map[string]string{"Content-Type": "application/json"}, 401, "does not match"},
		{"docker hub, no token", "/webhooks/registry/dockerhub", hub, map[string]string{"Content-Type": "application/json"}, 401, "missing token"},
		{"generic, signed", "/webhooks/registry/generic", generic, map[string]string{"Content-Type": "application/json", "X-Stagehand-Signature-256": sign(genericSecret, generic)}, 202, "accepted"},
		// Authenticated but unusable: acknowledged, so the sender does not retry it for ever.
		{"generic, placeholder digest", "/webhooks/registry/generic", placeholder, map[string]string{"Content-Type": "application/json", "X-Stagehand-Signature-256": sign(genericSecret, placeholder)}, 202, `ignored: generic: digest "sha256:xxxx"`},
		{"generic, forged", "/webhooks/registry/generic", generic, map[string]string{"Content-Type": "application/json", "X-Stagehand-Signature-256": sign("guess", generic)}, 401, "X-Stagehand-Signature-256"},
		{"generic, not JSON", "/webhooks/registry/generic", []byte("{oops"), map[string]string{"Content-Type": "application/json", "X-Stagehand-Signature-256": sign(genericSecret, []byte("{oops"))}, 400, "generic: body is not"},
		// What Distribution 2.x and 3.x really send.
		{"distribution, events v1", "/webhooks/registry/distribution", dist, distHeaders("application/vnd.docker.distribution.events.v1+json"), 202, "accepted"},
		{"distribution, a pull", "/webhooks/registry/distribution", pull, distHeaders("application/vnd.docker.distribution.events.v1+json"), 202, `ignored: distribution: "pull" events are not pushes`},
		{"distribution, wrong Authorization", "/webhooks/registry/distribution", dist, map[string]string{"Authorization": "Bearer guess"}, 401, "does not match"},
		{"too large", "/webhooks/registry/generic", big, map[string]string{"Content-Type": "application/json"}, 413, "too large"},
		{"unknown vendor", "/webhooks/registry/nosuch", generic, nil, 404, "no registry route"},
		{"vendor not configured", "/webhooks/registry/harbor", generic, nil, 404, "route is off"},
	}
	for _, tt := range tests {
		if code, body := post(t, ts.URL+tt.path, tt.body, tt.headers); code != tt.code || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d %q, want %d ~%q", tt.name, code, body, tt.code, tt.says)
		}
	}
	if len(q.got) != 3 {
		t.Fatalf("queued %d deliveries, want 3: %+v", len(q.got), q.got)
	}
	if p := q.got[1].Pushes[0]; p.Image != "ghcr.io/acme/web" || p.Tag != "1.2.3" || p.Vendor != "generic" {
		t.Errorf("generic push queued as %+v", p)
	}
	if p := q.got[2].Pushes[0]; p.Image != "registrycluster.local/library/test" || p.Tag != "1.0" || p.Vendor != "distribution" {
		t.Errorf("distribution push queued as %+v", p)
	}
	for source, want := range map[string]float64{"generic": 1, "distribution": 1} {
		if got := counter(t, reg, "stagehand_deliveries_total", map[string]string{"source": source, "outcome": "ignored"}); got != want {
			t.Errorf("%s deliveries counted as ignored: %v, want %v", source, got, want)
		}
	}
}

func TestQueueUnavailableIs503(t *testing.T) {
	q := &fakeQueue{seen: map[string]bool{}, err: errors.New("database is locked")}
	ts, _ := newTestServer(t, q, nil)
	generic := []byte(`{"image":"ghcr.io/acme/web","tag":"1.2.3"}`)
	code, _ := post(t, ts.URL+"/webhooks/registry/generic", generic, map[string]string{"Content-Type": "application/json", "X-Stagehand-Signature-256": sign(genericSecret, generic)})
	if code != http.StatusServiceUnavailable {
		t.Fatalf("got %d, want 503", code)
	}
}

// TestGoogleKeysUnavailableIs503: when Google's signing keys cannot be
// fetched, a Pub/Sub push is answered 503 with Retry-After, at once, and
// the answer says nothing about our network; it is not a 401 (Pub/Sub
// would retry that too, but the operator would look for a wrong token).
func TestGoogleKeysUnavailableIs503(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "backend error from 10.1.2.3", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	const audience = "https://stagehand.example.com/webhooks/registry/gar"
	const account = "push@acme.iam.gserviceaccount.com"
	reg := prometheus.NewRegistry()
	s, err := New(Options{
		GitHubSecret: ghSecret,
		Registries: webhook.Config{GAR: webhook.GoogleOIDC{Audience: audience, ServiceAccount: account,
			Keys: webhook.NewJWKS(down.URL, down.Client())}},
		Queue:    &fakeQueue{seen: map[string]bool{}},
		Ready:    func(context.Context) error { return nil },
		Registry: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.Signed(signer).Claims(map[string]any{
		"iss": "https://accounts.google.com", "aud": audience, "email": account, "email_verified": true,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	body := readFile(t, "registry/google-artifact-registry/SYNTHETIC.pubsub-push-envelope.ar-insert-full-digest.json")
	for i := range 3 {
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/webhooks/registry/gar", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("request %d: %d, Retry-After %q, want 503 with Retry-After", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		for _, detail := range []string{"127.0.0.1", down.URL, "502", "10.1.2.3", "fetch", "status"} {
			if strings.Contains(string(answer), detail) {
				t.Errorf("request %d: answer %q reveals %q", i, answer, detail)
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("request %d took %v", i, d)
		}
	}
	if got := counter(t, reg, "stagehand_deliveries_total", map[string]string{"source": "gar", "outcome": "unavailable"}); got != 3 {
		t.Errorf("counted %v unavailable, want 3", got)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	q := &fakeQueue{seen: map[string]bool{}}
	ts, _ := newTestServer(t, q, errors.New("migrations not applied"))
	// Metrics are served apart (TestMetricsApart), never beside the webhooks.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503, "/metrics": 404, "/nope": 404} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// counter reads a counter from the registry by name and labels.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// A push of an image no app uses, by the configuration last read, is
// acknowledged and ignored without becoming work, and remembered, so that a
// configuration that starts using the image can have it looked for; before
// any configuration was read every push is work.
func TestPushesOfUnusedImagesAreIgnoredAtTheDoor(t *testing.T) {
	used := map[string]bool{"ghcr.io/acme/web": true}
	var known atomic.Bool
	q := &fakeQueue{seen: map[string]bool{}}
	reg := prometheus.NewRegistry()
	s, err := New(Options{GitHubSecret: ghSecret, Registries: webhook.Config{GenericSecret: genericSecret}, Queue: q,
		Ready: func(context.Context) error { return nil }, Registry: reg,
		Concerns: func(image string) (bool, bool) { return used[image], known.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	deliver := func(image, tag string) (int, string) {
		body := []byte(fmt.Sprintf(`{"image":%q,"tag":%q}`, image, tag))
		return post(t, ts.URL+"/webhooks/registry/generic", body, map[string]string{"X-Stagehand-Signature-256": sign(genericSecret, body)})
	}

	if code, answer := deliver("ghcr.io/acme/other", "1.0.0"); code != 202 || strings.TrimSpace(answer) != "accepted" {
		t.Errorf("before a configuration is known: %d %q, want it accepted", code, answer)
	}
	known.Store(true)
	if code, answer := deliver("ghcr.io/acme/other", "1.0.1"); code != 202 || !strings.Contains(answer, "ignored: no app in .stagehand.yaml uses ghcr.io/acme/other") {
		t.Errorf("an image no app uses: %d %q", code, answer)
	}
	if code, answer := deliver("ghcr.io/acme/web", "1.2.3"); code != 202 || strings.TrimSpace(answer) != "accepted" {
		t.Errorf("an image an app uses: %d %q", code, answer)
	}
	if len(q.got) != 2 || q.got[1].Pushes[0].Image != "ghcr.io/acme/web" {
		t.Errorf("queued %+v; want the first push and web's", q.got)
	}
	if !s.IgnoredUnused("ghcr.io/acme/other") || s.IgnoredUnused("ghcr.io/acme/web") {
		t.Error("IgnoredUnused does not name exactly the image ignored")
	}
	if got := counter(t, reg, "stagehand_deliveries_total", map[string]string{"source": "generic", "outcome": "ignored"}); got != 1 {
		t.Errorf("ignored deliveries counted %v, want 1", got)
	}
}
