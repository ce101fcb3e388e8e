package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// CNCF Distribution (registry:2), and GitLab's registry notifications, send
// static headers from the registry's config and no signature, so the check
// is the exact Authorization value. The envelope may batch many events,
// most of them layer blobs.
var distribution = vendor{
	off: offWhenEmpty("DistributionAuth", func(c Config) string { return c.DistributionAuth }),
	authenticate: func(_ context.Context, cfg Config, h http.Header, _ string, _ []byte) error {
		return headerSecret("distribution", h, "Authorization", cfg.DistributionAuth)
	},
	mediaTypes: []string{"application/vnd.docker.distribution.events.v2+json", mediaJSON},
	parse:      parseDistribution,
}

type distributionEnvelope struct {
	Events *[]distributionEvent `json:"events"`
}

type distributionEvent struct {
	Action string `json:"action"`
	Target struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
	} `json:"target"`
	Request struct {
		Host string `json:"host"`
	} `json:"request"`
}

func parseDistribution(_ Config, body []byte) (Result, error) {
	var env distributionEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Result{}, malformed("distribution", "body is not a notification envelope: %v", err)
	}
	if env.Events == nil {
		return Result{}, malformed("distribution", "events is missing")
	}
	var res Result
	var why reasons
	for i, e := range *env.Events {
		switch {
		case e.Action != "push":
			why.add(fmt.Sprintf("%s events are not pushes", quote(e.Action)))
			continue
		case !manifestMediaTypes[e.Target.MediaType]:
			why.add("layer/config blobs are not images")
			continue
		case e.Target.Tag == "":
			why.add("manifest pushed without a tag")
			continue
		case e.Request.Host == "":
			return Result{}, malformed("distribution", "events[%d].request.host is missing", i)
		}
		f := fields{
			image:  fmt.Sprintf("events[%d].request.host+target.repository", i),
			tag:    fmt.Sprintf("events[%d].target.tag", i),
			digest: fmt.Sprintf("events[%d].target.digest", i),
		}
		push, err := newPush("distribution", f, e.Request.Host+"/"+e.Target.Repository, e.Target.Tag, e.Target.Digest, rejectBadDigest)
		if err != nil {
			return Result{}, err
		}
		res.Pushes = append(res.Pushes, push)
	}
	if len(res.Pushes) == 0 {
		if len(why) == 0 {
			why.add("no events")
		}
		res.Ignored = "distribution: " + why.String()
	}
	return res, nil
}

// reasons collects distinct reasons for ignoring parts of a batch, in order,
// a few at most: the text ends up in a log line or a response body.
type reasons []string

const maxReasons = 4

func (r *reasons) add(s string) {
	if len(*r) == maxReasons {
		return
	}
	for _, x := range *r {
		if x == s {
			return
		}
	}
	*r = append(*r, s)
}

func (r reasons) String() string { return strings.Join(r, "; ") }
