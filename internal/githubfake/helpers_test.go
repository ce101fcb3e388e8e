package githubfake

import (
	"context"
	"crypto/rsa"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

// testKey is generated once: 2048-bit keys take a while.
var testKey = sync.OnceValues(GenerateAppKey)

func appKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signJWT makes an App JWT the way ghinstallation does, with the claims
// given (nil iss leaves the claim out).
func signJWT(t testing.TB, key *rsa.PrivateKey, iss any, iat, exp time.Time) string {
	t.Helper()
	claims := jwt.MapClaims{"iat": iat.Unix(), "exp": exp.Unix()}
	if iss != nil {
		claims["iss"] = iss
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func validJWT(t testing.TB, s *Server) string {
	now := time.Now()
	return signJWT(t, appKey(t), strconv.FormatInt(s.opts.AppID, 10), now.Add(-30*time.Second), now.Add(2*time.Minute))
}

// bearer adds an Authorization header to every request.
type bearer struct{ value string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", b.value)
	return http.DefaultTransport.RoundTrip(r)
}

func enterprise(t testing.TB, c *github.Client, s *Server) *github.Client {
	t.Helper()
	c, err := c.WithEnterpriseURLs(s.URL(), s.URL())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// appClient authenticates as the App itself.
func appClient(t testing.TB, s *Server, jwtToken string) *github.Client {
	return enterprise(t, github.NewClient(&http.Client{Transport: bearer{"Bearer " + jwtToken}}), s)
}

// installationClient gets an installation token through the JWT endpoint
// and returns a client using it.
func installationClient(t testing.TB, s *Server) (*github.Client, string) {
	t.Helper()
	tok, _, err := appClient(t, s, validJWT(t, s)).Apps.CreateInstallationToken(context.Background(), s.InstallationID(), nil)
	if err != nil {
		t.Fatalf("installation token: %v", err)
	}
	return enterprise(t, github.NewClient(nil).WithAuthToken(tok.GetToken()), s), tok.GetToken()
}

// apiErr unwraps go-github's error for status and message checks.
func apiErr(t testing.TB, err error) *github.ErrorResponse {
	t.Helper()
	var er *github.ErrorResponse
	if err == nil {
		t.Fatal("want an error, got none")
	}
	if !asErr(err, &er) {
		t.Fatalf("want *github.ErrorResponse, got %T: %v", err, err)
	}
	return er
}
