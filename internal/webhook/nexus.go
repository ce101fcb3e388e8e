package webhook

import (
	"context"
	"crypto/sha1" //nolint:gosec // Nexus signs with HMAC-SHA1; HMAC does not rely on SHA-1's collision resistance.
	"encoding/json"
	"net/http"
)

const nexusSignatureHeader = "X-Nexus-Webhook-Signature"

// Nexus signs the body with HMAC-SHA1 under the capability's Secret Key.
// Its payloads carry no registry host, so the route also needs NexusHost.
var nexus = vendor{
	off: func(c Config) string {
		switch {
		case c.NexusSecret == "":
			return "NexusSecret is not set"
		case c.NexusHost == "":
			return "NexusHost is not set"
		}
		return ""
	},
	authenticate: func(_ context.Context, cfg Config, h http.Header, _ string, body []byte) error {
		got := h.Get(nexusSignatureHeader)
		if got == "" {
			return unauthorized("nexus", "missing %s header", nexusSignatureHeader)
		}
		if !validHexMAC(sha1.New, cfg.NexusSecret, body, got) {
			return unauthorized("nexus", "%s is not the HMAC-SHA1 of the body", nexusSignatureHeader)
		}
		return nil
	},
	mediaTypes: []string{mediaJSON},
	parse:      parseNexus,
}

type nexusEvent struct {
	Timestamp stamp  `json:"timestamp"` // "2016-11-10T23:57:49.664+0000"
	Action    string `json:"action"`
	Component *struct {
		Format  string `json:"format"`
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"component"`
}

// parseNexus reads repository component events (X-Nexus-Webhook-Id
// rm:repository:component): a docker component's name is the image, its
// version the tag. UPDATED counts as well as CREATED: pushing an existing
// tag again updates the component, and the registry resolves the digest.
func parseNexus(cfg Config, body []byte) (Result, error) {
	var e nexusEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return Result{}, malformed("nexus", "body is not a Nexus webhook: %v", err)
	}
	c := e.Component
	switch {
	case c == nil:
		return ignored("nexus: only component events are used (this is an asset, repository or audit event)")
	case c.Format != "docker":
		return ignored("nexus: %s components are not images", quote(c.Format))
	case e.Action != "CREATED" && e.Action != "UPDATED":
		return ignored("nexus: %s components are not pushes", quote(e.Action))
	case c.Version == "":
		return ignored("nexus: push has no tag")
	}
	b := batch{vendor: "nexus"}
	b.push(fields{image: "NexusHost + component.name", tag: "component.version"}, cfg.NexusHost+"/"+c.Name, c.Version, "", dropBadDigest, e.Timestamp.Time)
	return b.result(), nil
}
