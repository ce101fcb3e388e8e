package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Google Artifact Registry (and GCR) publish to the Pub/Sub topic "gcr"; a
// push subscription with authentication on POSTs to us with a Google-signed
// OIDC JWT, the only credential there is.
var gar = vendor{
	off: func(c Config) string {
		switch {
		case c.GAR.Audience == "":
			return "GAR.Audience is not set"
		case c.GAR.ServiceAccount == "":
			return "GAR.ServiceAccount is not set"
		case c.GAR.Keys == nil:
			return "GAR.Keys is not set"
		}
		return ""
	},
	authenticate: func(ctx context.Context, cfg Config, h http.Header, _ string, _ []byte) error {
		return cfg.GAR.verify(ctx, h.Get("Authorization"))
	},
	mediaTypes: []string{mediaJSON},
	parse:      parseGAR,
}

type pubsubPush struct {
	Message *struct {
		Data        string `json:"data"`
		PublishTime stamp  `json:"publishTime"`
		// publish_time is the same, spelled for older clients.
		PublishTimeSnake stamp `json:"publish_time"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

type garMessage struct {
	Action string `json:"action"`
	Digest string `json:"digest"`
	Tag    string `json:"tag"`
}

// parseGAR reads a Pub/Sub push envelope whose message.data is the base64 of
// {"action":"INSERT","digest":"HOST/…/IMAGE@sha256:…","tag":"HOST/…/IMAGE:TAG"}.
// The message has no time of its own: message.publishTime, when Artifact
// Registry published it, is the push time. An unwrapped push (body = the
// message itself) is accepted too.
func parseGAR(_ Config, body []byte) (Result, error) {
	var env pubsubPush
	if err := json.Unmarshal(body, &env); err != nil {
		return Result{}, malformed("gar", "body is not a Pub/Sub push: %v", err)
	}
	data := body
	var at time.Time // an unwrapped message carries no time
	if env.Message != nil {
		at = env.Message.PublishTime.Time
		if at.IsZero() {
			at = env.Message.PublishTimeSnake.Time
		}
		var err error
		data, err = base64.StdEncoding.DecodeString(env.Message.Data)
		if err != nil {
			return Result{}, malformed("gar", "message.data is not base64: %v", err)
		}
	}
	var m garMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return Result{}, malformed("gar", "message data is not an Artifact Registry notification: %v", err)
	}
	switch {
	case m.Action == "":
		return Result{}, malformed("gar", "action is missing")
	case m.Action != "INSERT":
		return ignored("gar: %s actions are not pushes", quote(m.Action))
	case m.Tag == "":
		return ignored("gar: image pushed without a tag")
	}
	image, tag, ok := splitTagRef(m.Tag)
	if !ok {
		return ignored("gar: tag %s is not IMAGE:TAG", quote(m.Tag))
	}
	digest := ""
	if m.Digest != "" {
		dImage, d, ok := strings.Cut(m.Digest, "@")
		if !ok || dImage != image {
			// Contradicts itself: which image was pushed is not clear.
			return ignored("gar: digest %s does not name the image of tag %s", quote(m.Digest), quote(m.Tag))
		}
		digest = d
	}
	b := batch{vendor: "gar"}
	b.push(fields{image: "tag (image part)", tag: "tag (tag part)", digest: "digest"}, image, tag, digest, dropBadDigest, at)
	return b.result(), nil
}

// splitTagRef splits "host:port/path/image:tag" at the last colon after the
// last slash, so that a registry port is not taken for a tag.
func splitTagRef(ref string) (image, tag string, ok bool) {
	i := strings.LastIndexByte(ref, ':')
	if i <= strings.LastIndexByte(ref, '/') {
		return "", "", false
	}
	return ref[:i], ref[i+1:], true
}
