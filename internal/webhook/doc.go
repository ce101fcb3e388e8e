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
//  3. the Content-Type the vendor sends           else ErrMediaType     (415)
//  4. the body's shape, names, tags and digests   else ErrMalformed     (400)
//
// Authentication comes before anything else so that an unauthenticated caller
// learns nothing about what the parser would accept. Any other error (only
// possible for "gar", when Google's keys cannot be fetched) is a server-side
// failure the sender should retry (5xx).
package webhook
