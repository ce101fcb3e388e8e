package webhook

import "time"

// Config holds each vendor's credentials; a zero credential turns that
// vendor's route off (ErrUnknownVendor), so a route is never open by mistake.
type Config struct {
	// DockerHubToken is the {token} URL segment of
	// /webhooks/registry/dockerhub/{token}: Docker Hub signs nothing.
	DockerHubToken string
	// QuayToken is the same for quay (Quay signs nothing either).
	QuayToken string
	// DistributionAuth is the exact Authorization header value the
	// registry's notifications.endpoints[].headers sends ("Bearer xyz").
	// Also used for GitLab's container registry notifications.
	DistributionAuth string
	// HarborAuth is the exact Authorization header value: the policy's
	// "Auth Header", which Harbor sends verbatim.
	HarborAuth string
	// GAR verifies the OIDC JWT of a Pub/Sub push subscription.
	GAR GoogleOIDC
	// ECRHeader and ECRKey: the EventBridge API destination connection's
	// API-key header name and value. ECRHeader defaults to
	// DefaultECRHeader. A Basic-auth connection works too: ECRHeader
	// "Authorization", ECRKey "Basic <base64>".
	ECRHeader, ECRKey string
	// ACRHeader and ACRValue: the custom header configured on the ACR
	// webhook. ACRHeader defaults to "Authorization".
	ACRHeader, ACRValue string
	// ArtifactoryToken: the webhook's secret, which Artifactory sends in
	// plain text in X-JFrog-Event-Auth ...
	ArtifactoryToken string
	// ArtifactorySigningKey: ... or, with "Use secret for payload signing"
	// on, the secret used for the hex HMAC-SHA256 of the raw body sent in
	// X-JFrog-Event-Auth. When set it wins: the plain token is not accepted.
	ArtifactorySigningKey string
	// ArtifactoryHost is the registry host images are pulled from
	// ("acme.jfrog.io"); it overrides the host of the payload's jpd_origin,
	// which older Artifactory versions do not send.
	ArtifactoryHost string
	// NexusSecret is the webhook capability's Secret Key:
	// X-Nexus-Webhook-Signature is hex HMAC-SHA1 of the body.
	NexusSecret string
	// NexusHost is the docker connector "host[:port]" users pull from; Nexus
	// payloads carry no host. The nexus route needs both.
	NexusHost string
	// GenericSecret: X-Stagehand-Signature-256 is
	// "sha256=" + hex HMAC-SHA256 of the body.
	GenericSecret string
}

// DefaultECRHeader is the API-key header name when Config.ECRHeader is empty.
const DefaultECRHeader = "X-Stagehand-Key"

// defaultACRHeader is the header name when Config.ACRHeader is empty.
const defaultACRHeader = "Authorization"

// GoogleOIDC says which Pub/Sub push JWTs the gar route accepts. The route is
// on when Audience, ServiceAccount and Keys are all set.
type GoogleOIDC struct {
	// Audience is the push subscription's configured audience (by default
	// Google uses the push endpoint URL).
	Audience string
	// ServiceAccount is the subscription's service account: the token's
	// email claim must equal it, with email_verified true.
	ServiceAccount string
	// Keys checks signatures with Google's signing keys:
	// NewJWKS(GoogleJWKSURL, client).
	Keys KeySource
	// Issuers accepted in iss; nil means accounts.google.com and
	// https://accounts.google.com.
	Issuers []string
	// Now is the clock for exp/iat; nil means time.Now.
	Now func() time.Time
}
