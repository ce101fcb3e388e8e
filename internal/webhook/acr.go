package webhook

import (
	"context"
	"encoding/json"
	"net/http"
)

// ACR adds only the custom headers configured on the webhook ("No other
// headers are added") and signs nothing, so the check is one header's value.
var acr = vendor{
	off: offWhenEmpty("ACRValue", func(c Config) string { return c.ACRValue }),
	authenticate: func(_ context.Context, cfg Config, h http.Header, _ string, _ []byte) error {
		header := cfg.ACRHeader
		if header == "" {
			header = defaultACRHeader
		}
		return headerSecret("acr", h, header, cfg.ACRValue)
	},
	mediaTypes: []string{mediaJSON},
	parse:      parseACR,
}

// acrEvent is one Distribution notification event: ACR sends that shape
// (action, target, request), one event per delivery.
type acrEvent = distributionEvent

func parseACR(_ Config, body []byte) (Result, error) {
	var e acrEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return Result{}, malformed("acr", "body is not an ACR webhook: %v", err)
	}
	switch {
	case e.Action == "":
		return Result{}, malformed("acr", "action is missing")
	case e.Action != "push":
		return ignored("acr: %s events are not image pushes", quote(e.Action))
	case e.Target.MediaType != "" && !manifestMediaTypes[e.Target.MediaType]:
		return ignored("acr: %s is not an image manifest", quote(e.Target.MediaType))
	case e.Target.Tag == "":
		return ignored("acr: manifest pushed without a tag")
	case e.Request.Host == "":
		return ignored("acr: request.host is missing")
	}
	b := batch{vendor: "acr"}
	b.push(fields{image: "request.host+target.repository", tag: "target.tag", digest: "target.digest"},
		e.Request.Host+"/"+e.Target.Repository, e.Target.Tag, e.Target.Digest, dropBadDigest, e.Timestamp.Time)
	return b.result(), nil
}
