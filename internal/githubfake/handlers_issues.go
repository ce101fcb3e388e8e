package githubfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// labelColors are GitHub's palette for labels made on the fly.
var labelColors = []string{"0e8a16", "1d76db", "5319e7", "b60205", "d93f0b", "fbca04", "006b75", "ededed"}

// issueParam finds what {issue_number} names: a pull request or a plain
// issue.
func (s *Server) issueParam(c *call) *conversation {
	n, err := strconv.Atoi(c.params["issue_number"])
	if err != nil {
		return nil
	}
	return s.conversationOf(n)
}

func (s *Server) addLabels(ctx context.Context, c *call) reply {
	p := s.issueParam(c)
	if p == nil {
		return notFound()
	}
	names, err := labelNames(c.body)
	if err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if len(names) == 0 {
		return validationFailed(fieldError{Resource: "Label", Field: "labels", Code: "missing_field"})
	}
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			return validationFailed(fieldError{Resource: "Label", Field: "name", Code: "missing_field"})
		}
		key := strings.ToLower(name)
		l := s.labels[key]
		if l == nil { // GitHub creates labels it does not know
			l = &label{ID: s.newID(), Name: name, Color: labelColors[len(s.labels)%len(labelColors)]}
			s.labels[key] = l
		}
		if !containsFold(p.Labels, l.Name) {
			p.Labels = append(p.Labels, l.Name)
		}
	}
	p.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	out := make([]map[string]any, 0, len(p.Labels))
	for _, name := range p.Labels {
		out = append(out, s.labelJSON(s.labels[strings.ToLower(name)]))
	}
	return ok(out)
}

// labelNames reads add-labels' body: a bare array of names, or
// {"labels": [name | {"name": …}]}.
func labelNames(body []byte) ([]string, error) {
	var bare []string
	if err := json.Unmarshal(body, &bare); err == nil {
		return bare, nil
	}
	var obj struct {
		Labels []json.RawMessage `json:"labels"`
	}
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	var names []string
	for _, raw := range obj.Labels {
		var name string
		if err := json.Unmarshal(raw, &name); err == nil {
			names = append(names, name)
			continue
		}
		var named struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &named); err != nil {
			return nil, err
		}
		names = append(names, named.Name)
	}
	return names, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func (s *Server) commentJSON(cm *comment) map[string]any {
	api := s.repoAPI()
	kind := "issues"
	if s.pullByNumber(cm.Issue) != nil {
		kind = "pull"
	}
	return map[string]any{
		"id":                 cm.ID,
		"node_id":            nodeID("IssueComment", cm.ID),
		"url":                fmt.Sprintf("%s/issues/comments/%d", api, cm.ID),
		"html_url":           fmt.Sprintf("%s/%s/%d#issuecomment-%d", s.repoHTML(), kind, cm.Issue, cm.ID),
		"issue_url":          fmt.Sprintf("%s/issues/%d", api, cm.Issue),
		"body":               cm.Body,
		"user":               s.user(cm.User),
		"created_at":         stamp(cm.CreatedAt),
		"updated_at":         stamp(cm.UpdatedAt),
		"author_association": s.association(cm.User),
	}
}

// association is a commenter's author_association: the fake knows
// collaborators (SetPermission) and no one else.
func (s *Server) association(login string) string {
	if _, found := s.collabs[strings.ToLower(login)]; found {
		return "COLLABORATOR"
	}
	return "NONE"
}

func (s *Server) createComment(ctx context.Context, c *call) reply {
	p := s.issueParam(c)
	if p == nil {
		return notFound()
	}
	var req struct {
		Body *string `json:"body"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if req.Body == nil || *req.Body == "" {
		return validationFailed(fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
	}
	cm := s.addComment(p, c.actor, *req.Body)
	return created(s.commentJSON(cm))
}

func (s *Server) addComment(cv *conversation, login, body string) *comment {
	now := time.Now().UTC().Truncate(time.Second)
	cm := &comment{ID: s.newID(), Issue: cv.Number, User: login, Body: body, CreatedAt: now, UpdatedAt: now}
	s.comments = append(s.comments, cm)
	cv.Comments = append(cv.Comments, cm.ID)
	cv.UpdatedAt = now
	s.commentEvent(cm)
	return cm
}

func (s *Server) listComments(ctx context.Context, c *call) reply {
	p := s.issueParam(c)
	if p == nil {
		return notFound()
	}
	var since time.Time
	if v := c.r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return validationFailed(fieldError{Resource: "IssueComment", Field: "since", Code: "invalid"})
		}
		since = t
	}
	var list []*comment
	for _, cm := range s.comments {
		if cm.Issue == p.Number && !cm.CreatedAt.Before(since) {
			list = append(list, cm)
		}
	}
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(list), perPage, page)
	out := make([]map[string]any, 0, to-from)
	for _, cm := range list[from:to] {
		out = append(out, s.commentJSON(cm))
	}
	rep := ok(out)
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}

// updateComment edits an issue comment's body. Only its author may: an
// App editing a person's comment gets GitHub's 403.
func (s *Server) updateComment(ctx context.Context, c *call) reply {
	id, err := strconv.ParseInt(c.params["comment_id"], 10, 64)
	cm := s.commentByID(id)
	if err != nil || cm == nil {
		return notFound()
	}
	var req struct {
		Body *string `json:"body"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if req.Body == nil || *req.Body == "" {
		return validationFailed(fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
	}
	if cm.User != c.actor {
		return apiError(http.StatusForbidden, "Resource not accessible by integration")
	}
	cm.Body, cm.UpdatedAt = *req.Body, time.Now().UTC().Truncate(time.Second)
	return ok(s.commentJSON(cm))
}
