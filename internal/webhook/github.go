package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// GitHub delivery headers.
const (
	GitHubEventHeader     = "X-GitHub-Event"
	GitHubDeliveryHeader  = "X-GitHub-Delivery"
	GitHubSignatureHeader = "X-Hub-Signature-256"
)

// VerifyGitHub checks signature256, the X-Hub-Signature-256 header value
// "sha256=<hex HMAC-SHA256 of body>", in constant time. A missing or wrong
// signature and an empty secret are ErrUnauthorized: an App without a
// webhook secret must not accept anything. The legacy sha1= header is not
// accepted.
func VerifyGitHub(secret string, signature256 string, body []byte) error {
	if secret == "" {
		return unauthorized("github", "no webhook secret configured")
	}
	if signature256 == "" {
		return unauthorized("github", "missing %s header", GitHubSignatureHeader)
	}
	hexMAC, ok := strings.CutPrefix(signature256, "sha256=")
	if !ok || !validHexMAC(sha256.New, secret, body, hexMAC) {
		return unauthorized("github", "%s does not match the body", GitHubSignatureHeader)
	}
	return nil
}

// GitHubEvent is what stagehand needs from a delivery: one of the pointers
// is set, or Ignored says why not.
type GitHubEvent struct {
	Delivery, Event, Action string
	InstallationID          int64
	// Repo is the repository the event comes from, "owner/name" as GitHub
	// spells it (repository.full_name; GitHub compares it case-blind), or
	// "" for events without one (installation, ping of an App hook).
	Repo string

	Push       *Push              // package / registry_package "published" for a tagged container (ghcr)
	BranchPush *BranchPush        // push: commits pushed to a branch of the repository
	PRClosed   *PullRequestClosed // pull_request closed, merged or not
	Checks     *ChecksChanged     // check_suite / check_run completed, status, pull_request_review submitted
	Comment    *IssueComment      // issue_comment created
	IssueEdit  *IssueEdit         // issues edited, its body changed
	// Installation says which repositories the App is installed on may
	// have changed: installation and installation_repositories events.
	Installation *InstallationChanged
	Ignored      string
}

// InstallationChanged is an installation or installation_repositories
// event: the repositories it names as added and removed ("owner/name").
type InstallationChanged struct {
	Added, Removed []string
}

// BranchPush is a push delivery for a branch that still exists: what it
// points at now and the files the pushed commits touched.
type BranchPush struct {
	Branch string // "main", not "refs/heads/main"
	SHA    string // the branch's new head
	// Files are the paths the listed commits added, modified or removed.
	Files []string
	// DefaultBranch is the repository's default branch.
	DefaultBranch string
	// Complete says Files are all the push changed. GitHub lists at most
	// 2048 commits and 3000 files a commit, and a forced push (a reset to
	// an older commit, say) changes files no listed commit touched.
	Complete bool
}

// Touches reports whether the push may have changed path: it lists it, or
// it cannot tell.
func (p BranchPush) Touches(path string) bool {
	return !p.Complete || slices.Contains(p.Files, path)
}

// PullRequestClosed is a pull_request "closed" delivery.
type PullRequestClosed struct {
	Number                                           int
	Merged                                           bool
	Title, Body, HeadRef, HeadSHA, BaseRef, MergeSHA string
	MergedBy                                         string // login, "" when not merged
	MergedAt                                         time.Time
	Labels                                           []string
}

// ChecksChanged says that the checks or reviews of a commit changed: time
// to look at the pull requests it heads again.
type ChecksChanged struct {
	SHA      string
	Branches []string // head branch names when known
	PRs      []int
}

// IssueComment is an issue_comment "created" delivery.
type IssueComment struct {
	IssueNumber int
	IsPR        bool
	CommentID   int64
	Body, User  string
	UserType    string // "Bot" for bots, "User" for people
	// Association is the commenter's author_association with the
	// repository: OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, …
	Association string
	Action      string
	// IssueBody is the issue's or PR's description, where a stagehand PR
	// keeps its marker.
	IssueBody string
}

