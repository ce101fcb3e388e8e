package githubfake

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// app is a GitHub App the fake knows: the one Options name, and any made
// through the manifest flow. Each may have one installation on the
// repository.
type app struct {
	ID            int64
	Slug, Name    string
	Owner         string // login; "" for the repository's owner
	Description   string
	ExternalURL   string
	key           *rsa.PublicKey
	ClientID      string
	ClientSecret  string
	WebhookSecret string
	Permissions   map[string]any
	Events        []string
	Installation  int64   // 0: not installed
	hook          Webhook // from the manifest; zero for none
	Created       time.Time
}

// bot is the login the App acts as.
func (a *app) bot() string { return a.Slug + "[bot]" }

// appForIssuer finds the App a JWT's iss claim names; nil for none.
// Callers hold mu.
func (s *Server) appForIssuer(iss any) *app {
	var id int64
	switch v := iss.(type) {
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil
		}
		id = n
	case float64:
		if v != math.Trunc(v) {
			return nil
		}
		id = int64(v)
	default:
		return nil
	}
	return s.apps[id]
}

// appByBot finds the App whose bot user login is; nil for a person.
// Callers hold mu.
func (s *Server) appByBot(login string) *app {
	slug, ok := strings.CutSuffix(login, "[bot]")
	if !ok {
		return nil
	}
	for _, a := range s.apps {
		if a.Slug == slug {
			return a
		}
	}
	return nil
}

// appJSON renders an "integration".
func (s *Server) appJSON(a *app) map[string]any {
	events := append([]string{}, a.Events...)
	return map[string]any{
		"id":           a.ID,
		"slug":         a.Slug,
		"node_id":      nodeID("Integration", a.ID),
		"client_id":    a.ClientID,
		"owner":        s.user(cmp.Or(a.Owner, s.opts.Owner)),
		"name":         a.Name,
		"description":  nullString(a.Description),
		"external_url": a.ExternalURL,
		"html_url":     s.html() + "/apps/" + a.Slug,
		"created_at":   stamp(a.Created),
		"updated_at":   stamp(a.Created),
		"permissions":  a.Permissions,
		"events":       events,
	}
}

// manifestCode is a code GitHub hands to a manifest's redirect_url, to be
// converted once, within an hour.
type manifestCode struct {
	manifest appManifest
	owner    string // who the App is registered for
	expires  time.Time
}

// appManifest is a GitHub App manifest: every parameter GitHub documents
// for the manifest flow, and no other (a typo is refused, as GitHub does).
type appManifest struct {
	Name           string `json:"name"`
	URL            string `json:"url"`
	Description    string `json:"description"`
	HookAttributes *struct {
		URL    string `json:"url"`
		Active *bool  `json:"active"`
	} `json:"hook_attributes"`
	RedirectURL           string            `json:"redirect_url"`
	CallbackURLs          []string          `json:"callback_urls"`
	SetupURL              string            `json:"setup_url"`
	Public                bool              `json:"public"`
	DefaultEvents         []string          `json:"default_events"`
	DefaultPermissions    map[string]string `json:"default_permissions"`
	RequestOAuthOnInstall bool              `json:"request_oauth_on_install"`
	SetupOnUpdate         bool              `json:"setup_on_update"`
}

// hookActive is whether the manifest's webhook receives deliveries
// (GitHub's default: yes, when it has a URL).
func (m appManifest) hookActive() bool {
	h := m.HookAttributes
	return h != nil && h.URL != "" && (h.Active == nil || *h.Active)
}

// eventPermissions are the permissions that allow an App to subscribe to
// each event, as GitHub's settings page offers them: an event whose
// permission the manifest does not ask for is refused.
var eventPermissions = map[string][]string{
	"check_run": {"checks"}, "check_suite": {"checks"},
	"issue_comment": {"issues", "pull_requests"}, "issues": {"issues"},
	"pull_request": {"pull_requests"}, "pull_request_review": {"pull_requests"},
	"pull_request_review_comment": {"pull_requests"}, "pull_request_review_thread": {"pull_requests"},
	"push": {"contents"}, "create": {"contents"}, "delete": {"contents"}, "release": {"contents"},
	"status": {"statuses"}, "package": {"packages"}, "registry_package": {"packages"},
	"member": {"members"}, "membership": {"members"}, "team": {"members"}, "organization": {"members"},
}

