package githubapp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
)

const (
	testAppID   = 7
	testInstall = 42
	testToken   = "ghs_stubtoken"
)

// testKey is one App key for the whole package: RSA generation is slow.
var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func testKeyPEM(t testing.TB) []byte {
	t.Helper()
	key, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// stub is a small GitHub stand-in for one test: it serves the token
// exchange, checks every API call carries the installation token, and
// records the calls. Tests add the routes they need.
type stub struct {
	t   *testing.T
	mux *http.ServeMux
	srv *httptest.Server

	mu     sync.Mutex
	calls  []string // "METHOD /path?query" of API calls, token exchanges excluded
	tokens int      // token exchanges
	agents []string // User-Agent of every request
	bodies map[string][]byte
}

func newStub(t *testing.T) *stub {
	s := &stub{t: t, mux: http.NewServeMux(), bodies: map[string][]byte{}}
	s.mux.HandleFunc("POST /api/v3/app/installations/{id}/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.tokens++
		s.mu.Unlock()
		if err := s.checkJWT(r); err != nil {
			http.Error(w, `{"message":"`+err.Error()+`"}`, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":%q,"expires_at":%q}`, testToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	})
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.agents = append(s.agents, r.Header.Get("User-Agent"))
	isToken := strings.HasSuffix(r.URL.Path, "/access_tokens")
	if !isToken {
		call := r.Method + " " + r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			call += "?" + r.URL.RawQuery
		}
		s.calls = append(s.calls, call)
		s.bodies[r.Method+" "+r.URL.Path] = body
	}
	s.mu.Unlock()
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	if !isToken && !strings.HasSuffix(r.URL.Path, "/installation") && r.Header.Get("Authorization") != "token "+testToken {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// checkJWT verifies the App JWT as GitHub does: RS256 with the App's key,
// issued by the App's ID.
func (s *stub) checkJWT(r *http.Request) error {
	key, err := testKey()
	if err != nil {
		return err
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return fmt.Errorf("no bearer JWT")
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
		if tok.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("signed with %v", tok.Header["alg"])
		}
		return &key.PublicKey, nil
	})
	if err != nil {
		return err
	}
	if claims.Issuer != fmt.Sprint(testAppID) {
		return fmt.Errorf("issuer %q", claims.Issuer)
	}
	return nil
}

// handle adds a route; pattern omits the /api/v3 prefix.
func (s *stub) handle(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.mux.HandleFunc(method+" /api/v3"+path, h)
}

// reply answers with status, a JSON body and header pairs.
func reply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func (s *stub) client(t *testing.T) *Client {
	t.Helper()
	c, err := New(context.Background(), Options{
		APIURL:         s.srv.URL,
		AppID:          testAppID,
		PrivateKey:     testKeyPEM(t),
		InstallationID: testInstall,
		Repo:           "acme/config",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *stub) recorded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// body decodes the JSON body of the last "METHOD /path" request (path
// without /api/v3).
func (s *stub) body(t *testing.T, call string) map[string]any {
	t.Helper()
	m, ok := s.json(t, call).(map[string]any)
	if !ok {
		t.Fatalf("%s body is not an object", call)
	}
	return m
}

// json decodes the JSON body of the last "METHOD /path" request.
func (s *stub) json(t *testing.T, call string) any {
	t.Helper()
	method, path, _ := strings.Cut(call, " ")
	s.mu.Lock()
	raw, ok := s.bodies[method+" /api/v3"+path]
	s.mu.Unlock()
	if !ok {
		t.Fatalf("no %s request", call)
	}
	var m any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s body %q: %v", call, raw, err)
	}
	return m
}

func (s *stub) tokenCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens
}

func (s *stub) userAgents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.agents...)
}
