package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// GenericSignatureHeader carries "sha256=" + hex HMAC-SHA256 of the body for
// the generic route (any CI job can compute it, as for GitHub).
const GenericSignatureHeader = "X-Stagehand-Signature-256"

// generic is stagehand's own format, for senders without a webhook of their
// own: {"image":"ghcr.io/acme/web","tag":"1.2.3","digest":"sha256:…",
// "pushed_at":"2026-03-01T12:00:00Z"}, digest and pushed_at optional.
// Being ours, its shape is read strictly (unknown fields, trailing data, a
// missing image or tag are 400s); values that cannot be used are ignored
// with the reason, like every sender's, and the 202 "ignored: …" answer
// tells the CI job why.
var generic = vendor{
	off: offWhenEmpty("GenericSecret", func(c Config) string { return c.GenericSecret }),
	authenticate: func(_ context.Context, cfg Config, h http.Header, _ string, body []byte) error {
		got := h.Get(GenericSignatureHeader)
		if got == "" {
			return unauthorized("generic", "missing %s header", GenericSignatureHeader)
		}
		hexMAC, ok := strings.CutPrefix(got, "sha256=")
		if !ok || !validHexMAC(sha256.New, cfg.GenericSecret, body, hexMAC) {
			return unauthorized("generic", "%s is not sha256=<HMAC-SHA256 of the body>", GenericSignatureHeader)
		}
		return nil
	},
	mediaTypes: []string{mediaJSON},
	parse:      parseGeneric,
}

type genericPush struct {
	Image  string `json:"image"`
	Tag    string `json:"tag"`
	Digest string `json:"digest"`
	// PushedAt is optional, RFC 3339 ("2026-03-01T12:00:00Z").
	PushedAt string `json:"pushed_at"`
}

func parseGeneric(_ Config, body []byte) (Result, error) {
	var p genericPush
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Result{}, malformed("generic", "body is not {\"image\",\"tag\",\"digest\"}: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Result{}, malformed("generic", "trailing data after the JSON object")
	}
	if p.Image == "" || p.Tag == "" {
		return Result{}, malformed("generic", "image and tag are required")
	}
	var at time.Time
	if p.PushedAt != "" {
		var err error
		if at, err = time.Parse(time.RFC3339Nano, p.PushedAt); err != nil {
			// Ours, so strict: a wrong time would order pushes wrongly.
			return ignored("generic: pushed_at %s is not an RFC 3339 time", quote(p.PushedAt))
		}
		at = at.UTC()
	}
	b := batch{vendor: "generic"}
	b.push(fields{image: "image", tag: "tag", digest: "digest"}, p.Image, p.Tag, p.Digest, skipBadDigest, at)
	return b.result(), nil
}
