package githubfake

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Plain issues through the REST API: list (pull requests too, as GitHub
// lists them), create and edit, each sending the issues event GitHub
// sends.

// listIssues answers issues/list-for-repo: state (open by default),
// labels (every one named), creator; newest first unless asked otherwise.
// Pull requests are issues to this endpoint, with pull_request links.
func (s *Server) listIssues(ctx context.Context, c *call) reply {
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		for _, name := range strings.Split(l, ",") {
			want = append(want, strings.TrimSpace(name))
		}
	}
	creator := q.Get("creator")
	type entry struct {
		number  int
		created time.Time
		updated time.Time
	}
	var list []entry
	consider := func(cv *conversation, st, user string, created time.Time) {
		if state != "all" && st != state {
			return
		}
		if creator != "" && !strings.EqualFold(creator, user) {
			return
		}
		for _, l := range want {
			if !containsFold(cv.Labels, l) {
				return
			}
		}
		list = append(list, entry{cv.Number, created, cv.UpdatedAt})
	}
	for _, p := range s.pulls {
		consider(&p.conversation, p.State, p.User, p.CreatedAt)
	}
	for _, is := range s.issues {
		consider(&is.conversation, is.State, is.User, is.CreatedAt)
	}
	key := func(e entry) time.Time { return e.created }
	if q.Get("sort") == "updated" {
		key = func(e entry) time.Time { return e.updated }
	}
	slices.SortStableFunc(list, func(a, b entry) int {
		if c := key(a).Compare(key(b)); c != 0 {
			return c
		}
		return a.number - b.number
	})
	if q.Get("direction") != "asc" {
		slices.Reverse(list)
	}
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(list), perPage, page)
	out := make([]map[string]any, 0, to-from)
	for _, e := range list[from:to] {
		out = append(out, s.hookIssue(e.number))
	}
	rep := ok(out)
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}

// issueFields are what create and update read; a title may be a number,
// as GitHub's description allows.
type issueFields struct {
	Title  json.RawMessage `json:"title"`
	Body   *string         `json:"body"`
	State  *string         `json:"state"`
	Labels []string        `json:"labels"`
}

func (f issueFields) title() (string, bool) {
	if len(f.Title) == 0 || string(f.Title) == "null" {
		return "", false
	}
	var s string
	if err := json.Unmarshal(f.Title, &s); err == nil {
		return s, true
	}
	return strings.TrimSpace(string(f.Title)), true
}

// createIssue answers issues/create: the caller opens an issue, with
// labels made on the fly where GitHub would.
func (s *Server) createIssue(ctx context.Context, c *call) reply {
	var req issueFields
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	title, ok := req.title()
	if !ok || strings.TrimSpace(title) == "" {
		return validationFailed(fieldError{Resource: "Issue", Field: "title", Code: "missing_field"})
	}
	now := time.Now().UTC().Truncate(time.Second)
	is := &issue{ID: s.newID(), Title: title, State: "open", User: c.actor, CreatedAt: now}
	if req.Body != nil {
		is.Body = *req.Body
	}
	is.Number, is.UpdatedAt = s.newNumber(), now
	s.setLabels(&is.conversation, req.Labels)
	s.issues = append(s.issues, is)
	s.issueEvent("opened", is, c.actor, nil)
	return created(s.hookIssue(is.Number))
}

// setLabels adds labels by name, making those GitHub does not know yet.
func (s *Server) setLabels(cv *conversation, names []string) {
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			continue
		}
		key := strings.ToLower(name)
		l := s.labels[key]
		if l == nil {
			l = &label{ID: s.newID(), Name: name, Color: labelColors[len(s.labels)%len(labelColors)]}
			s.labels[key] = l
		}
		if !containsFold(cv.Labels, l.Name) {
			cv.Labels = append(cv.Labels, l.Name)
		}
	}
}

// updateIssue answers issues/update for a plain issue: title, body and
// state; an edit of title or body sends issues edited with what they were.
func (s *Server) updateIssue(ctx context.Context, c *call) reply {
	cv := s.issueParam(c)
	if cv == nil {
		return notFound()
	}
	is := s.issueByNumber(cv.Number)
	if is == nil {
		// Editing a pull request through this endpoint is GitHub's too,
		// and nothing stagehand does.
		return apiError(http.StatusUnprocessableEntity, "the stand-in edits plain issues only")
	}
	var req issueFields
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	var title *string
	if t, ok := req.title(); ok {
		if strings.TrimSpace(t) == "" {
			return validationFailed(fieldError{Resource: "Issue", Field: "title", Code: "missing_field"})
		}
		title = &t
	}
	if req.State != nil && *req.State != "open" && *req.State != "closed" {
		return validationFailed(fieldError{Resource: "Issue", Field: "state", Code: "invalid"})
	}
	s.editIssue(is, c.actor, title, req.Body, req.State)
	return ok(s.hookIssue(is.Number))
}

// editIssue changes an issue as login and sends what GitHub sends: edited
// with the old title and body, closed or reopened. Callers hold mu.
func (s *Server) editIssue(is *issue, login string, title, body, state *string) {
	now := time.Now().UTC().Truncate(time.Second)
	changes := map[string]any{}
	if title != nil && *title != is.Title {
		changes["title"] = map[string]any{"from": is.Title}
		is.Title = *title
	}
	if body != nil && *body != is.Body {
		changes["body"] = map[string]any{"from": is.Body}
		is.Body = *body
	}
	if len(changes) > 0 {
		is.UpdatedAt = now
		s.issueEvent("edited", is, login, map[string]any{"changes": changes})
	}
	if state != nil && *state != is.State {
		is.State, is.UpdatedAt = *state, now
		action := "reopened"
		if is.State == "closed" {
			is.ClosedAt, action = now, "closed"
		} else {
			is.ClosedAt = time.Time{}
		}
		s.issueEvent(action, is, login, nil)
	}
}

// issueEvent sends issues with action. Callers hold mu.
func (s *Server) issueEvent(action string, is *issue, sender string, extra map[string]any) {
	if !s.hooksOn() {
		return
	}
	payload := s.hookEnvelope(sender)
	payload["action"] = action
	payload["issue"] = s.hookIssue(is.Number)
	for k, v := range extra {
		payload[k] = v
	}
	s.enqueue("issues", action, payload)
}