// parseManifest reads a manifest as GitHub's manifest flow does, refusing
// what GitHub refuses: unknown parameters, a missing name or url, a
// webhook without a URL, access other than read, write or admin, and
// events the permissions do not allow.
func parseManifest(data []byte) (appManifest, error) {
	var m appManifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("githubfake: manifest: %w", err)
	}
	var errs []error
	if strings.TrimSpace(m.Name) == "" || m.URL == "" {
		errs = append(errs, errors.New("name and url are required"))
	}
	if m.HookAttributes != nil && m.HookAttributes.URL == "" {
		errs = append(errs, errors.New("hook_attributes needs a url"))
	}
	for k, v := range m.DefaultPermissions {
		if v != "read" && v != "write" && v != "admin" {
			errs = append(errs, fmt.Errorf("default_permissions: %s: %q is not read, write or admin", k, v))
		}
	}
	for _, e := range m.DefaultEvents {
		perms, known := eventPermissions[e]
		if !known {
			errs = append(errs, fmt.Errorf("default_events: the stand-in does not know the event %q", e))
			continue
		}
		if !slices.ContainsFunc(perms, func(p string) bool { return m.DefaultPermissions[p] != "" }) {
			errs = append(errs, fmt.Errorf("default_events: %q needs the permission %s", e, strings.Join(perms, " or ")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return m, fmt.Errorf("githubfake: manifest: %w", err)
	}
	return m, nil
}

var slugJunk = regexp.MustCompile(`[^a-z0-9]+`)

// NewManifestCode stands for a person creating a GitHub App from manifest
// (the JSON GitHub's manifest flow posts) on the owner organisation: it
// returns the code GitHub would send to the manifest's redirect_url, for
// POST /app-manifests/{code}/conversions. The name must be free.
func (s *Server) NewManifestCode(manifest []byte) (string, error) {
	m, err := parseManifest(manifest)
	if err != nil {
		return "", err
	}
	if err := s.lock(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	return s.newManifestCode(m, s.opts.Owner)
}

// newManifestCode registers a pending App for owner. Callers hold mu.
func (s *Server) newManifestCode(m appManifest, owner string) (string, error) {
	slug := strings.Trim(slugJunk.ReplaceAllString(strings.ToLower(m.Name), "-"), "-")
	for _, a := range s.apps {
		if a.Slug == slug {
			return "", fmt.Errorf("githubfake: manifest: an App named %q already exists", slug)
		}
	}
	for _, c := range s.manifestCodes {
		if strings.EqualFold(c.manifest.Name, m.Name) {
			return "", fmt.Errorf("githubfake: manifest: an App named %q is already pending", m.Name)
		}
	}
	code := randomHex(20)
	s.manifestCodes[code] = manifestCode{manifest: m, owner: owner, expires: time.Now().Add(time.Hour)}
	return code, nil
}

// InstallApp installs the App appID (made through the manifest flow) on
// the repository and returns the new installation's id. The App then
// gets installation tokens and acts as its own bot user.
func (s *Server) InstallApp(appID int64) (int64, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	a := s.apps[appID]
	if a == nil {
		return 0, fmt.Errorf("App %d: %w", appID, ErrNotFound)
	}
	if a.Installation == 0 {
		a.Installation = s.newID()
	}
	return a.Installation, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// createFromManifest converts a manifest code into an App: its
// credentials, a private key made now (whose public half the fake then
// accepts for the App's JWTs) and the App as "integration".
func (s *Server) createFromManifest(ctx context.Context, c *call) reply {
	mc, found := s.manifestCodes[c.params["code"]]
	delete(s.manifestCodes, c.params["code"])
	if !found || time.Now().After(mc.expires) {
		return notFound()
	}
	key, err := GenerateAppKey()
	if err != nil {
		return s.internalError(c, err)
	}
	m := mc.manifest
	perms := map[string]any{"metadata": "read"}
	for k, v := range m.DefaultPermissions {
		perms[k] = v
	}
	a := &app{
		ID: s.newID(), Name: m.Name, Description: m.Description, ExternalURL: m.URL, Owner: mc.owner,
		Slug:         strings.Trim(slugJunk.ReplaceAllString(strings.ToLower(m.Name), "-"), "-"),
		key:          &key.PublicKey,
		ClientID:     "Iv23li" + randomHex(7),
		ClientSecret: randomHex(20),
		Permissions:  perms,
		Events:       append([]string{}, m.DefaultEvents...),
		Created:      time.Now().UTC().Truncate(time.Second),
	}
	var webhookSecret any
	if m.HookAttributes != nil && m.HookAttributes.URL != "" {
		a.WebhookSecret = randomHex(20)
		webhookSecret = a.WebhookSecret
		a.hook = Webhook{URL: m.HookAttributes.URL, Secret: a.WebhookSecret, Active: m.hookActive()}
	}
	s.apps[a.ID] = a
	out := s.appJSON(a)
	out["client_secret"] = a.ClientSecret
	out["webhook_secret"] = webhookSecret
	out["pem"] = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	return reply{status: http.StatusCreated, body: out}
}
