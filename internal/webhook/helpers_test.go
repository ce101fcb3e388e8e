package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Credentials of the test configuration. Distinctive, so that a test can
// check that no error message ever repeats them.
const (
	hubToken      = "hub-token-SECRET-1"
	quayToken     = "quay-token-SECRET-2"
	distAuth      = "Bearer dist-SECRET-3"
	harborAuth    = "Basic harbor-SECRET-4"
	ecrKey        = "ecr-key-SECRET-5"
	acrValue      = "Bearer acr-SECRET-6"
	jfrogToken    = "jfrog-token-SECRET-7"
	jfrogSignKey  = "jfrog-signing-SECRET-8"
	nexusSecret   = "nexus-SECRET-9"
	genericSecret = "generic-SECRET-10"

	garAudience = "https://stagehand.example.com/webhooks/registry/gar"
	garAccount  = "pubsub-push@acme-prod.iam.gserviceaccount.com"
	testKid     = "test-kid-1"

	// distributionEventsV1 is what Distribution 2.x and 3.x send
	// (notifications.EventsMediaType).
	distributionEventsV1 = "application/vnd.docker.distribution.events.v1+json"
)

var secrets = []string{hubToken, quayToken, distAuth, harborAuth, ecrKey, acrValue, jfrogToken, jfrogSignKey, nexusSecret, genericSecret}

// fixedNow is the tests' clock: tokens are minted relative to it.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testKeys are generated once per test binary: RSA generation is slow.
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

func googleKey() *rsa.PrivateKey { return testKeys()[0] }
func otherKey() *rsa.PrivateKey  { return testKeys()[1] }

// testConfig turns every vendor on, with the credentials above.
func testConfig() Config {
	return Config{
		DockerHubToken:   hubToken,
		QuayToken:        quayToken,
		DistributionAuth: distAuth,
		HarborAuth:       harborAuth,
		GAR: GoogleOIDC{
			Audience:       garAudience,
			ServiceAccount: garAccount,
			Keys:           StaticKeys{testKid: &googleKey().PublicKey},
			Now:            func() time.Time { return fixedNow },
		},
		ECRKey:           ecrKey,
		ACRValue:         acrValue,
		ArtifactoryToken: jfrogToken,
		ArtifactoryHost:  "",
		NexusSecret:      nexusSecret,
		NexusHost:        "nexus.example.com:8443",
		GenericSecret:    genericSecret,
	}
}

// credentials returns the headers and URL token with which vendor's
// sender authenticates body under testConfig, plus a JSON Content-Type.
func credentials(t testing.TB, vendor string, body []byte) (http.Header, string) {
	h := http.Header{"Content-Type": {"application/json"}}
	token := ""
	switch vendor {
	case "dockerhub":
		token = hubToken
	case "quay":
		token = quayToken
	case "distribution":
		h.Set("Authorization", distAuth)
		h.Set("Content-Type", distributionEventsV1)
	case "harbor":
		h.Set("Authorization", harborAuth)
	case "gar":
		h.Set("Authorization", "Bearer "+mintJWT(t, googleKey(), jose.RS256, testKid, validClaims()))
	case "ecr":
		h.Set(DefaultECRHeader, ecrKey)
	case "acr":
		h.Set("Authorization", acrValue)
	case "artifactory":
		h.Set(jfrogAuthHeader, jfrogToken)
	case "nexus":
		h.Set(nexusSignatureHeader, hexHMAC(sha1.New, nexusSecret, body))
	case "generic":
		h.Set(GenericSignatureHeader, "sha256="+hexHMAC(sha256.New, genericSecret, body))
	default:
		t.Fatalf("no credentials for vendor %q", vendor)
	}
	return h, token
}

func hexHMAC(newHash func() hash.Hash, key string, body []byte) string {
	m := hmac.New(newHash, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// readTestdata reads testdata/webhook/<path>.
func readTestdata(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "webhook", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// claims of a push JWT as Pub/Sub mints it.
type testClaims struct {
	jwt.Claims
	Email         string `json:"email,omitempty"`
	EmailVerified any    `json:"email_verified,omitempty"`
}

func validClaims() testClaims {
	return testClaims{
		Claims: jwt.Claims{
			Issuer:   "https://accounts.google.com",
			Subject:  "113774264463038321964",
			Audience: jwt.Audience{garAudience},
			IssuedAt: jwt.NewNumericDate(fixedNow.Add(-time.Minute)),
			Expiry:   jwt.NewNumericDate(fixedNow.Add(59 * time.Minute)),
		},
		Email:         garAccount,
		EmailVerified: true,
	}
}

// mintJWT signs c with key (an *rsa.PrivateKey for RS256, []byte for HS256).
func mintJWT(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, c testClaims) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// at reads an RFC 3339 time, in UTC, for expected values.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func sha256New() hash.Hash { return sha256.New() }
func sha1New() hash.Hash   { return sha1.New() }

func sprint(v any) string { return fmt.Sprintf("%+v", v) }
