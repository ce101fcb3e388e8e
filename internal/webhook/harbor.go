package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Harbor sends the policy's "Auth Header" verbatim as Authorization, no
// signature. Two body formats: Default (application/json) and CloudEvents
// (application/cloudevents+json, Harbor ≥ 2.8); the body tells them apart.
// Harbor 1.x sends the Default format with its own event types (pushImage,
// pullImage, deleteImage, uploadChart, scanningCompleted, …) and the same
// event_data.
var harbor = vendor{
	off: offWhenEmpty("HarborAuth", func(c Config) string { return c.HarborAuth }),
	authenticate: func(_ context.Context, cfg Config, h http.Header, _ string, _ []byte) error {
		return headerSecret("harbor", h, "Authorization", cfg.HarborAuth)
	},
	mediaTypes: []string{mediaJSON, mediaCloudEvents},
	parse:      parseHarbor,
}

const mediaCloudEvents = "application/cloudevents+json"

// harborEvent is either format: Default has type and event_data, a
// CloudEvent has specversion, type and data. The body tells them apart, so
// a proxy that rewrites the Content-Type does not matter.
type harborEvent struct {
	SpecVersion string      `json:"specversion"`
	Type        string      `json:"type"`
	OccurAt     stamp       `json:"occur_at"` // Default: unix seconds
	Time        stamp       `json:"time"`     // CloudEvents: RFC 3339
	EventData   *harborData `json:"event_data"`
	Data        *harborData `json:"data"`
}

type harborData struct {
	Resources []struct {
		Digest      string `json:"digest"`
		Tag         string `json:"tag"`
		ResourceURL string `json:"resource_url"`
	} `json:"resources"`
	Repository *struct {
		RepoFullName string `json:"repo_full_name"`
	} `json:"repository"`
}

func parseHarbor(_ Config, body []byte) (Result, error) {
	var e harborEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return Result{}, malformed("harbor", "body is not a Harbor webhook: %v", err)
	}
	if e.Type == "" {
		return Result{}, malformed("harbor", "type is missing")
	}
	if e.SpecVersion != "" {
		if e.Type != "harbor.artifact.pushed" {
			return ignored("harbor: %s events are not pushes", quote(e.Type))
		}
		return harborPushes(e.Data, "data", e.Time.Time)
	}
	switch e.Type {
	case "PUSH_ARTIFACT", // Harbor 2.x
		"pushImage": // Harbor 1.x
		return harborPushes(e.EventData, "event_data", e.OccurAt.Time)
	}
	return ignored("harbor: %s events are not pushes", quote(e.Type))
}

// harborPushes maps each tagged resource to a Push. The registry host is
// only in resource_url ("harbor.example.com/library/nginx:1.0"); the
// repository is repo_full_name.
func harborPushes(d *harborData, at string, pushedAt time.Time) (Result, error) {
	if d == nil || d.Repository == nil || d.Repository.RepoFullName == "" {
		return ignored("harbor: %s.repository.repo_full_name is missing", at)
	}
	b := batch{vendor: "harbor"}
	for i, r := range d.Resources {
		if r.Tag == "" || looksLikeDigest(r.Tag) {
			b.ignore("push has no tag (pushed by digest)") // Harbor puts the digest in "tag"
			continue
		}
		host, _, ok := strings.Cut(r.ResourceURL, "/")
		if !ok || host == "" {
			b.ignore("%s.resources[%d].resource_url %s has no registry host", at, i, quote(r.ResourceURL))
			continue
		}
		f := fields{
			image:  fmt.Sprintf("%s.resources[%d].resource_url host + %s.repository.repo_full_name", at, i, at),
			tag:    fmt.Sprintf("%s.resources[%d].tag", at, i),
			digest: fmt.Sprintf("%s.resources[%d].digest", at, i),
		}
		b.push(f, host+"/"+d.Repository.RepoFullName, r.Tag, r.Digest, skipBadDigest, pushedAt)
	}
	return b.result(), nil
}
