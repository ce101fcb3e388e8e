package webhook

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestVerifyGitHub(t *testing.T) {
	// The test vector of GitHub's "Validating webhook deliveries" page.
	const (
		secret = "It's a Secret to Everybody"
		sig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	)
	body := []byte("Hello, World!")
	if err := VerifyGitHub(secret, sig, body); err != nil {
		t.Fatalf("docs test vector: %v", err)
	}
	if err := VerifyGitHub(secret, strings.ToUpper(sig[:7])+sig[7:], body); err == nil {
		t.Error("SHA256= prefix accepted")
	}
	refused := []struct{ name, secret, sig, body string }{
		{"tampered body", secret, sig, "Hello, World?"},
		{"body with a trailing newline", secret, sig, "Hello, World!\n"},
		{"missing header", secret, "", "Hello, World!"},
		{"empty secret", "", sig, "Hello, World!"},
		{"wrong secret", "It's a Secret to Everybody!", sig, "Hello, World!"},
		{"no prefix", secret, strings.TrimPrefix(sig, "sha256="), "Hello, World!"},
		{"legacy sha1 header", secret, "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6", "Hello, World!"},
		{"truncated", secret, sig[:len(sig)-2], "Hello, World!"},
		{"not hex", secret, "sha256=zz", "Hello, World!"},
	}
	for _, tt := range refused {
		err := VerifyGitHub(tt.secret, tt.sig, []byte(tt.body))
		if !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", tt.name, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error reveals the secret", tt.name)
		}
	}
}

