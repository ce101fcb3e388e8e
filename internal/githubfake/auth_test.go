package githubfake

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func TestAppJWT(t *testing.T) {
	s := NewTest(t, seededOptions(t))
	other, err := GenerateAppKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	appID := strconv.FormatInt(s.opts.AppID, 10)
	tests := []struct {
		name    string
		jwt     string
		wantMsg string // "" = accepted
	}{
		{"valid, iss as string", signJWT(t, appKey(t), appID, now.Add(-30*time.Second), now.Add(9*time.Minute)), ""},
		{"valid, iss as number", signJWT(t, appKey(t), s.opts.AppID, now, now.Add(10*time.Minute)), ""},
		{"expired", signJWT(t, appKey(t), appID, now.Add(-20*time.Minute), now.Add(-11*time.Minute)), errJWTExpired.Error()},
		{"within skew", signJWT(t, appKey(t), appID, now.Add(-5*time.Minute), now.Add(-30*time.Second)), ""},
		{"issued in the future", signJWT(t, appKey(t), appID, now.Add(5*time.Minute), now.Add(6*time.Minute)), errJWTIssuedAt.Error()},
		{"lives over ten minutes", signJWT(t, appKey(t), appID, now, now.Add(11*time.Minute)), errJWTTooLong.Error()},
		{"wrong key", signJWT(t, other, appID, now, now.Add(5*time.Minute)), errJWTDecode.Error()},
		{"wrong iss", signJWT(t, appKey(t), "9999", now, now.Add(5*time.Minute)), errJWTUnknownApp.Error()},
		{"iss not a number", signJWT(t, appKey(t), "stagehand", now, now.Add(5*time.Minute)), errJWTIssuer.Error()},
		{"no iss", signJWT(t, appKey(t), nil, now, now.Add(5*time.Minute)), errJWTIssuer.Error()},
		{"not a JWT", "ghs_notajwt", errJWTDecode.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, _, err := appClient(t, s, tt.jwt).Apps.CreateInstallationToken(context.Background(), s.InstallationID(), nil)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(tok.GetToken()) != 40 || tok.GetToken()[:4] != "ghs_" {
					t.Errorf("token %q", tok.GetToken())
				}
				if d := time.Until(tok.GetExpiresAt().Time); d < 59*time.Minute || d > 61*time.Minute {
					t.Errorf("expires in %v, want 1h", d)
				}
				return
			}
			er := apiErr(t, err)
			if er.Response.StatusCode != http.StatusUnauthorized || er.Message != tt.wantMsg {
				t.Errorf("got %d %q, want 401 %q", er.Response.StatusCode, er.Message, tt.wantMsg)
			}
		})
	}
}

func TestInstallationTokenChecks(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	if _, _, err := gh.Repositories.Get(ctx, s.Owner(), s.Repo()); err != nil {
		t.Fatalf("with a live token: %v", err)
	}
	for name, c := range map[string]*github.Client{
		"unknown token": enterprise(t, github.NewClient(nil).WithAuthToken("ghs_0123456789abcdefghijklmnopqrstuvwxyz"), s),
		"app JWT":       appClient(t, s, validJWT(t, s)),
		"none":          enterprise(t, github.NewClient(nil), s),
	} {
		_, _, err := c.Repositories.Get(ctx, s.Owner(), s.Repo())
		if er := apiErr(t, err); er.Response.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: got %d %q, want 401", name, er.Response.StatusCode, er.Message)
		}
	}
	// An installation token is no App JWT.
	_, tok := installationClient(t, s)
	_, _, err := appClient(t, s, tok).Apps.CreateInstallationToken(ctx, s.InstallationID(), nil)
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusUnauthorized {
		t.Errorf("token as JWT: %d", er.Response.StatusCode)
	}
	// Another installation is not found.
	_, _, err = appClient(t, s, validJWT(t, s)).Apps.CreateInstallationToken(ctx, 7, nil)
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusNotFound {
		t.Errorf("other installation: %d", er.Response.StatusCode)
	}
}

func TestExpiredInstallationToken(t *testing.T) {
	s := NewTest(t, seededOptions(t))
	gh, tok := installationClient(t, s)
	s.book.put(tok, bookedToken{expires: time.Now().Add(-time.Second), installation: s.InstallationID()})
	_, _, err := gh.Repositories.Get(context.Background(), s.Owner(), s.Repo())
	if er := apiErr(t, err); er.Response.StatusCode != http.StatusUnauthorized || er.Message != "Bad credentials" {
		t.Errorf("got %d %q", er.Response.StatusCode, er.Message)
	}
}
