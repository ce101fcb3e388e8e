package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const jfrogAuthHeader = "X-JFrog-Event-Auth"

// Artifactory sends X-JFrog-Event-Auth: the secret in plain text, or, with
// payload signing on, a signature instead of the secret. JFrog does not
// document the algorithm; receivers in the wild (akuity/kargo) verify hex
// HMAC-SHA256 of the raw body, so that is what is checked. With a signing
// key configured the plain token is refused: signing is the stronger mode.
var artifactory = vendor{
	off: func(c Config) string {
		if c.ArtifactoryToken == "" && c.ArtifactorySigningKey == "" {
			return "neither ArtifactoryToken nor ArtifactorySigningKey is set"
		}
		return ""
	},
	authenticate: func(_ context.Context, cfg Config, h http.Header, _ string, body []byte) error {
		if cfg.ArtifactorySigningKey == "" {
			return headerSecret("artifactory", h, jfrogAuthHeader, cfg.ArtifactoryToken)
		}
		got := h.Get(jfrogAuthHeader)
		if got == "" {
			return unauthorized("artifactory", "missing %s header", jfrogAuthHeader)
		}
		if !validHexMAC(sha256.New, cfg.ArtifactorySigningKey, body, strings.TrimPrefix(got, "sha256=")) {
			return unauthorized("artifactory", "%s is not the HMAC-SHA256 of the body", jfrogAuthHeader)
		}
		return nil
	},
	mediaTypes: []string{mediaJSON},
	parse:      parseArtifactory,
}

type jfrogEvent struct {
	Domain    string `json:"domain"`
	EventType string `json:"event_type"`
	JPDOrigin string `json:"jpd_origin"`
	Data      struct {
		RepoKey   string `json:"repo_key"`
		ImageName string `json:"image_name"`
		Tag       string `json:"tag"`
		SHA256    string `json:"sha256"`
	} `json:"data"`
}

// parseArtifactory maps a docker "pushed" event to
// <host>/<repo_key>/<image_name>:<tag>, Artifactory's "repository path"
// addressing (the default, and the only one the payload can express). The
// host is Config.ArtifactoryHost, else jpd_origin's. data.sha256 is the
// checksum of the manifest file, that is the manifest digest.
func parseArtifactory(cfg Config, body []byte) (Result, error) {
	var e jfrogEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return Result{}, malformed("artifactory", "body is not a JFrog event: %v", err)
	}
	if e.Domain == "" || e.EventType == "" {
		return Result{}, malformed("artifactory", "domain or event_type is missing")
	}
	if e.Domain != "docker" || e.EventType != "pushed" {
		return ignored("artifactory: %s %s events are not docker pushes", quote(e.Domain), quote(e.EventType))
	}
	d := e.Data
	if d.Tag == "" {
		return ignored("artifactory: push has no tag")
	}
	if d.RepoKey == "" || d.ImageName == "" {
		return ignored("artifactory: data.repo_key or data.image_name is missing")
	}
	host := cfg.ArtifactoryHost
	if host == "" {
		u, err := url.Parse(e.JPDOrigin)
		if e.JPDOrigin == "" || err != nil || u.Host == "" {
			return ignored("artifactory: jpd_origin %s gives no registry host (set ArtifactoryHost)", quote(e.JPDOrigin))
		}
		host = u.Host
	}
	digest := d.SHA256
	if digest != "" && !strings.HasPrefix(digest, "sha256:") {
		digest = "sha256:" + digest
	}
	b := batch{vendor: "artifactory"}
	b.push(fields{image: "host + data.repo_key + data.image_name", tag: "data.tag", digest: "data.sha256"},
		host+"/"+d.RepoKey+"/"+d.ImageName, d.Tag, digest, skipBadDigest, time.Time{}) // JFrog events carry no time
	return b.result(), nil
}
