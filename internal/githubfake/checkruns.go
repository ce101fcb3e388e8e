package githubfake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Annotation is one line-range note in a check run's output.
type Annotation struct {
	Path               string
	StartLine, EndLine int
	Level              string // notice, warning, failure
	Message            string
	Title              string
}

// CheckRun is a snapshot of one check run.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	App         string // the reporting App's slug; "" for SetCheckRun's CI
	Status      string // queued, in_progress, completed
	Conclusion  string // once completed
	Title       string // output, once given
	Summary     string
	Text        string
	Annotations []Annotation
}

// CheckRuns returns every check run on ref (a SHA or branch), oldest
// first, whoever reported them.
func (s *Server) CheckRuns(ref string) []CheckRun {
	if err := s.lock(); err != nil {
		return nil
	}
	defer s.mu.Unlock()
	sha, err := s.resolveCommit(context.Background(), ref)
	if err != nil {
		return nil
	}
	var out []CheckRun
	for _, cr := range s.checkRuns[sha] {
		run := CheckRun{ID: cr.ID, Name: cr.Name, HeadSHA: cr.SHA, Status: cr.Status, Conclusion: cr.Conclusion}
		if a := s.apps[cr.App]; a != nil {
			run.App = a.Slug
		}
		if o := cr.Output; o != nil {
			run.Title, run.Summary, run.Text = o.Title, o.Summary, o.Text
			run.Annotations = append([]Annotation(nil), o.Annotations...)
		}
		out = append(out, run)
	}
	return out
}

// checkRunRequest is the body of checks/create and checks/update.
type checkRunRequest struct {
	Name        *string    `json:"name"`
	HeadSHA     string     `json:"head_sha"`
	DetailsURL  *string    `json:"details_url"`
	ExternalID  *string    `json:"external_id"`
	Status      *string    `json:"status"`
	StartedAt   *time.Time `json:"started_at"`
	Conclusion  *string    `json:"conclusion"`
	CompletedAt *time.Time `json:"completed_at"`
	Output      *struct {
		Title       *string `json:"title"`
		Summary     *string `json:"summary"`
		Text        *string `json:"text"`
		Annotations []struct {
			Path      string `json:"path"`
			StartLine int    `json:"start_line"`
			EndLine   int    `json:"end_line"`
			Level     string `json:"annotation_level"`
			Message   string `json:"message"`
			Title     string `json:"title"`
		} `json:"annotations"`
	} `json:"output"`
}

// apply writes req into cr as GitHub does: a conclusion completes the
// run, a completed run needs one, output annotations are appended.
func (req *checkRunRequest) apply(cr *checkRun, now time.Time) *reply {
	if req.Name != nil {
		cr.Name = *req.Name
	}
	if req.DetailsURL != nil {
		cr.DetailsURL = *req.DetailsURL
	}
	if req.ExternalID != nil {
		cr.ExternalID = *req.ExternalID
	}
	if req.StartedAt != nil {
		cr.StartedAt = req.StartedAt.UTC()
	}
	if req.Status != nil {
		cr.Status = *req.Status
	}
	if req.Conclusion != nil {
		cr.Status, cr.Conclusion = "completed", *req.Conclusion
	}
	if cr.Status == "completed" {
		if cr.Conclusion == "" {
			rep := validationFailed(fieldError{Resource: "CheckRun", Field: "conclusion", Code: "missing_field"})
			return &rep
		}
		cr.CompletedAt = now
		if req.CompletedAt != nil {
			cr.CompletedAt = req.CompletedAt.UTC()
		}
	}
	if o := req.Output; o != nil {
		if cr.Output == nil {
			cr.Output = &checkOutput{}
		}
		if o.Title != nil {
			cr.Output.Title = *o.Title
		}
		if o.Summary != nil {
			cr.Output.Summary = *o.Summary
		}
		if o.Text != nil {
			cr.Output.Text = *o.Text
		}
		for _, a := range o.Annotations {
			cr.Output.Annotations = append(cr.Output.Annotations, Annotation{
				Path: a.Path, StartLine: a.StartLine, EndLine: a.EndLine, Level: a.Level, Message: a.Message, Title: a.Title,
			})
		}
	}
	return nil
}

