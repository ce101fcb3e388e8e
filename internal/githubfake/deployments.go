package githubfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Deployment is a snapshot of one deployment and its statuses, oldest
// first.
type Deployment struct {
	ID          int64
	Ref, SHA    string
	Environment string
	Task        string
	Description string
	Payload     map[string]any // nil when the payload was a string
	Creator     string
	Statuses    []DeploymentStatus
}

// DeploymentStatus is one state a deployment went through.
type DeploymentStatus struct {
	State       string
	Description string
	LogURL      string
	Creator     string
}

type deployment struct {
	ID                         int64
	Ref, SHA, Environment      string
	Task, Description, Creator string
	Payload                    any
	Transient, Production      bool
	CreatedAt                  time.Time
	Statuses                   []*deploymentStatus
}

type deploymentStatus struct {
	ID                                  int64
	State, Description, Creator         string
	LogURL, EnvironmentURL, Environment string
	CreatedAt                           time.Time
}

// Deployments returns every deployment of the repository, oldest first.
func (s *Server) Deployments() []Deployment {
	if err := s.lock(); err != nil {
		return nil
	}
	defer s.mu.Unlock()
	out := make([]Deployment, 0, len(s.deployments))
	for _, d := range s.deployments {
		cp := Deployment{ID: d.ID, Ref: d.Ref, SHA: d.SHA, Environment: d.Environment, Task: d.Task, Description: d.Description, Creator: d.Creator}
		if p, ok := d.Payload.(map[string]any); ok {
			cp.Payload = p
		}
		for _, st := range d.Statuses {
			cp.Statuses = append(cp.Statuses, DeploymentStatus{State: st.State, Description: st.Description, LogURL: st.LogURL, Creator: st.Creator})
		}
		out = append(out, cp)
	}
	return out
}

func (s *Server) deploymentByID(id string) *deployment {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	for _, d := range s.deployments {
		if d.ID == n {
			return d
		}
	}
	return nil
}