// ParseGitHubRequest verifies and parses one delivery from its headers and
// raw body: X-Hub-Signature-256 must verify, X-GitHub-Event must be present,
// and the body must be JSON, whatever the Content-Type says (a hook set to
// the form encoding sends payload=…, which is refused as not JSON, with a
// hint to configure application/json). Delivery is set from
// X-GitHub-Delivery.
func ParseGitHubRequest(secret string, h http.Header, body []byte) (GitHubEvent, error) {
	if err := VerifyGitHub(secret, h.Get(GitHubSignatureHeader), body); err != nil {
		return GitHubEvent{}, err
	}
	event := h.Get(GitHubEventHeader)
	if event == "" {
		return GitHubEvent{}, malformed("github", "missing %s header", GitHubEventHeader)
	}
	ev, err := ParseGitHub(event, body)
	if err != nil {
		return GitHubEvent{}, withHint(err, h, mediaJSON)
	}
	ev.Delivery = h.Get(GitHubDeliveryHeader)
	return ev, nil
}

// envelope is what every delivery shares.
type envelope struct {
	Action       string `json:"action"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// ParseGitHub parses a delivery of X-GitHub-Event event. The body must be
// JSON (ErrMalformed otherwise, also when a handled event does not have the
// shape go-github expects). ping and installation* are Ignored
// "acknowledged"; events and actions stagehand does not use are Ignored with
// the reason. Delivery is left empty (see ParseGitHubRequest).
func ParseGitHub(event string, body []byte) (GitHubEvent, error) {
	var env envelope
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return GitHubEvent{}, malformed("github", "%s body is not a JSON object", quote(event))
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return GitHubEvent{}, malformed("github", "%s body is not a JSON object: %v", quote(event), err)
	}
	ev := GitHubEvent{Event: event, Action: env.Action}
	if env.Installation != nil {
		ev.InstallationID = env.Installation.ID
	}
	if env.Repository != nil {
		ev.Repo = env.Repository.FullName
	}
	handle, ok := githubHandlers[event]
	if !ok {
		ev.Ignored = fmt.Sprintf("%s events are not used", quote(event))
		return ev, nil
	}
	if err := handle(&ev, body); err != nil {
		return GitHubEvent{}, err
	}
	return ev, nil
}

// githubHandlers fill in a GitHubEvent for the events stagehand uses; never
// written after initialisation.
var githubHandlers = map[string]func(ev *GitHubEvent, body []byte) error{
	"ping":                      acknowledge,
	"installation":              onInstallation,
	"installation_repositories": onInstallation,
	"installation_target":       acknowledge,
	"pull_request":              onPullRequest,
	"check_suite":               onCheckSuite,
	"check_run":                 onCheckRun,
	"status":                    onStatus,
	"pull_request_review":       onPullRequestReview,
	"issue_comment":             onIssueComment,
	"issues":                    onIssues,
	"push":                      onPush,
	"package":                   onPackage,
	"registry_package":          onPackage,
}

// onInstallation reads which repositories an installation event names.
// Suspension and permission changes are news too: the list is read again.
func onInstallation(ev *GitHubEvent, body []byte) error {
	var e struct {
		Repositories []struct {
			FullName string `json:"full_name"`
		} `json:"repositories"`
		RepositoriesAdded []struct {
			FullName string `json:"full_name"`
		} `json:"repositories_added"`
		RepositoriesRemoved []struct {
			FullName string `json:"full_name"`
		} `json:"repositories_removed"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return malformed("github", "%s: %v", ev.Event, err)
	}
	c := &InstallationChanged{}
	added := e.RepositoriesAdded
	if ev.Action == "created" {
		added = append(added, e.Repositories...)
	}
	removed := e.RepositoriesRemoved
	if ev.Action == "deleted" {
		removed = append(removed, e.Repositories...)
	}
	for _, r := range added {
		c.Added = append(c.Added, r.FullName)
	}
	for _, r := range removed {
		c.Removed = append(c.Removed, r.FullName)
	}
	ev.Installation = c
	return nil
}

func acknowledge(ev *GitHubEvent, _ []byte) error {
	ev.Ignored = "acknowledged"
	return nil
}

