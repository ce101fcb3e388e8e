package githubfake

import (
	"slices"
	"time"
)

// Comment is a snapshot of one issue or pull request comment.
type Comment struct {
	ID   int64
	User string // login
	Body string
}

// OpenIssue is a person opening a plain issue (not a pull request) titled
// title, so that comments can be made on it too. It returns the issue's
// number, taken from the sequence pull requests use, as on GitHub.
func (s *Server) OpenIssue(title string) int {
	if err := s.lock(); err != nil {
		return 0
	}
	defer s.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Second)
	is := &issue{ID: s.newID(), Title: title, State: "open", User: "developer", CreatedAt: now}
	is.Number, is.UpdatedAt = s.newNumber(), now
	s.issues = append(s.issues, is)
	return is.Number
}

// AddComment is login commenting body on issue or pull request number
// issue. It returns the comment's id, for the issue_comment webhook a test
// builds, or 0 when there is no such issue.
func (s *Server) AddComment(issue int, login, body string) (id int64) {
	if err := s.lock(); err != nil {
		return 0
	}
	defer s.mu.Unlock()
	cv := s.conversationOf(issue)
	if cv == nil {
		return 0
	}
	return s.addComment(cv, login, body).ID
}

// CommentsOn returns the comments on issue or pull request number issue,
// oldest first; nil when there is none or no such issue.
func (s *Server) CommentsOn(issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, cm := range s.comments {
		if cm.Issue == issue {
			out = append(out, Comment{ID: cm.ID, User: cm.User, Body: cm.Body})
		}
	}
	return out
}

// Reactions returns the reactions on comment commentID ("eyes", "+1", …),
// oldest first, whoever made them.
func (s *Server) Reactions(commentID int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.reactions {
		if r.Comment == commentID {
			out = append(out, r.Content)
		}
	}
	return out
}

// Issue is a snapshot of a plain issue.
type Issue struct {
	Number      int
	Title, Body string
	State       string // open, closed
	User        string // who opened it
	Labels      []string
}

// Issues returns the plain issues carrying label ("" for every one),
// oldest first.
func (s *Server) Issues(label string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Issue
	for _, is := range s.issues {
		if label != "" && !containsFold(is.Labels, label) {
			continue
		}
		out = append(out, Issue{Number: is.Number, Title: is.Title, Body: is.Body, State: is.State, User: is.User, Labels: slices.Clone(is.Labels)})
	}
	return out
}

// EditIssueBody is login editing the body of plain issue number, in the
// browser or through the API: GitHub sends issues edited with the body it
// had (changes.body.from) and login as the sender. It reports whether
// there is such an issue.
func (s *Server) EditIssueBody(number int, login, body string) bool {
	if err := s.lock(); err != nil {
		return false
	}
	defer s.mu.Unlock()
	is := s.issueByNumber(number)
	if is == nil {
		return false
	}
	s.editIssue(is, login, nil, &body, nil)
	return true
}