func (s *Server) createDeployment(ctx context.Context, c *call) reply {
	var req struct {
		Ref              string    `json:"ref"`
		Task             *string   `json:"task"`
		AutoMerge        *bool     `json:"auto_merge"`
		RequiredContexts *[]string `json:"required_contexts"`
		Payload          any       `json:"payload"`
		Environment      *string   `json:"environment"`
		Description      *string   `json:"description"`
		Transient        bool      `json:"transient_environment"`
		Production       *bool     `json:"production_environment"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	sha, err := s.resolveCommit(ctx, req.Ref)
	if errors.Is(err, errNoObject) {
		return validationFailed(fieldError{Resource: "Deployment", Field: "ref", Code: "invalid"})
	} else if err != nil {
		return s.internalError(c, err)
	}
	if req.AutoMerge == nil || *req.AutoMerge {
		// GitHub would merge the default branch into ref first; the
		// stand-in does not, and says so rather than pretend.
		return apiError(http.StatusConflict, "the stand-in does not auto-merge; send auto_merge: false")
	}
	if req.RequiredContexts == nil {
		// GitHub then requires every context on ref to be success; the
		// stand-in checks only the explicit, empty list.
		return apiError(http.StatusConflict, "the stand-in needs required_contexts; send [] to skip the check")
	}
	if len(*req.RequiredContexts) > 0 {
		states := map[string]string{}
		for _, st := range latestStatuses(s.statuses[sha]) {
			states[st.Context] = st.State
		}
		for _, ctxName := range *req.RequiredContexts {
			if states[ctxName] != "success" {
				return apiError(http.StatusConflict, fmt.Sprintf("Conflict: Commit status checks failed for %s.", req.Ref))
			}
		}
	}
	d := &deployment{ID: s.newID(), Ref: req.Ref, SHA: sha, Environment: "production", Task: "deploy", Creator: c.actor,
		Payload: req.Payload, Transient: req.Transient, CreatedAt: time.Now().UTC()}
	if req.Environment != nil {
		d.Environment = *req.Environment
	}
	if req.Task != nil {
		d.Task = *req.Task
	}
	if req.Description != nil {
		d.Description = *req.Description
	}
	d.Production = d.Environment == "production"
	if req.Production != nil {
		d.Production = *req.Production
	}
	if d.Payload == nil {
		d.Payload = map[string]any{}
	}
	if str, ok := d.Payload.(string); ok && str != "" {
		// GitHub stores a JSON string payload as the object it encodes.
		var obj map[string]any
		if json.Unmarshal([]byte(str), &obj) == nil {
			d.Payload = obj
		}
	}
	s.deployments = append(s.deployments, d)
	return created(s.deploymentJSON(d))
}

func (s *Server) listDeployments(ctx context.Context, c *call) reply {
	q := c.r.URL.Query()
	var list []*deployment
	for i := len(s.deployments) - 1; i >= 0; i-- { // newest first
		d := s.deployments[i]
		if (q.Get("sha") != "" && d.SHA != q.Get("sha")) || (q.Get("ref") != "" && d.Ref != q.Get("ref")) ||
			(q.Get("task") != "" && d.Task != q.Get("task")) || (q.Get("environment") != "" && d.Environment != q.Get("environment")) {
			continue
		}
		list = append(list, d)
	}
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(list), perPage, page)
	out := make([]map[string]any, 0, to-from)
	for _, d := range list[from:to] {
		out = append(out, s.deploymentJSON(d))
	}
	rep := ok(out)
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}

func (s *Server) createDeploymentStatus(ctx context.Context, c *call) reply {
	d := s.deploymentByID(c.params["deployment_id"])
	if d == nil {
		return notFound()
	}
	var req struct {
		State          string  `json:"state"`
		TargetURL      *string `json:"target_url"`
		LogURL         *string `json:"log_url"`
		Description    *string `json:"description"`
		Environment    *string `json:"environment"`
		EnvironmentURL *string `json:"environment_url"`
		AutoInactive   *bool   `json:"auto_inactive"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	st := &deploymentStatus{ID: s.newID(), State: req.State, Creator: c.actor, Environment: d.Environment, CreatedAt: time.Now().UTC()}
	if req.Description != nil {
		st.Description = *req.Description
	}
	if req.LogURL != nil {
		st.LogURL = *req.LogURL
	} else if req.TargetURL != nil {
		st.LogURL = *req.TargetURL
	}
	if req.EnvironmentURL != nil {
		st.EnvironmentURL = *req.EnvironmentURL
	}
	if req.Environment != nil {
		st.Environment = *req.Environment
	}
	d.Statuses = append(d.Statuses, st)
	if st.State == "success" && (req.AutoInactive == nil || *req.AutoInactive) {
		// GitHub marks the environment's earlier deployments inactive.
		for _, o := range s.deployments {
			if o != d && o.Environment == d.Environment && !o.Transient && len(o.Statuses) > 0 && o.Statuses[len(o.Statuses)-1].State != "inactive" {
				o.Statuses = append(o.Statuses, &deploymentStatus{ID: s.newID(), State: "inactive", Creator: c.actor, Environment: o.Environment, CreatedAt: st.CreatedAt})
			}
		}
	}
	return created(s.deploymentStatusJSON(d, st))
}

func (s *Server) listDeploymentStatuses(ctx context.Context, c *call) reply {
	d := s.deploymentByID(c.params["deployment_id"])
	if d == nil {
		return notFound()
	}
	perPage, page := pageParams(c)
	list := make([]*deploymentStatus, 0, len(d.Statuses))
	for i := len(d.Statuses) - 1; i >= 0; i-- { // newest first
		list = append(list, d.Statuses[i])
	}
	from, to, more, last := paginate(len(list), perPage, page)
	out := make([]map[string]any, 0, to-from)
	for _, st := range list[from:to] {
		out = append(out, s.deploymentStatusJSON(d, st))
	}
	rep := ok(out)
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}

func (s *Server) deploymentURL(d *deployment) string {
	return fmt.Sprintf("%s/deployments/%d", s.repoAPI(), d.ID)
}

// performedBy is the App a bot acts for, as GitHub shows it; nil for people.
func (s *Server) performedBy(actor string) any {
	if a := s.appByBot(actor); a != nil {
		return s.appJSON(a)
	}
	return nil
}

func (s *Server) deploymentJSON(d *deployment) map[string]any {
	return map[string]any{
		"url":                      s.deploymentURL(d),
		"id":                       d.ID,
		"node_id":                  nodeID("Deployment", d.ID),
		"sha":                      d.SHA,
		"ref":                      d.Ref,
		"task":                     d.Task,
		"payload":                  d.Payload,
		"original_environment":     d.Environment,
		"environment":              d.Environment,
		"description":              nullString(d.Description),
		"creator":                  s.user(d.Creator),
		"created_at":               stamp(d.CreatedAt),
		"updated_at":               stamp(d.CreatedAt),
		"statuses_url":             s.deploymentURL(d) + "/statuses",
		"repository_url":           s.repoAPI(),
		"transient_environment":    d.Transient,
		"production_environment":   d.Production,
		"performed_via_github_app": s.performedBy(d.Creator),
	}
}

func (s *Server) deploymentStatusJSON(d *deployment, st *deploymentStatus) map[string]any {
	// GitHub answers "" for a target_url nobody gave, which its own
	// description (required, format uri) does not allow; the stand-in
	// names the deployment instead, so that it stays valid.
	target := st.LogURL
	if target == "" {
		target = s.deploymentURL(d)
	}
	j := map[string]any{
		"url":                      fmt.Sprintf("%s/statuses/%d", s.deploymentURL(d), st.ID),
		"id":                       st.ID,
		"node_id":                  nodeID("DeploymentStatus", st.ID),
		"state":                    st.State,
		"creator":                  s.user(st.Creator),
		"description":              st.Description,
		"environment":              st.Environment,
		"target_url":               target,
		"created_at":               stamp(st.CreatedAt),
		"updated_at":               stamp(st.CreatedAt),
		"deployment_url":           s.deploymentURL(d),
		"repository_url":           s.repoAPI(),
		"performed_via_github_app": s.performedBy(st.Creator),
	}
	// GitHub leaves out the URLs nobody gave.
	if st.LogURL != "" {
		j["log_url"] = st.LogURL
	}
	if st.EnvironmentURL != "" {
		j["environment_url"] = st.EnvironmentURL
	}
	return j
}