// parseAs decodes body with go-github's type for event.
func parseAs[T any](event string, body []byte) (T, error) {
	var zero T
	v, err := github.ParseWebHook(event, body)
	if err != nil {
		return zero, malformed("github", "%s: %v", event, err)
	}
	t, ok := v.(T)
	if !ok {
		return zero, malformed("github", "%s parsed as %T", event, v)
	}
	return t, nil
}

func notUsed(ev *GitHubEvent) {
	ev.Ignored = fmt.Sprintf("%s %s is not used", ev.Event, quote(ev.Action))
}

func onPullRequest(ev *GitHubEvent, body []byte) error {
	if ev.Action != "closed" {
		notUsed(ev)
		return nil
	}
	e, err := parseAs[*github.PullRequestEvent]("pull_request", body)
	if err != nil {
		return err
	}
	pr := e.GetPullRequest()
	if pr == nil || pr.GetNumber() == 0 {
		return malformed("github", "pull_request closed without pull_request.number")
	}
	c := &PullRequestClosed{
		Number:   pr.GetNumber(),
		Merged:   pr.GetMerged(),
		Title:    pr.GetTitle(),
		Body:     pr.GetBody(),
		HeadRef:  pr.GetHead().GetRef(),
		HeadSHA:  pr.GetHead().GetSHA(),
		BaseRef:  pr.GetBase().GetRef(),
		MergeSHA: pr.GetMergeCommitSHA(),
		MergedBy: pr.GetMergedBy().GetLogin(),
		MergedAt: pr.GetMergedAt().Time,
	}
	for _, l := range pr.Labels {
		c.Labels = append(c.Labels, l.GetName())
	}
	ev.PRClosed = c
	return nil
}

func onCheckSuite(ev *GitHubEvent, body []byte) error {
	if ev.Action != "completed" {
		notUsed(ev)
		return nil
	}
	e, err := parseAs[*github.CheckSuiteEvent]("check_suite", body)
	if err != nil {
		return err
	}
	s := e.GetCheckSuite()
	if s == nil {
		return malformed("github", "check_suite without check_suite")
	}
	return setChecks(ev, s.GetHeadSHA(), []string{s.GetHeadBranch()}, s.PullRequests)
}

func onCheckRun(ev *GitHubEvent, body []byte) error {
	if ev.Action != "completed" {
		notUsed(ev)
		return nil
	}
	e, err := parseAs[*github.CheckRunEvent]("check_run", body)
	if err != nil {
		return err
	}
	r := e.GetCheckRun()
	if r == nil {
		return malformed("github", "check_run without check_run")
	}
	return setChecks(ev, r.GetHeadSHA(), []string{r.GetCheckSuite().GetHeadBranch()}, r.PullRequests)
}

func onStatus(ev *GitHubEvent, body []byte) error {
	e, err := parseAs[*github.StatusEvent]("status", body)
	if err != nil {
		return err
	}
	var branches []string
	for _, b := range e.Branches {
		branches = append(branches, b.GetName())
	}
	return setChecks(ev, e.GetSHA(), branches, nil)
}

func onPullRequestReview(ev *GitHubEvent, body []byte) error {
	if ev.Action != "submitted" {
		notUsed(ev)
		return nil
	}
	e, err := parseAs[*github.PullRequestReviewEvent]("pull_request_review", body)
	if err != nil {
		return err
	}
	pr := e.GetPullRequest()
	return setChecks(ev, pr.GetHead().GetSHA(), []string{pr.GetHead().GetRef()}, []*github.PullRequest{pr})
}

// setChecks fills ev.Checks; branch names are deduplicated, and the head
// branches of the listed pull requests count as branches too.
func setChecks(ev *GitHubEvent, sha string, branches []string, prs []*github.PullRequest) error {
	if sha == "" {
		return malformed("github", "%s without a head SHA", ev.Event)
	}
	c := &ChecksChanged{SHA: sha}
	seen := map[string]bool{"": true}
	add := func(b string) {
		if !seen[b] {
			seen[b] = true
			c.Branches = append(c.Branches, b)
		}
	}
	for _, b := range branches {
		add(b)
	}
	for _, pr := range prs {
		if n := pr.GetNumber(); n != 0 {
			c.PRs = append(c.PRs, n)
		}
		add(pr.GetHead().GetRef())
	}
	ev.Checks = c
	return nil
}

