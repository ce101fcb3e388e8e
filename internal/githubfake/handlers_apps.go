package githubfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
	"checks":        "read",
	"metadata":      "read",
}

func (s *Server) installationPath(c *call) bool {
	id, err := strconv.ParseInt(c.params["installation_id"], 10, 64)
	return err == nil && id == s.opts.InstallationID
}

func (s *Server) createInstallationToken(ctx context.Context, c *call) reply {
	if !s.installationPath(c) {
		return notFound()
	}
	var req struct {
		Repositories  []string       `json:"repositories"`
		RepositoryIDs []int64        `json:"repository_ids"`
		Permissions   map[string]any `json:"permissions"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	for _, r := range req.Repositories {
		if r != s.opts.Repo {
			return unprocessable("There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
	}
	for _, id := range req.RepositoryIDs {
		if id != s.repoID() {
			return unprocessable("There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
	}
	perms := installationPermissions
	if len(req.Permissions) > 0 {
		for k, v := range req.Permissions {
			have, ok := installationPermissions[k]
			if !ok || (have == "read" && v != "read") {
				return unprocessable(fmt.Sprintf("The permissions requested are not granted to this installation. (%s)", k))
			}
		}
		perms = req.Permissions
	}
	token, exp, err := s.issueToken(time.Now())
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
	id := s.opts.InstallationID
	owner := s.user(s.opts.Owner)
	return ok(map[string]any{
		"id":                        id,
		"app_id":                    s.opts.AppID,
		"app_slug":                  appSlug,
		"client_id":                 fmt.Sprintf("Iv1.%016x", s.opts.AppID),
		"target_id":                 owner["id"],
		"target_type":               "Organization",
		"account":                   owner,
		"repository_selection":      "selected",
		"access_tokens_url":         fmt.Sprintf("%s/app/installations/%d/access_tokens", s.api(), id),
		"repositories_url":          s.api() + "/installation/repositories",
		"html_url":                  fmt.Sprintf("%s/organizations/%s/settings/installations/%d", s.html(), s.opts.Owner, id),
		"events":                    []string{"pull_request", "push", "status", "check_run", "issue_comment"},
		"permissions":               installationPermissions,
		"created_at":                stamp(s.created),
		"updated_at":                stamp(s.created),
		"single_file_name":          nil,
		"has_multiple_single_files": false,
		"single_file_paths":         []string{},
		"suspended_by":              nil,
		"suspended_at":              nil,
	})
}

// decodeBody reads a JSON body; an empty body leaves v as it is.
func decodeBody(c *call, v any) error {
	if len(c.body) == 0 {
		return nil
	}
	return json.Unmarshal(c.body, v)
}
