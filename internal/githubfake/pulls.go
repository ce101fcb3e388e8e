package githubfake

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// MergeError is a merge GitHub refuses, with the status and message the
// merge endpoint answers (405 not mergeable or checks missing, 409 head
// moved). MergeAsUser returns it too.
type MergeError struct {
	Status  int
	Message string
}

func (e *MergeError) Error() string {
	return fmt.Sprintf("merge refused (%d): %s", e.Status, e.Message)
}

const (
	msgNotMergeable = "Pull Request is not mergeable"
	msgHeadModified = "Head branch was modified. Review and try the merge again."
)

// headOf is the commit a pull request shows: the head branch while open,
// the commit it was closed at afterwards. Callers hold mu.
func (s *Server) headOf(p *pull) string {
	if p.State == "open" {
		if sha, ok := s.branchSHA(p.Head); ok {
			return sha
		}
	}
	return p.HeadSHA
}

func (s *Server) baseOf(p *pull) string {
	if p.State == "open" {
		if sha, ok := s.branchSHA(p.Base); ok {
			return sha
		}
	}
	return p.BaseSHA
}

// checkOutcome is how one required check stands on a commit.
type checkOutcome int

const (
	checkMissing checkOutcome = iota // never reported, or still pending
	checkPassed
	checkFailed
)

// checkOn evaluates one required check on sha from commit statuses and
// check runs alike (GitHub accepts either): the latest report wins.
func (s *Server) checkOn(sha, name string) checkOutcome {
	out, at := checkMissing, time.Time{}
	for _, st := range s.statuses[sha] {
		if !strings.EqualFold(st.Context, name) || st.CreatedAt.Before(at) {
			continue
		}
		at = st.CreatedAt
		switch st.State {
		case "success":
			out = checkPassed
		case "failure", "error":
			out = checkFailed
		default:
			out = checkMissing
		}
	}
	for _, cr := range s.checkRuns[sha] {
		if cr.Name != name || cr.StartedAt.Before(at) {
			continue
		}
		at = cr.StartedAt
		switch {
		case cr.Status != "completed":
			out = checkMissing
		case cr.Conclusion == "success" || cr.Conclusion == "neutral" || cr.Conclusion == "skipped":
			out = checkPassed
		default:
			out = checkFailed
		}
	}
	return out
}

// checksRefusal says why branch's required checks block sha, or "".
func (s *Server) checksRefusal(branch, sha string) string {
	prot := s.protection[branch]
	if prot == nil {
		return ""
	}
	for _, ctx := range prot.Contexts {
		switch s.checkOn(sha, ctx) {
		case checkMissing:
			return fmt.Sprintf("Required status check %q is expected.", ctx)
		case checkFailed:
			return fmt.Sprintf("Required status check %q is failing.", ctx)
		}
	}
	return ""
}

// mergeState is what GitHub reports of a pull request's mergeability.
type mergeState struct {
	Mergeable *bool  // nil once closed
	State     string // clean, dirty, blocked, draft, unknown
	Tree      string // the merged tree when mergeable
}

func (s *Server) mergeStateOf(ctx context.Context, p *pull) (mergeState, error) {
	if p.State != "open" {
		return mergeState{State: "unknown"}, nil
	}
	base, head := s.baseOf(p), s.headOf(p)
	tree, clean, err := s.mergeTree(ctx, base, head)
	if err != nil {
		return mergeState{}, err
	}
	m := mergeState{Mergeable: &clean, Tree: tree}
	switch {
	case !clean:
		m.State = "dirty"
	case p.Draft:
		m.State = "draft"
	case s.checksRefusal(p.Base, head) != "":
		m.State = "blocked"
	default:
		m.State = "clean"
	}
	return m, nil
}

// mergeRequest is a merge as the endpoint (or a person) asks for it.
type mergeRequest struct {
	By      string // login pressing Merge
	SHA     string // head the merger saw; "" to take the current one
	Method  string // merge (default), squash; rebase is refused
	Title   string
	Message string
}

