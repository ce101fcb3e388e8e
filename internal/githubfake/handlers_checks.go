package githubfake

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// requiredChecksJSON renders "status-check-policy".
func (s *Server) requiredChecksJSON(branch string, prot *protection) map[string]any {
	url := s.repoAPI() + "/branches/" + pathEscape(branch) + "/protection/required_status_checks"
	checks := make([]map[string]any, 0, len(prot.Contexts))
	for _, ctx := range prot.Contexts {
		checks = append(checks, map[string]any{"context": ctx, "app_id": nil})
	}
	return map[string]any{
		"url":          url,
		"strict":       false,
		"contexts":     append([]string{}, prot.Contexts...),
		"contexts_url": url + "/contexts",
		"checks":       checks,
	}
}

func (s *Server) getStatusChecksProtection(ctx context.Context, c *call) reply {
	branch := c.params["branch"]
	if _, exists := s.branchSHA(branch); !exists {
		return apiError(http.StatusNotFound, "Branch not found")
	}
	prot := s.protection[branch]
	if prot == nil {
		return apiError(http.StatusNotFound, "Branch not protected")
	}
	if len(prot.Contexts) == 0 {
		return apiError(http.StatusNotFound, "Required status checks not enabled")
	}
	return ok(s.requiredChecksJSON(branch, prot))
}

func (s *Server) statusJSON(st *commitStatus) map[string]any {
	creator := s.user(st.Creator)
	var desc, target any
	if st.Description != nil {
		desc = *st.Description
	}
	if st.TargetURL != nil {
		target = *st.TargetURL
	}
	return map[string]any{
		"url":         s.repoAPI() + "/statuses/" + st.SHA,
		"avatar_url":  creator["avatar_url"],
		"id":          st.ID,
		"node_id":     nodeID("StatusContext", st.ID),
		"state":       st.State,
		"description": desc,
		"target_url":  target,
		"context":     st.Context,
		"created_at":  stamp(st.CreatedAt),
		"updated_at":  stamp(st.CreatedAt),
		"creator":     creator,
	}
}

// latestStatuses keeps the newest status per context (case-insensitive),
// newest first, as the combined status lists them.
func latestStatuses(all []*commitStatus) []*commitStatus {
	seen := map[string]bool{}
	var out []*commitStatus
	for i := len(all) - 1; i >= 0; i-- {
		key := strings.ToLower(all[i].Context)
		if !seen[key] {
			seen[key] = true
			out = append(out, all[i])
		}
	}
	return out
}

// combinedState folds statuses as GitHub does: any error or failure fails,
// then any pending (or none at all) is pending, else success.
func combinedState(list []*commitStatus) string {
	state := "success"
	if len(list) == 0 {
		return "pending"
	}
	for _, st := range list {
		switch st.State {
		case "error", "failure":
			return "failure"
		case "pending":
			state = "pending"
		}
	}
	return state
}

func (s *Server) getCombinedStatus(ctx context.Context, c *call) reply {
	sha, err := s.resolveCommit(ctx, c.params["ref"])
	if errors.Is(err, errNoObject) {
		return notFound()
	} else if err != nil {
		return s.internalError(c, err)
	}
	list := latestStatuses(s.statuses[sha])
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(list), perPage, page)
	statuses := make([]map[string]any, 0, to-from)
	for _, st := range list[from:to] {
		j := s.statusJSON(st)
		delete(j, "creator")
		statuses = append(statuses, j)
	}
	rep := ok(map[string]any{
		"state":       combinedState(list),
		"statuses":    statuses,
		"sha":         sha,
		"total_count": len(list),
		"repository":  s.minimalRepository(),
		"commit_url":  s.repoAPI() + "/commits/" + sha,
		"url":         s.repoAPI() + "/commits/" + sha + "/status",
	})
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}

func (s *Server) createCommitStatus(ctx context.Context, c *call) reply {
	var req struct {
		State       string  `json:"state"`
		TargetURL   *string `json:"target_url"`
		Description *string `json:"description"`
		Context     string  `json:"context"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	switch req.State {
	case "error", "failure", "pending", "success":
	default:
		return validationFailed(fieldError{Resource: "Status", Field: "state", Code: "invalid"})
	}
	sha, err := s.resolveCommit(ctx, c.params["sha"])
	if errors.Is(err, errNoObject) {
		return unprocessable("No commit found for SHA: " + c.params["sha"])
	} else if err != nil {
		return s.internalError(c, err)
	}
	st := s.addStatus(sha, req.State, req.Context, c.actor, req.Description, req.TargetURL)
	return created(s.statusJSON(st))
}

func (s *Server) addStatus(sha, state, name, creator string, desc, target *string) *commitStatus {
	if name == "" {
		name = "default"
	}
	st := &commitStatus{ID: s.newID(), SHA: sha, State: state, Context: name, Description: desc, TargetURL: target,
		Creator: creator, CreatedAt: time.Now().UTC()}
	s.statuses[sha] = append(s.statuses[sha], st)
	s.statusEvent(st)
	return st
}

func (s *Server) listCheckRuns(ctx context.Context, c *call) reply {
	sha, err := s.resolveCommit(ctx, c.params["ref"])
	if errors.Is(err, errNoObject) {
		return unprocessable("No commit found for SHA: " + c.params["ref"])
	} else if err != nil {
		return s.internalError(c, err)
	}
	q := c.r.URL.Query()
	all := s.checkRuns[sha]
	var list []*checkRun
	seen := map[string]bool{}
	for i := len(all) - 1; i >= 0; i-- { // newest first; filter=latest (default) keeps one per name
		cr := all[i]
		if (q.Get("check_name") != "" && cr.Name != q.Get("check_name")) || (q.Get("status") != "" && cr.Status != q.Get("status")) {
			continue
		}
		if q.Get("filter") != "all" && seen[cr.Name] {
			continue
		}
		seen[cr.Name] = true
		list = append(list, cr)
	}
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(list), perPage, page)
	runs := make([]map[string]any, 0, to-from)
	for _, cr := range list[from:to] {
		runs = append(runs, s.checkRunJSON(cr))
	}
	rep := ok(map[string]any{"total_count": len(list), "check_runs": runs})
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}