func (s *Server) createCheckRun(ctx context.Context, c *call) reply {
	var req checkRunRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if req.Name == nil || *req.Name == "" {
		return validationFailed(fieldError{Resource: "CheckRun", Field: "name", Code: "missing_field"})
	}
	sha, err := s.resolveCommit(ctx, req.HeadSHA)
	if errors.Is(err, errNoObject) || !fullSHA.MatchString(req.HeadSHA) {
		return unprocessable("No commit found for SHA: " + req.HeadSHA)
	} else if err != nil {
		return s.internalError(c, err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	cr := &checkRun{ID: s.newID(), SHA: sha, Status: "queued", StartedAt: now}
	if a := s.appByBot(c.actor); a != nil {
		cr.App = a.ID
	}
	if rep := req.apply(cr, now); rep != nil {
		return *rep
	}
	s.checkRuns[sha] = append(s.checkRuns[sha], cr)
	s.checkRunChanged(cr, false, c.actor)
	return created(s.checkRunJSON(cr))
}

// updateCheckRun changes a check run; only the App that made it may.
func (s *Server) updateCheckRun(ctx context.Context, c *call) reply {
	id, err := strconv.ParseInt(c.params["check_run_id"], 10, 64)
	cr := s.checkRunByID(id)
	if err != nil || cr == nil {
		return notFound()
	}
	a := s.appByBot(c.actor)
	if a == nil || cr.App != a.ID {
		appID := int64(0)
		if a != nil {
			appID = a.ID
		}
		return apiError(http.StatusForbidden, fmt.Sprintf("Invalid app_id `%d` - check run can only be modified by the GitHub App that created it.", appID))
	}
	var req checkRunRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	next := *cr
	if cr.Output != nil {
		out := *cr.Output
		next.Output = &out
	}
	if rep := req.apply(&next, time.Now().UTC().Truncate(time.Second)); rep != nil {
		return *rep
	}
	wasCompleted := cr.Status == "completed"
	*cr = next
	s.checkRunChanged(cr, wasCompleted, c.actor)
	return ok(s.checkRunJSON(cr))
}

func (s *Server) checkRunByID(id int64) *checkRun {
	for _, runs := range s.checkRuns {
		for _, cr := range runs {
			if cr.ID == id {
				return cr
			}
		}
	}
	return nil
}

func (s *Server) checkRunJSON(cr *checkRun) map[string]any {
	api := s.repoAPI()
	var conclusion, completed any
	if cr.Status == "completed" {
		conclusion, completed = cr.Conclusion, stamp(cr.CompletedAt)
	}
	html := fmt.Sprintf("%s/runs/%d", s.repoHTML(), cr.ID)
	details := html
	if cr.DetailsURL != "" {
		details = cr.DetailsURL
	}
	output := map[string]any{
		"title": nil, "summary": nil, "text": nil, "annotations_count": 0,
		"annotations_url": fmt.Sprintf("%s/check-runs/%d/annotations", api, cr.ID),
	}
	if o := cr.Output; o != nil {
		output["title"], output["summary"], output["text"] = o.Title, o.Summary, nullString(o.Text)
		output["annotations_count"] = len(o.Annotations)
	}
	var appJSON any
	if a := s.apps[cr.App]; a != nil {
		appJSON = s.appJSON(a)
	}
	prs := []any{}
	for _, p := range s.pulls {
		if p.State == "open" && s.headOf(p) == cr.SHA {
			prs = append(prs, s.pullMinimal(p))
		}
	}
	return map[string]any{
		"id":            cr.ID,
		"node_id":       nodeID("CheckRun", cr.ID),
		"head_sha":      cr.SHA,
		"name":          cr.Name,
		"external_id":   cr.ExternalID,
		"url":           fmt.Sprintf("%s/check-runs/%d", api, cr.ID),
		"html_url":      html,
		"details_url":   details,
		"status":        cr.Status,
		"conclusion":    conclusion,
		"started_at":    stamp(cr.StartedAt),
		"completed_at":  completed,
		"output":        output,
		"check_suite":   map[string]any{"id": cr.ID + 1},
		"app":           appJSON,
		"pull_requests": prs,
	}
}

// pullMinimal renders "pull-request-minimal", as check runs list them.
func (s *Server) pullMinimal(p *pull) map[string]any {
	repo := map[string]any{"id": s.repoID(), "url": s.repoAPI(), "name": s.opts.Repo}
	return map[string]any{
		"id":     p.ID,
		"number": p.Number,
		"url":    fmt.Sprintf("%s/pulls/%d", s.repoAPI(), p.Number),
		"head":   map[string]any{"ref": p.Head, "sha": s.headOf(p), "repo": repo},
		"base":   map[string]any{"ref": p.Base, "sha": s.baseOf(p), "repo": repo},
	}
}