func TestParseGitHubRequest(t *testing.T) {
	const secret = "app-webhook-SECRET"
	body := readTestdata(t, "github/pull_request/closed.merged.reallyfastci.json")
	headers := func() http.Header {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set(GitHubEventHeader, "pull_request")
		h.Set(GitHubDeliveryHeader, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		h.Set(GitHubSignatureHeader, "sha256="+hexHMAC(sha256New, secret, body))
		return h
	}
	ev, err := ParseGitHubRequest(secret, headers(), body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Delivery != "72d3162e-cc78-11e3-81ab-4c9367dc0958" || ev.PRClosed == nil || !ev.PRClosed.Merged {
		t.Errorf("got %+v", ev)
	}
	tests := []struct {
		name string
		edit func(http.Header)
		want error
	}{
		{"no signature", func(h http.Header) { h.Del(GitHubSignatureHeader) }, ErrUnauthorized},
		{"no event header", func(h http.Header) { h.Del(GitHubEventHeader) }, ErrMalformed},
	}
	for _, tt := range tests {
		h := headers()
		tt.edit(h)
		if _, err := ParseGitHubRequest(secret, h, body); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := ParseGitHubRequest(secret, headers(), append(body, ' ')); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("tampered body: err = %v", err)
	}

	// The Content-Type refuses nothing: a signed JSON body is read as JSON
	// whatever the header says, and a form-encoded body is not JSON, with
	// the Content-Type named as the likely cause.
	h := headers()
	h.Set("Content-Type", "text/plain")
	if ev, err := ParseGitHubRequest(secret, h, body); err != nil || ev.PRClosed == nil {
		t.Errorf("JSON sent as text/plain: %+v, %v", ev, err)
	}
	form := []byte("payload=" + url.QueryEscape(string(body)))
	h = headers()
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set(GitHubSignatureHeader, "sha256="+hexHMAC(sha256New, secret, form))
	_, err = ParseGitHubRequest(secret, h, form)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `Content-Type "application/x-www-form-urlencoded" is not application/json`) {
		t.Errorf("form encoded: err = %v, want ErrMalformed naming the Content-Type", err)
	}
}

// TestParseGitHub: each stored GitHub payload gives what stagehand acts on.
func TestParseGitHub(t *testing.T) {
	const sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	tests := []struct {
		event, file string
		want        GitHubEvent
	}{
		{"pull_request", "github/pull_request/closed.merged.reallyfastci.json", GitHubEvent{
			Repo: "ailisp/gcbapp-buildconfig-example", Event: "pull_request", Action: "closed",
			PRClosed: &PullRequestClosed{
				Number: 3, Merged: true, Title: "Byao1276 patch 1",
				HeadRef: "byao1276-patch-1", HeadSHA: "7b5a809ab03679215c55926f7d111156ec98b865", BaseRef: "master",
				MergeSHA: "a21683865c088b5fe1906cf6552d15a285a4986d", MergedBy: "ailisp",
				MergedAt: time.Date(2019, 11, 26, 7, 1, 13, 0, time.UTC),
			}}},
		{"pull_request", "github/pull_request/closed.payload.json", GitHubEvent{
			Repo: "Codertocat/Hello-World", Event: "pull_request", Action: "closed", InstallationID: 1,
			PRClosed: &PullRequestClosed{
				Number: 2, Merged: false, Title: "Update the README with new information.",
				Body:    "This is a pretty simple change that we need to pull into master.",
				HeadRef: "changes", HeadSHA: sha, BaseRef: "master",
				MergeSHA: "c4295bd74fb0f4fda03689c3df3f2803b658fd85", Labels: []string{"bug"},
			}}},
		{"pull_request", "github/pull_request/opened.payload.json", GitHubEvent{
			Repo: "Codertocat/Hello-World", Event: "pull_request", Action: "opened", InstallationID: 1, Ignored: `pull_request "opened" is not used`}},
		{"check_suite", "github/check_suite/completed.payload.json", GitHubEvent{
			Repo: "Codertocat/Hello-World", Event: "check_suite", Action: "completed",
			Checks: &ChecksChanged{SHA: sha, Branches: []string{"changes"}, PRs: []int{2}}}},
		{"check_run", "github/check_run/completed.payload.json", GitHubEvent{
			Repo: "Codertocat/Hello-World", Event: "check_run", Action: "completed",
			Checks: &ChecksChanged{SHA: sha, Branches: []string{"changes"}, PRs: []int{2}}}},
		{"status", "github/status/payload.json", GitHubEvent{
			Repo: "Codertocat/Hello-World", Event: "status",
			Checks: &ChecksChanged{SHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", Branches: []string{"master", "changes", "gh-pages"}}}},
		{"status", "github/status/with-installation.payload.json", GitHubEvent{
			Repo: "Codertocat/Hello-World", Event: "status", InstallationID: 1,
			Checks: &ChecksChanged{SHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", Branches: []string{"master", "changes", "gh-pages"}}}},
		{"pull_request_review", "github/pull_request_review/submitted.payload.json", GitHubEvent{
			Repo: "Codertocat/Hello-World", Event: "pull_request_review", Action: "submitted", InstallationID: 1,
			Checks: &ChecksChanged{SHA: sha, Branches: []string{"changes"}, PRs: []int{2}}}},
		{"issue_comment", "github/issue_comment/created.payload.json", GitHubEvent{
			Repo: "Codertocat/Hello-World", Event: "issue_comment", Action: "created",
			Comment: &IssueComment{IssueNumber: 1, IsPR: false, CommentID: 492700400,
				Body: "You are totally right! I'll get this fixed right away.", User: "Codertocat", UserType: "User", Association: "OWNER", Action: "created",
				IssueBody: "It looks like you accidently spelled 'commit' with two 't's."}}},
		{"issue_comment", "github/issue_comment/created.on-pull-request.atlantis-fixture.json", GitHubEvent{
			Repo: "runatlantis/atlantis-tests", Event: "issue_comment", Action: "created",
			Comment: &IssueComment{IssueNumber: 1, IsPR: true, CommentID: 396926483,
				Body: "###comment body###", User: "runatlantis", UserType: "User", Association: "OWNER", Action: "created"}}},
		// Octokit's examples: package_type "npm" (with ecosystem "docker").
		{"package", "github/package/published.docker.payload.json", GitHubEvent{
			Repo: "Codertocat/hello-world-npm", Event: "package", Action: "published", Ignored: `ghcr: "npm" packages are not container images`}},
		{"registry_package", "github/registry_package/published.docker.payload.json", GitHubEvent{
			Repo: "Codertocat/hello-world-npm", Event: "registry_package", Action: "published", Ignored: `ghcr: "npm" packages are not container images`}},
		// Octokit's package_version says 0001-01-01 for both times: no time.
		{"package", "github/package/MODIFIED.published.docker.tagged.json", GitHubEvent{
			Repo: "Codertocat/hello-world-npm", Event: "package", Action: "published",
			Push: &Push{Image: "ghcr.io/codertocat/hello-world-npm", Tag: "1.2.3", Digest: h3da1, Vendor: "ghcr"}}},
		{"registry_package", "github/registry_package/MODIFIED.published.docker.tagged.json", GitHubEvent{
			Repo: "Codertocat/hello-world-npm", Event: "registry_package", Action: "published",
			Push: &Push{Image: "ghcr.io/codertocat/hello-world-npm", Tag: "1.2.3", Digest: h3da1, Vendor: "ghcr"}}},
		{"ping", "github/ping/payload.json", GitHubEvent{Repo: "Octocoders/Hello-World", Event: "ping", Ignored: "acknowledged"}},
		{"installation", "github/installation/created.payload.json", GitHubEvent{
			Event: "installation", Action: "created", InstallationID: 957387, Installation: &InstallationChanged{Added: []string{"Codertocat/Hello-World"}}}},
		{"deployment", "github/status/payload.json", GitHubEvent{Repo: "Codertocat/Hello-World", Event: "deployment", Ignored: `"deployment" events are not used`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseGitHub(tt.event, readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %s\nwant %s", show(got), show(tt.want))
			}
		})
	}
}

func show(e GitHubEvent) string {
	s := strings.TrimSpace(strings.ReplaceAll(
		strings.Join([]string{e.Event, e.Action, e.Ignored}, "|"), "\n", " "))
	if e.PRClosed != nil {
		s += " PRClosed" + strings.ReplaceAll(sprint(*e.PRClosed), "\n", " ")
	}
	if e.Checks != nil {
		s += " Checks" + sprint(*e.Checks)
	}
	if e.Comment != nil {
		s += " Comment" + sprint(*e.Comment)
	}
	if e.Push != nil {
		s += " Push" + sprint(*e.Push)
	}
	return s + " inst=" + sprint(e.InstallationID) + " repo=" + e.Repo
}

func TestParseGitHubRefusals(t *testing.T) {
	tests := []struct {
		event, body string
		want        error
	}{
		{"pull_request", `{not json`, ErrMalformed},
		{"pull_request", `null`, ErrMalformed},
		{"pull_request", `[]`, ErrMalformed},
		{"whatever", `{"a":`, ErrMalformed},
		{"pull_request", `{"action":"closed","pull_request":{"number":"three"}}`, ErrMalformed},
		{"pull_request", `{"action":"closed"}`, ErrMalformed},
		{"status", `{"state":"success"}`, ErrMalformed},
		{"issue_comment", `{"action":"created","issue":{"number":1}}`, ErrMalformed},
		{"registry_package", `{"action":"published"}`, ErrMalformed},
	}
	for _, tt := range tests {
		if _, err := ParseGitHub(tt.event, []byte(tt.body)); !errors.Is(err, tt.want) {
			t.Errorf("%s %s: err = %v, want %v", tt.event, tt.body, err, tt.want)
		}
	}
}

func TestParseGitHubPackages(t *testing.T) {
	tests := []struct {
		name, body string
		push       *Push
		ignored    string
	}{
		{"npm", `{"action":"published","registry_package":{"package_type":"npm","ecosystem":"npm","name":"x"}}`, nil, `ghcr: "npm" packages are not container images`},
		{"maven, tagged", `{"action":"published","registry_package":{"package_type":"maven","ecosystem":"docker","name":"x","owner":{"login":"acme"},
			"package_version":{"container_metadata":{"tag":{"name":"v1"}}}}}`, nil, `ghcr: "maven" packages are not container images`},
		{"rubygems, no package_version", `{"action":"published","registry_package":{"package_type":"rubygems"}}`, nil, `ghcr: "rubygems" packages are not container images`},
		{"ecosystem when package_type is absent", `{"action":"published","registry_package":{"ecosystem":"nuget","name":"x"}}`, nil, `ghcr: "nuget" packages are not container images`},
		{"old docker type, untagged", `{"action":"published","registry_package":{"package_type":"docker","name":"x","owner":{"login":"acme"},
			"package_version":{"container_metadata":{"tag":{"name":""}}}}}`, nil, "ghcr: untagged container version"},
		{"updated", `{"action":"updated","registry_package":{"package_type":"CONTAINER"}}`, nil, `registry_package "updated" is not used`},
		// GitHub authenticated it: acknowledged, not refused.
		{"bad tag", `{"action":"published","registry_package":{"package_type":"CONTAINER","name":"Web","owner":{"login":"acme"},"package_version":{"container_metadata":{"tag":{"name":"bad tag"}}}}}`,
			nil, `ghcr: package_version.container_metadata.tag.name "bad tag" is not a valid tag`},
		{"no owner", `{"action":"published","registry_package":{"package_type":"CONTAINER","name":"web","package_version":{"container_metadata":{"tag":{"name":"v1"}}}}}`,
			nil, "ghcr: package.owner.login or package.name is missing"},
		{"placeholder digest", `{"action":"published","registry_package":{"package_type":"CONTAINER","name":"web","owner":{"login":"Acme"},
			"package_version":{"version":"sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b","container_metadata":{"tag":{"name":"v1","digest":"sha256:6c62"}}}}}`,
			&Push{Image: "ghcr.io/acme/web", Tag: "v1", Vendor: "ghcr"}, ""},
		{"digest in name", `{"action":"published","registry_package":{"package_type":"container","name":"team/web","owner":{"login":"acme"},
			"package_version":{"version":"v1","name":"` + h3da1 + `","container_metadata":{"tag":{"name":"v1"}}}}}`,
			&Push{Image: "ghcr.io/acme/team/web", Tag: "v1", Digest: h3da1, Vendor: "ghcr"}, ""},
		// Another tag for a digest already pushed updates the version.
		{"pushed at", `{"action":"published","registry_package":{"package_type":"CONTAINER","name":"web","owner":{"login":"acme"},"updated_at":"2020-01-01T00:00:00Z",
			"package_version":{"version":"` + h3da1 + `","created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:05:00Z","container_metadata":{"tag":{"name":"v2"}}}}}`,
			&Push{Image: "ghcr.io/acme/web", Tag: "v2", Digest: h3da1, Vendor: "ghcr", PushedAt: at("2026-03-01T12:05:00Z")}, ""},
		{"created at", `{"action":"published","registry_package":{"package_type":"CONTAINER","name":"web","owner":{"login":"acme"},
			"package_version":{"version":"` + h3da1 + `","created_at":"2026-03-01T12:00:00Z","container_metadata":{"tag":{"name":"v1"}}}}}`,
			&Push{Image: "ghcr.io/acme/web", Tag: "v1", Digest: h3da1, Vendor: "ghcr", PushedAt: at("2026-03-01T12:00:00Z")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGitHub("registry_package", []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Push, tt.push) || !strings.Contains(got.Ignored, tt.ignored) || (tt.push == nil) == (got.Ignored == "") {
				t.Errorf("got %s", show(got))
			}
		})
	}
}