// merge applies GitHub's rules and, if they hold, writes the merge commit
// and moves the base branch. Callers hold mu.
func (s *Server) merge(ctx context.Context, p *pull, req mergeRequest) (string, error) {
	if p.State != "open" {
		return "", &MergeError{Status: http.StatusMethodNotAllowed, Message: msgNotMergeable}
	}
	head, base := s.headOf(p), s.baseOf(p)
	if req.SHA != "" && req.SHA != head {
		return "", &MergeError{Status: http.StatusConflict, Message: msgHeadModified}
	}
	switch req.Method {
	case "", "merge", "squash":
	case "rebase":
		return "", &MergeError{Status: http.StatusMethodNotAllowed, Message: "Rebase merges are not allowed on this repository."}
	default:
		return "", &MergeError{Status: http.StatusUnprocessableEntity, Message: "Invalid merge_method"}
	}
	if p.Draft {
		return "", &MergeError{Status: http.StatusMethodNotAllowed, Message: "Pull Request is still a draft"}
	}
	tree, clean, err := s.mergeTree(ctx, base, head)
	if err != nil {
		return "", err
	}
	if !clean {
		return "", &MergeError{Status: http.StatusMethodNotAllowed, Message: msgNotMergeable}
	}
	if why := s.checksRefusal(p.Base, head); why != "" {
		return "", &MergeError{Status: http.StatusMethodNotAllowed, Message: why}
	}
	now := time.Now().UTC().Truncate(time.Second)
	author := s.actorSig(req.By, now)
	var parents []string
	var title string
	if req.Method == "squash" {
		parents = []string{base}
		title = fmt.Sprintf("%s (#%d)", p.Title, p.Number)
		author = s.actorSig(p.User, now)
	} else {
		parents = []string{base, head}
		title = fmt.Sprintf("Merge pull request #%d from %s/%s", p.Number, s.opts.Owner, p.Head)
	}
	if req.Title != "" {
		title = req.Title
	}
	body := req.Message
	if body == "" && req.Method != "squash" {
		body = p.Title
	}
	msg := title // no trailing newline, as GitHub writes merge messages
	if body != "" {
		msg += "\n\n" + body
	}
	sha, err := s.git.writeCommit(ctx, tree, parents, author, webFlow(now), msg)
	if err != nil {
		return "", err
	}
	if err := s.setRef(ctx, "refs/heads/"+p.Base, sha, req.By); err != nil {
		return "", err
	}
	p.HeadSHA, p.BaseSHA = head, base
	p.State, p.Merged, p.MergedAt, p.ClosedAt, p.UpdatedAt = "closed", true, now, now, now
	p.MergedBy, p.MergeSHA = req.By, sha
	s.pullEvent(ctx, "closed", p, req.By, nil)
	return sha, nil
}

// actorSig is the commit identity of a login, the App's bot included.
func (s *Server) actorSig(login string, when time.Time) signature {
	if a := s.appByBot(login); a != nil {
		return botSig(a, when)
	}
	return personSig(login, when)
}

// closePull closes p where its head (or base) branch stands now.
func (s *Server) closePull(p *pull, now time.Time, sender string) {
	p.HeadSHA, p.BaseSHA = s.headOf(p), s.baseOf(p)
	p.State, p.ClosedAt, p.UpdatedAt = "closed", now, now
	s.pullEvent(context.Background(), "closed", p, sender, nil)
}

// pullByNumber finds a pull request; nil for a plain issue or nothing.
func (s *Server) pullByNumber(n int) *pull {
	i, found := slices.BinarySearchFunc(s.pulls, n, func(p *pull, n int) int { return p.Number - n })
	if !found {
		return nil
	}
	return s.pulls[i]
}

// issueByNumber finds a plain issue; nil for a pull request or nothing.
func (s *Server) issueByNumber(n int) *issue {
	i, found := slices.BinarySearchFunc(s.issues, n, func(is *issue, n int) int { return is.Number - n })
	if !found {
		return nil
	}
	return s.issues[i]
}

// conversationOf finds what issue number n names, a pull request or a
// plain issue; nil when it is neither.
func (s *Server) conversationOf(n int) *conversation {
	if p := s.pullByNumber(n); p != nil {
		return &p.conversation
	}
	if is := s.issueByNumber(n); is != nil {
		return &is.conversation
	}
	return nil
}
