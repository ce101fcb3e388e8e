package githubfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// permissions the installation holds; tokens get these unless they ask
// for fewer.
var installationPermissions = map[string]any{
	"contents":      "write",
	"pull_requests": "write",
	"issues":        "write",
	"statuses":      "write",
	"checks":        "write",
	"deployments":   "write",
	"metadata":      "read",
}

// installationPath reports whether {installation_id} is the calling
// App's installation on the repository.
func (s *Server) installationPath(c *call) bool {
	id, err := strconv.ParseInt(c.params["installation_id"], 10, 64)
	a := s.appByBot(c.actor)
	return err == nil && a != nil && a.Installation != 0 && (id == a.Installation || (a.ID == s.opts.AppID && len(s.reposOf(id)) > 0))
}

func (s *Server) createInstallationToken(ctx context.Context, c *call) reply {
	if !s.installationPath(c) {
		return notFound()
	}
	inst, _ := strconv.ParseInt(c.params["installation_id"], 10, 64)
	var req struct {
		Repositories  []string       `json:"repositories"`
		RepositoryIDs []int64        `json:"repository_ids"`
		Permissions   map[string]any `json:"permissions"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	for _, r := range req.Repositories {
		if !slices.ContainsFunc(s.reposOf(inst), func(o *Server) bool { return o.opts.Repo == r }) {
			return unprocessable("There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
	}
	for _, id := range req.RepositoryIDs {
		if !slices.ContainsFunc(s.reposOf(inst), func(o *Server) bool { return o.repoID() == id }) {
			return unprocessable("There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
	}
	a := s.appByBot(c.actor)
	perms := a.Permissions
	if len(req.Permissions) > 0 {
		for k, v := range req.Permissions {
			have, ok := a.Permissions[k]
			if !ok || (have == "read" && v != "read") {
				return unprocessable(fmt.Sprintf("The permissions requested are not granted to this installation. (%s)", k))
			}
		}
		perms = req.Permissions
	}
	token, exp, err := s.issueToken(time.Now(), a.ID, inst)
	if err != nil {
		return s.internalError(c, err)
	}
	return created(map[string]any{
		"token":                token,
		"expires_at":           stamp(exp),
		"permissions":          perms,
		"repository_selection": "selected",
	})
}

func (s *Server) getRepoInstallation(ctx context.Context, c *call) reply {
	a := s.appByBot(c.actor)
	if a == nil || a.Installation == 0 {
		return notFound()
	}
	return ok(s.installationJSON(a))
}

// installationJSON renders App a's installation ("installation").
// Callers hold mu.
func (s *Server) installationJSON(a *app) map[string]any {
	id := a.Installation
	owner := s.user(s.opts.Owner)
	return map[string]any{
		"id":                        id,
		"app_id":                    a.ID,
		"app_slug":                  a.Slug,
		"client_id":                 a.ClientID,
		"target_id":                 owner["id"],
		"target_type":               "Organization",
		"account":                   owner,
		"repository_selection":      "selected",
		"access_tokens_url":         fmt.Sprintf("%s/app/installations/%d/access_tokens", s.api(), id),
		"repositories_url":          s.api() + "/installation/repositories",
		"html_url":                  fmt.Sprintf("%s/organizations/%s/settings/installations/%d", s.html(), s.opts.Owner, id),
		"events":                    append([]string{}, a.Events...),
		"permissions":               a.Permissions,
		"created_at":                stamp(s.created),
		"updated_at":                stamp(s.created),
		"single_file_name":          nil,
		"has_multiple_single_files": false,
		"single_file_paths":         []string{},
		"suspended_by":              nil,
		"suspended_at":              nil,
	}
}

// decodeBody reads a JSON body; an empty body leaves v as it is.
func decodeBody(c *call, v any) error {
	if len(c.body) == 0 {
		return nil
	}
	return json.Unmarshal(c.body, v)
}
