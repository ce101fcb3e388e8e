package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// CNCF Distribution (registry:2 and 3), and GitLab's registry notifications,
// send static headers from the registry's config and no signature, so the
// check is the exact Authorization value. The envelope may batch many
// events, most of them layer blobs.
var distribution = vendor{
	off: offWhenEmpty("DistributionAuth", func(c Config) string { return c.DistributionAuth }),
	authenticate: func(_ context.Context, cfg Config, h http.Header, _ string, _ []byte) error {
		return headerSecret("distribution", h, "Authorization", cfg.DistributionAuth)
	},
	// notifications.EventsMediaType in distribution's source: v1 in 2.x,
	// v2 in 3.x (the envelope is the same).
	mediaTypes: []string{"application/vnd.docker.distribution.events.v1+json", "application/vnd.docker.distribution.events.v2+json", mediaJSON},
	parse:      parseDistribution,
}

type distributionEnvelope struct {
	Events *[]distributionEvent `json:"events"`
}

type distributionEvent struct {
	Action    string `json:"action"`
	Timestamp stamp  `json:"timestamp"`
	Target    struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
	} `json:"target"`
	Request struct {
		Host string `json:"host"`
	} `json:"request"`
}

// parseDistribution keeps every tagged manifest push of the batch and
// ignores the rest with the reasons: a registry whose delivery is refused
// retries it for ever, and its queue waits behind it.
func parseDistribution(_ Config, body []byte) (Result, error) {
	var env distributionEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Result{}, malformed("distribution", "body is not a notification envelope: %v", err)
	}
	if env.Events == nil {
		return Result{}, malformed("distribution", "events is missing")
	}
	b := batch{vendor: "distribution"}
	if len(*env.Events) == 0 {
		b.ignore("no events")
	}
	for i, e := range *env.Events {
		switch {
		case e.Action != "push":
			b.ignore("%s events are not pushes", quote(e.Action))
			continue
		case !manifestMediaTypes[e.Target.MediaType]:
			b.ignore("layer/config blobs are not images")
			continue
		case e.Target.Tag == "":
			b.ignore("manifest pushed without a tag")
			continue
		case e.Request.Host == "":
			b.ignore("events[%d].request.host is missing", i)
			continue
		}
		f := fields{
			image:  fmt.Sprintf("events[%d].request.host+target.repository", i),
			tag:    fmt.Sprintf("events[%d].target.tag", i),
			digest: fmt.Sprintf("events[%d].target.digest", i),
		}
		b.push(f, e.Request.Host+"/"+e.Target.Repository, e.Target.Tag, e.Target.Digest, skipBadDigest, e.Timestamp.Time)
	}
	return b.result(), nil
}
