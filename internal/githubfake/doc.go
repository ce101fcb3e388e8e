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
// flagged.
package githubfake
