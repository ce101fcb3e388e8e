package githubapp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

// refuseTransport records that a request was attempted.
type refuseTransport struct{ n atomic.Int64 }

func (t *refuseTransport) RoundTrip(*http.Request) (*http.Response, error) {
	t.n.Add(1)
	return nil, errors.New("no request expected")
}

func TestNewRejectsBadOptionsBeforeAnyRequest(t *testing.T) {
	good := Options{AppID: 1, PrivateKey: testKeyPEM(t), Repo: "acme/config"}
	tests := []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"repo without slash", func(o *Options) { o.Repo = "config" }, `repo "config"`},
		{"repo with two slashes", func(o *Options) { o.Repo = "acme/config/x" }, `repo "acme/config/x"`},
		{"repo without owner", func(o *Options) { o.Repo = "/config" }, `repo "/config"`},
		{"repo without name", func(o *Options) { o.Repo = "acme/" }, `repo "acme/"`},
		{"repo with space", func(o *Options) { o.Repo = "acme/con fig" }, `repo "acme/con fig"`},
		{"empty key", func(o *Options) { o.PrivateKey = nil }, "private key: empty"},
		{"key not PEM", func(o *Options) { o.PrivateKey = []byte("not a key") }, "private key:"},
		{"no app ID", func(o *Options) { o.AppID = 0 }, "app ID 0"},
		{"negative installation", func(o *Options) { o.InstallationID = -1 }, "installation ID -1"},
		{"relative API URL", func(o *Options) { o.APIURL = "ghe.example.com/api/v3" }, "API URL"},
		{"ftp API URL", func(o *Options) { o.APIURL = "ftp://ghe.example.com/" }, "API URL"},
		{"negative concurrency", func(o *Options) { o.Pace.Concurrent = -1 }, "pace: -1 concurrent"},
		{"empty rate", func(o *Options) { o.Pace.Writes = []Rate{{0, time.Minute}} }, "pace: 0/1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &refuseTransport{}
			opts := good
			opts.Transport = rt
			tt.change(&opts)
			c, err := New(context.Background(), opts)
			if err == nil {
				t.Fatalf("New = %v, want an error", c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if n := rt.n.Load(); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

func TestNewReportsEveryBadOption(t *testing.T) {
	_, err := New(context.Background(), Options{Repo: "x", PrivateKey: []byte("junk")})
	for _, want := range []string{`repo "x"`, "app ID 0", "private key:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

func TestNewLooksUpInstallationWithAppJWT(t *testing.T) {
	s := newStub(t)
	s.handle("GET /repos/acme/config/installation", func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkJWT(r); err != nil {
			reply(http.StatusUnauthorized, `{"message":"A JSON web token could not be decoded"}`)(w, r)
			return
		}
		reply(http.StatusOK, `{"id":99,"app_id":7}`)(w, r)
	})
	s.mux.HandleFunc("POST /api/v3/app/installations/42/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		t.Error("token requested for installation 42, want 99")
	})
	s.handle("GET /repos/acme/config/branches/main", reply(http.StatusOK, branchJSON))

	c, err := New(context.Background(), Options{APIURL: s.srv.URL, AppID: testAppID, PrivateKey: testKeyPEM(t), Repo: "acme/config"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.InstallationID(); got != 99 {
		t.Errorf("InstallationID = %d, want 99", got)
	}
	if _, err := c.Branch(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Branch(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	if s.tokenCount() != 1 {
		t.Errorf("%d token exchanges, want 1 (cached)", s.tokenCount())
	}
	if got := c.Calls(); got != 3 {
		t.Errorf("Calls = %d, want 3 (lookup + 2 branch reads, token exchange excluded)", got)
	}
	for _, ua := range s.userAgents() {
		if ua != "stagehand" {
			t.Errorf("User-Agent %q, want stagehand on every request", ua)
		}
	}
}

func TestNewFailsWhenAppIsNotInstalled(t *testing.T) {
	s := newStub(t)
	s.handle("GET /repos/acme/config/installation", reply(http.StatusNotFound, `{"message":"Not Found"}`))
	_, err := New(context.Background(), Options{APIURL: s.srv.URL, AppID: testAppID, PrivateKey: testKeyPEM(t), Repo: "acme/config"})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("New error = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "installation on acme/config") {
		t.Errorf("error %q does not say what was looked up", err)
	}
}

func TestAPIURLFormsReachTheSameAPI(t *testing.T) {
	for _, suffix := range []string{"", "/", "/api/v3", "/api/v3/"} {
		t.Run(suffix, func(t *testing.T) {
			s := newStub(t)
			s.handle("GET /repos/acme/config/branches/main", reply(http.StatusOK, branchJSON))
			c, err := New(context.Background(), Options{APIURL: s.srv.URL + suffix, AppID: testAppID, PrivateKey: testKeyPEM(t),
				InstallationID: testInstall, Repo: "acme/config", UserAgent: "stagehand-test"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Branch(context.Background(), "main"); err != nil {
				t.Fatal(err)
			}
			if s.tokenCount() != 1 {
				t.Errorf("%d token exchanges under /api/v3, want 1", s.tokenCount())
			}
			for _, ua := range s.userAgents() {
				if ua != "stagehand-test" {
					t.Errorf("User-Agent %q, want stagehand-test", ua)
				}
			}
		})
	}
}

func TestRepo(t *testing.T) {
	c := newStub(t).client(t)
	if owner, name := c.Repo(); owner != "acme" || name != "config" {
		t.Errorf("Repo = %s, %s", owner, name)
	}
}

func FuzzSplitRepo(f *testing.F) {
	for _, seed := range []string{"acme/config", "a/b/c", "/x", "x/", "", "acme/..", "o/n?x", "ü/ß"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, repo string) {
		owner, name, ok := splitRepo(repo)
		if !ok {
			return
		}
		if owner+"/"+name != repo || owner == "" || name == "" || strings.Contains(name, "/") {
			t.Errorf("splitRepo(%q) = %q, %q", repo, owner, name)
		}
	})
}

func TestWrongKeyFailsAtTokenExchange(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := newStub(t)
	s.handle("GET /repos/acme/config/branches/main", reply(http.StatusOK, branchJSON))
	c, err := New(context.Background(), Options{APIURL: s.srv.URL, AppID: testAppID, InstallationID: testInstall, Repo: "acme/config",
		PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Branch(context.Background(), "main")
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Branch error = %v, want the token exchange's 401", err)
	}
	if len(s.recorded()) != 0 {
		t.Errorf("API calls %q made without a token", s.recorded())
	}
}
