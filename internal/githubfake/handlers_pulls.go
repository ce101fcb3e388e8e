package githubfake

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// headBranch reads pulls' "head": "branch" or "owner:branch" (forks are
// not modelled, so another owner matches nothing).
func (s *Server) headBranch(head string) (string, bool) {
	owner, branch, found := strings.Cut(head, ":")
	if !found {
		return head, true
	}
	return branch, strings.EqualFold(owner, s.opts.Owner)
}

func (s *Server) listPulls(ctx context.Context, c *call) reply {
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var head string
	headOK := true
	if h := q.Get("head"); h != "" {
		head, headOK = s.headBranch(h)
	}
	var list []*pull
	for _, p := range s.pulls {
		if (state != "all" && p.State != state) || !headOK ||
			(head != "" && p.Head != head) || (q.Get("base") != "" && p.Base != q.Get("base")) {
			continue
		}
		list = append(list, p)
	}
	// sort=created (default) or updated, direction desc by default.
	key := func(p *pull) time.Time { return p.CreatedAt }
	if q.Get("sort") == "updated" {
		key = func(p *pull) time.Time { return p.UpdatedAt }
	}
	slices.SortStableFunc(list, func(a, b *pull) int {
		if c := key(a).Compare(key(b)); c != 0 {
			return c
		}
		return a.Number - b.Number
	})
	if q.Get("direction") != "asc" {
		slices.Reverse(list)
	}
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(list), perPage, page)
	out := make([]map[string]any, 0, to-from)
	for _, p := range list[from:to] {
		out = append(out, s.pullSimple(p))
	}
	rep := ok(out)
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}

