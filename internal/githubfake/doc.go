// Package githubfake is a stand-in for GitHub's REST API, as much of it as
// stagehand's GitHub App client uses, backed by a real git repository
// driven through the git binary: trees, commits and merges are real git
// objects, so a merged branch can be checked out and rendered by krusty.
//
// Requests and responses are checked against GitHub's own OpenAPI
// description (the subset in openapi/, cut by ./specgen) when
// Options.Validate is on, as NewTest turns it on: a request GitHub would
// refuse gets GitHub's 422 "Invalid request." and is recorded, a response
// that breaks the description is recorded, so is a call to an operation
// the fake does not serve, and NewTest fails the test at cleanup if
// anything was.
//
// Authentication is GitHub App authentication: an RS256 JWT signed with
// the App's key for the /app and /installation endpoints, then
// installation tokens (ghs_…, one hour) for everything else.
//
//	key, _ := githubfake.GenerateAppKey()
//	fake := githubfake.NewTest(t, githubfake.Options{Seed: "testdata/configrepo", AppKey: &key.PublicKey})
//	client, _ := github.NewClient(httpClient).WithEnterpriseURLs(fake.URL(), fake.URL())
//
// The API answers both at / and under /api/v3/ (GitHub Enterprise Server's
// prefix, which WithEnterpriseURLs adds); ghinstallation's BaseURL can be
// fake.URL() with or without "api/v3".
//
// Where GitHub's description and GitHub disagree, the fake follows GitHub
// and says so: specgen records its edits under the subset's
// info.x-githubfake-transforms, and the validator reads request bodies as
// JSON whatever their Content-Type, as GitHub does. Statuses GitHub sends
// but does not describe for an operation (401, 404 on most) are not
// flagged; nor is a 304 Not Modified, which GitHub sends for any GET but
// describes for only a few (kin-openapi passes undescribed statuses, so the
// subset needs no edit for it).
//
// Conditional requests: every successful GET carries an ETag (a weak tag
// over the SHA-256 of the body, so it changes exactly when the body does),
// Last-Modified for a commit, and GitHub's Cache-Control and Vary. A
// matching If-None-Match (or, without one, an If-Modified-Since not before
// Last-Modified) gets 304 with no body, which leaves X-RateLimit-Remaining
// as it was.
//
// Failures, for testing a client's retries against what GitHub does:
// Options.Faults or SetFaults choose a Fault per API request (a ready-made
// seeded one is RandomFaults): 500, 502 with GitHub's timeout message, a
// secondary-limit 403 with Retry-After, or a lost response, where the
// request is applied and the connection then closed unanswered.
// FaultCounts counts them; faulted answers are not violations.
//
// Options.SecondaryLimits enforces GitHub's secondary rate limits (100
// concurrent requests, 80 content-generating requests a minute and 500 an
// hour, 900 points per endpoint a minute), per client, with a Window that
// stands for the minute so tests can scale time, answering as GitHub does
// (403 with Retry-After and GitHub's message); SecondaryStats reports the
// refusals and the content-generating requests accepted per Window. Off by
// default. Neither limits nor faults sleep: a refusal is answered at once,
// outside the lock that serialises the repository.
//
// Webhooks: with Options.Webhook (or SetWebhook) active, the fake delivers
// what GitHub delivers to the App for the repository, the App's own doings
// included: push for every ref created, moved or deleted (by the Git Data
// API, merges and Commit, with the paths each commit added, modified and
// removed), pull_request opened, edited, closed (merged or not), reopened
// and synchronize, issue_comment created (by the App or AddComment),
// status (SetStatus and the App's statuses, with the branches holding the
// commit) and check_run completed (SetCheckRun and the App's own runs).
// Deliveries go one at a time, in the order the events happened, from a
// goroutine outside the lock, with GitHub's headers and signatures
// (X-Hub-Signature-256 is HMAC-SHA256 of the body with the secret); each
// payload is checked against GitHub's webhook description (the subset
// openapi/webhooks-subset.json, also cut by ./specgen, validated as JSON
// Schema 2020-12, formats asserted; "email" accepts GitHub's own
// "…+name[bot]@users.noreply.github.com" and "uri-template" GitHub's
// "{/owner}{/repo}", which the library's checks refuse) and recorded as a
// violation when it breaks it.
// WaitDeliveries waits for the queue to drain; Deliveries lists each
// delivery with the receiver's status. A failed delivery is not retried,
// as GitHub does not retry on its own.
//
// Apps: besides the App of Options, NewManifestCode and POST
// /app-manifests/{code}/conversions make Apps through GitHub's manifest
// flow; the fake then accepts JWTs signed with the key the conversion
// returned, and InstallApp gives such an App an installation, whose tokens
// act as its own bot. The manifest flow's web pages are there too: a form
// posting a manifest to /settings/apps/new (for the person SetOAuthUser
// signed in) or /organizations/{owner}/settings/apps/new registers the App
// and redirects to the manifest's redirect_url with the code and the
// state; manifests are read strictly (unknown parameters, events without
// their permission are refused). GET /apps/{slug}/installations/new
// installs the App, and the repository's events then go to its webhook,
// signed with its secret, naming its installation, and only those events
// it subscribed to (one App's webhook at a time).
package githubfake