func onIssueComment(ev *GitHubEvent, body []byte) error {
	if ev.Action != "created" {
		notUsed(ev)
		return nil
	}
	e, err := parseAs[*github.IssueCommentEvent]("issue_comment", body)
	if err != nil {
		return err
	}
	if e.GetIssue().GetNumber() == 0 || e.GetComment().GetID() == 0 {
		return malformed("github", "issue_comment without issue.number or comment.id")
	}
	ev.Comment = &IssueComment{
		IssueNumber: e.GetIssue().GetNumber(),
		IsPR:        e.GetIssue().IsPullRequest(),
		CommentID:   e.GetComment().GetID(),
		Body:        e.GetComment().GetBody(),
		User:        e.GetComment().GetUser().GetLogin(),
		UserType:    e.GetComment().GetUser().GetType(),
		Association: e.GetComment().GetAuthorAssociation(),
		Action:      ev.Action,
		IssueBody:   e.GetIssue().GetBody(),
	}
	return nil
}

// IssueEdit is an issues "edited" delivery that changed the body of a
// plain issue.
type IssueEdit struct {
	Number         int
	Body, From     string // the body now, and before the edit
	User, UserType string // who edited it; UserType "Bot" for bots
	UpdatedAt      time.Time
}

func onIssues(ev *GitHubEvent, body []byte) error {
	if ev.Action != "edited" {
		notUsed(ev)
		return nil
	}
	e, err := parseAs[*github.IssuesEvent]("issues", body)
	if err != nil {
		return err
	}
	if e.GetIssue().GetNumber() == 0 {
		return malformed("github", "issues without issue.number")
	}
	if e.GetChanges().GetBody() == nil || e.GetIssue().IsPullRequest() {
		ev.Ignored = "an edit of an issue's title or of a pull request"
		return nil
	}
	ev.IssueEdit = &IssueEdit{
		Number:    e.GetIssue().GetNumber(),
		Body:      e.GetIssue().GetBody(),
		From:      e.GetChanges().GetBody().GetFrom(),
		User:      e.GetSender().GetLogin(),
		UserType:  e.GetSender().GetType(),
		UpdatedAt: e.GetIssue().GetUpdatedAt().Time,
	}
	return nil
}

// Limits of a push delivery's lists, past which it may not name every file.
// GitHub documents 2048 commits and 3000 files a commit; twenty commits is
// what some tools and the Events API list, so a long list counts as cut
// short too: reading a config once too often costs one request.
const (
	pushListedCommits = 20
	pushListedFiles   = 3000
)

func onPush(ev *GitHubEvent, body []byte) error {
	e, err := parseAs[*github.PushEvent]("push", body)
	if err != nil {
		return err
	}
	branch, ok := strings.CutPrefix(e.GetRef(), "refs/heads/")
	switch {
	case !ok:
		ev.Ignored = fmt.Sprintf("push of %s, not of a branch", quote(e.GetRef()))
		return nil
	case e.GetDeleted() || e.GetAfter() == "" || strings.Trim(e.GetAfter(), "0") == "":
		ev.Ignored = fmt.Sprintf("branch %s deleted", quote(branch))
		return nil
	}
	p := &BranchPush{Branch: branch, SHA: e.GetAfter(), DefaultBranch: e.GetRepo().GetDefaultBranch(), Complete: !e.GetForced() && len(e.Commits) > 0 && len(e.Commits) < pushListedCommits}
	seen := map[string]bool{}
	for _, c := range e.Commits {
		files := slices.Concat(c.Added, c.Modified, c.Removed)
		if len(files) >= pushListedFiles {
			p.Complete = false
		}
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				p.Files = append(p.Files, f)
			}
		}
	}
	ev.BranchPush = p
	return nil
}
