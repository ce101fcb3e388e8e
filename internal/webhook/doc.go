// Package webhook is stagehand's ingress: one small parser per sender, each
// authenticating the sender in its strongest way, turning a delivery into
// image-push hints; plus GitHub App webhook verification and event parsing.
//
// Everything here is a pure function of (config, headers, body), except that
// Google's signing keys are fetched through a KeySource. A payload is a hint,
// never the truth: the tag is resolved to a digest through the registry later,
// so a Push only reports what the sender claims, validated for shape.
//
// ParseRegistry checks, in this order, and stops at the first failure:
//
//  1. the vendor exists and is configured        else ErrUnknownVendor (404)
//  2. the sender's credentials                    else ErrUnauthorized  (401)
//     (gar: unless Google's keys cannot be had,      ErrUnavailable    (503))
//  3. the body is the sender's format: JSON of    else ErrMalformed     (400)
//     the vendor's envelope
//
// Authentication comes before anything else so that an unauthenticated caller
// learns nothing about what the parser would accept.
//
// Once the sender has authenticated, an event stagehand cannot use is
// acknowledged and ignored, never refused: the Result has no Pushes and
// Ignored says why (the server answers 202 "ignored: …"). That covers other
// events (pulls, deletes, scans, charts, npm packages), layer blobs, pushes
// without a tag, and entries whose values are unusable (no registry host, a
// bad name or tag, a placeholder or malformed digest where the vendor
// computes digests itself). A registry retries a refused delivery for ever,
// and Distribution holds its queue behind it, while no retry would ever make
// such an entry usable. Of a batch, the usable pushes are kept and the rest
// ignored. The Content-Type is not checked either: the body says what it is,
// as GitHub's own clients read bodies as JSON whatever the header says; a
// body that is not the sender's format gets a 400 that mentions a
// Content-Type the sender does not use.
//
// ErrUnavailable (only for "gar", when Google's signing keys cannot be had)
// is a failure on our side that the sender should retry (503).
package webhook
