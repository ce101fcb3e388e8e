package githubfake

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// GitHub's own answers to bad credentials.
var (
	errRequiresAuth   = errors.New("Requires authentication")
	errBadCredentials = errors.New("Bad credentials")
	errJWTDecode      = errors.New("A JSON web token could not be decoded")
	errJWTExpired     = errors.New("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
	errJWTTooLong     = errors.New("'Expiration time' claim ('exp') is too far in the future")
	errJWTIssuedAt    = errors.New("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")
	errJWTIssuer      = errors.New("'Issuer' claim ('iss') must be an Integer")
	errJWTUnknownApp  = errors.New("Integration not found")
)

const (
	appSlug    = "stagehand"
	botLogin   = appSlug + "[bot]"
	jwtSkew    = 60 * time.Second
	jwtMaxLife = 10 * time.Minute
	tokenLife  = time.Hour
)

// appOperations take an App JWT; every other operation an installation token.
var appOperations = map[string]bool{
	"apps/create-installation-access-token": true,
	"apps/get-repo-installation":            true,
	"apps/list-installations":               true,
}

// publicOperations take no credentials.
var publicOperations = map[string]bool{
	"apps/create-from-manifest": true,
}

// userOperation takes a user token from the OAuth web flow; installation
// tokens do not act as a person.
const userOperation = "users/get-authenticated"

// GenerateAppKey makes a 2048-bit RSA key for an App, for tests and the demo.
func GenerateAppKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// authenticate checks the request's credentials for opID and returns the
// acting login. Callers hold mu.
func (s *Server) authenticate(r *http.Request, opID string) (actor string, installation int64, err error) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	if publicOperations[opID] {
		return "", 0, nil
	}
	if cred == "" {
		return "", 0, errRequiresAuth
	}
	if appOperations[opID] {
		if !strings.EqualFold(scheme, "bearer") {
			return "", 0, errJWTDecode
		}
		a, err := s.verifyJWT(cred, time.Now())
		if err != nil {
			return "", 0, err
		}
		return a.bot(), 0, nil
	}
	if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer") {
		return "", 0, errBadCredentials
	}
	if opID == userOperation {
		u, ok := s.userTokens[cred]
		if !ok || time.Now().After(u.expires) {
			return "", 0, errBadCredentials
		}
		return u.login, 0, nil
	}
	t, ok := s.book.get(cred)
	if !ok || time.Now().After(t.expires) {
		return "", 0, errBadCredentials
	}
	if a := s.apps[t.app]; t.app != 0 && a != nil {
		return a.bot(), 0, nil
	}
	return botLogin, t.installation, nil
}

// verifyJWT applies GitHub's rules for App JWTs: RS256 signed by the App's
// key, iss the App id, exp − iat at most ten minutes, not expired, not
// issued in the future (a minute of clock skew allowed either way).
func (s *Server) verifyJWT(raw string, now time.Time) (*app, error) {
	claims := jwt.MapClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	// The key is the App's that iss names; a JWT naming no App is checked
	// against the first App's key, so its other faults are reported first.
	_, err := parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		if a := s.appForIssuer(claims["iss"]); a != nil {
			return a.key, nil
		}
		return s.opts.AppKey, nil
	})
	if err != nil {
		return nil, errJWTDecode
	}
	iat, okIat := numericClaim(claims["iat"])
	exp, okExp := numericClaim(claims["exp"])
	switch {
	case !okExp || time.Unix(exp, 0).Add(jwtSkew).Before(now):
		return nil, errJWTExpired
	case !okIat || time.Unix(iat, 0).After(now.Add(jwtSkew)):
		return nil, errJWTIssuedAt
	case exp-iat > int64(jwtMaxLife/time.Second):
		return nil, errJWTTooLong
	}
	var iss string
	switch v := claims["iss"].(type) {
	case string:
		iss = v
	case float64:
		if v != math.Trunc(v) {
			return nil, errJWTIssuer
		}
		iss = strconv.FormatInt(int64(v), 10)
	default:
		return nil, errJWTIssuer
	}
	if _, err := strconv.ParseInt(iss, 10, 64); err != nil {
		return nil, errJWTIssuer
	}
	a := s.appForIssuer(iss)
	if a == nil {
		return nil, errJWTUnknownApp
	}
	return a, nil
}

func numericClaim(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return int64(f), true
}

// issueToken mints an installation token. Callers hold mu.
func (s *Server) issueToken(now time.Time, appID, installation int64) (string, time.Time, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	b.WriteString("ghs_")
	for range 36 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", time.Time{}, fmt.Errorf("token: %w", err)
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	exp := now.Add(tokenLife).UTC().Truncate(time.Second)
	if appID == s.opts.AppID {
		appID = 0
	} else {
		installation = 0
	}
	s.book.put(b.String(), bookedToken{expires: exp, app: appID, installation: installation})
	return b.String(), exp, nil
}