func (s *Server) createPull(ctx context.Context, c *call) reply {
	var req struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
		Draft bool   `json:"draft"`
		Issue int64  `json:"issue"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if req.Issue != 0 {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "issue", Code: "invalid"})
	}
	if req.Title == "" {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "title", Code: "missing_field"})
	}
	branch, sameOwner := s.headBranch(req.Head)
	headSHA, headExists := s.branchSHA(branch)
	if !sameOwner || !headExists {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "head", Code: "invalid"})
	}
	baseSHA, baseExists := s.branchSHA(req.Base)
	if !baseExists {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "base", Code: "invalid"})
	}
	for _, p := range s.pulls {
		if p.State == "open" && p.Head == branch && p.Base == req.Base {
			return validationFailed(fieldError{Resource: "PullRequest", Code: "custom",
				Message: "A pull request already exists for " + s.opts.Owner + ":" + branch + "."})
		}
	}
	n, err := s.commitsBetween(ctx, baseSHA, headSHA)
	if err != nil {
		return s.internalError(c, err)
	}
	if n == 0 {
		return validationFailed(fieldError{Resource: "PullRequest", Code: "custom",
			Message: "No commits between " + req.Base + " and " + branch})
	}
	now := time.Now().UTC().Truncate(time.Second)
	p := &pull{
		ID: s.newID(), Title: req.Title, Body: req.Body, State: "open", Draft: req.Draft,
		User: c.actor, Head: branch, Base: req.Base, HeadSHA: headSHA, BaseSHA: baseSHA, CreatedAt: now,
	}
	p.Number, p.UpdatedAt = s.newNumber(), now
	s.pulls = append(s.pulls, p)
	s.pullEvent(ctx, "opened", p, c.actor, nil)
	out, err := s.pullFull(ctx, p)
	if err != nil {
		return s.internalError(c, err)
	}
	return created(out)
}

// pullParam finds {pull_number}; a plain issue's number finds nothing.
func (s *Server) pullParam(c *call, name string) *pull {
	n, err := strconv.Atoi(c.params[name])
	if err != nil {
		return nil
	}
	return s.pullByNumber(n)
}

func (s *Server) getPull(ctx context.Context, c *call) reply {
	p := s.pullParam(c, "pull_number")
	if p == nil {
		return notFound()
	}
	out, err := s.pullFull(ctx, p)
	if err != nil {
		return s.internalError(c, err)
	}
	return ok(out)
}

func (s *Server) updatePull(ctx context.Context, c *call) reply {
	p := s.pullParam(c, "pull_number")
	if p == nil {
		return notFound()
	}
	var req struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	now := time.Now().UTC().Truncate(time.Second)
	if req.Base != nil && *req.Base != p.Base {
		if p.State != "open" {
			return validationFailed(fieldError{Resource: "PullRequest", Field: "base", Code: "invalid", Message: "Cannot change the base branch of a closed pull request."})
		}
		if _, ok := s.branchSHA(*req.Base); !ok {
			return validationFailed(fieldError{Resource: "PullRequest", Field: "base", Code: "invalid"})
		}
	}
	if req.State != nil && *req.State == "open" && p.State == "closed" {
		if p.Merged {
			return validationFailed(fieldError{Resource: "PullRequest", Field: "state", Code: "invalid", Message: "Cannot reopen a merged pull request."})
		}
		if _, ok := s.branchSHA(p.Head); !ok {
			return validationFailed(fieldError{Resource: "PullRequest", Field: "state", Code: "invalid", Message: "Cannot reopen: the head branch was deleted."})
		}
		for _, o := range s.pulls {
			if o != p && o.State == "open" && o.Head == p.Head && o.Base == p.Base {
				return validationFailed(fieldError{Resource: "PullRequest", Code: "custom", Message: "A pull request already exists for " + s.opts.Owner + ":" + p.Head + "."})
			}
		}
	}
	changes := map[string]any{}
	if req.Title != nil && *req.Title != p.Title {
		changes["title"] = map[string]any{"from": p.Title}
		p.Title = *req.Title
	}
	if req.Body != nil && *req.Body != p.Body {
		changes["body"] = map[string]any{"from": p.Body}
		p.Body = *req.Body
	}
	if req.Base != nil && *req.Base != p.Base {
		changes["base"] = map[string]any{"ref": map[string]any{"from": p.Base}, "sha": map[string]any{"from": s.baseOf(p)}}
		p.Base = *req.Base
	}
	if len(changes) > 0 {
		p.UpdatedAt = now
		s.pullEvent(ctx, "edited", p, c.actor, map[string]any{"changes": changes})
	}
	if req.State != nil && *req.State != p.State {
		if *req.State == "closed" {
			s.closePull(p, now, c.actor)
		} else {
			p.State, p.ClosedAt, p.UpdatedAt = "open", time.Time{}, now
			s.pullEvent(ctx, "reopened", p, c.actor, nil)
		}
	}
	p.UpdatedAt = now
	out, err := s.pullFull(ctx, p)
	if err != nil {
		return s.internalError(c, err)
	}
	return ok(out)
}

func (s *Server) mergePull(ctx context.Context, c *call) reply {
	p := s.pullParam(c, "pull_number")
	if p == nil {
		return notFound()
	}
	var req struct {
		SHA     string `json:"sha"`
		Method  string `json:"merge_method"`
		Title   string `json:"commit_title"`
		Message string `json:"commit_message"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	sha, err := s.merge(ctx, p, mergeRequest{By: c.actor, SHA: req.SHA, Method: req.Method, Title: req.Title, Message: req.Message})
	var me *MergeError
	if errors.As(err, &me) {
		if me.Status == http.StatusUnprocessableEntity {
			return validationFailed(fieldError{Resource: "PullRequest", Field: "merge_method", Code: "invalid"})
		}
		return apiError(me.Status, me.Message)
	}
	if err != nil {
		return s.internalError(c, err)
	}
	return ok(map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

func (s *Server) listPullFiles(ctx context.Context, c *call) reply {
	p := s.pullParam(c, "pull_number")
	if p == nil {
		return notFound()
	}
	base, head := s.baseOf(p), s.headOf(p)
	d, err := s.diffStats(ctx, base, head)
	if err == nil {
		d, err = s.withPatches(ctx, base, head, d)
	}
	if err != nil {
		return s.internalError(c, err)
	}
	files := s.filesJSON(head, d)
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(files), perPage, page)
	rep := ok(files[from:to])
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}
