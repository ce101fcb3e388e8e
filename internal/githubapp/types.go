// Package githubapp is stagehand's GitHub App client: go-github v60 over
// ghinstallation, sized to what the promotion engine calls.
package githubapp

import (
	"errors"
	"time"
)

// Branch is a branch head: the commit and its tree, read together so that
// everything built on it is built on one consistent snapshot.
type Branch struct {
	Name    string
	SHA     string
	TreeSHA string
}

// PullRequest is what the engine needs to know of a pull request.
type PullRequest struct {
	Number    int
	URL       string // html_url, for people
	Title     string
	Body      string
	State     string // "open" or "closed"
	Draft     bool
	Merged    bool
	Mergeable *bool // nil while GitHub computes it
	Head      string
	HeadSHA   string
	Base      string
	Labels    []string
	MergedAt  time.Time
	MergedBy  string
	MergeSHA  string // merge_commit_sha once merged
}

// Commit is one commit as a history lists it.
type Commit struct {
	SHA     string
	Message string
	Author  string    // GitHub login, or the commit's author name when GitHub knows no account
	Date    time.Time // committer date: when the commit was made in its present form
}

// Check is the state of one required check on a commit: "success",
// "pending" (queued, in progress, or not reported at all) or "failure"
// (failure, error, cancelled, timed out, action required, stale).
type Check struct {
	Name  string
	State string
}

// Errors callers branch on with errors.Is.
var (
	ErrNotFound     = errors.New("not found")                       // 404
	ErrNotMergeable = errors.New("pull request is not mergeable")   // 405 from the merge endpoint
	ErrHeadMoved    = errors.New("head branch was modified")        // 409: head SHA no longer matches
	ErrConflict     = errors.New("conflict with the current state") // 409/422 on refs and PRs
	ErrClosed       = errors.New("pull request is closed")          // an edit reached a closed or merged PR
)
