package githubfake

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Everything the fake renders carries the fields GitHub's schemas mark
// required, with realistic values: URLs under the fake's own base URL,
// legacy-style node_ids and RFC 3339 timestamps.

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// stableID derives a plausible database id from a name.
func stableID(kind, name string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(kind + "/" + strings.ToLower(name)))
	return int64(h.Sum32()%90_000_000) + 1_000_000
}

// nodeID is GitHub's legacy global id: base64 of "0<len>:<Type><id>".
func nodeID(typ string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte("0" + strconv.Itoa(len(typ)) + ":" + typ + strconv.FormatInt(id, 10)))
}

// api is the REST base for URLs in bodies (GitHub Enterprise style).
func (s *Server) api() string { return s.base + "api/v3" }

// html is the web base for html_url fields.
func (s *Server) html() string { return strings.TrimSuffix(s.base, "/") }

func (s *Server) repoAPI() string { return s.api() + "/repos/" + s.opts.Owner + "/" + s.opts.Repo }
func (s *Server) repoHTML() string {
	return s.html() + "/" + s.opts.Owner + "/" + s.opts.Repo
}

// userKind tells an organisation, a bot and a person apart.
func (s *Server) userKind(login string) string {
	switch {
	case strings.EqualFold(login, s.opts.Owner):
		return "Organization"
	case strings.HasSuffix(login, "[bot]"):
		return "Bot"
	default:
		return "User"
	}
}

// user renders a simple-user.
func (s *Server) user(login string) map[string]any {
	kind := s.userKind(login)
	id := stableID("user", login)
	api := s.api() + "/users/" + login
	return map[string]any{
		"login":               login,
		"id":                  id,
		"node_id":             nodeID(kind, id),
		"avatar_url":          fmt.Sprintf("%savatars/u/%d?v=4", s.base, id),
		"gravatar_id":         "",
		"url":                 api,
		"html_url":            s.html() + "/" + strings.TrimSuffix(login, "[bot]"),
		"followers_url":       api + "/followers",
		"following_url":       api + "/following{/other_user}",
		"gists_url":           api + "/gists{/gist_id}",
		"starred_url":         api + "/starred{/owner}{/repo}",
		"subscriptions_url":   api + "/subscriptions",
		"organizations_url":   api + "/orgs",
		"repos_url":           api + "/repos",
		"events_url":          api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
		"type":                kind,
		"user_view_type":      "public",
		"site_admin":          false,
	}
}

func (s *Server) repoID() int64 { return stableID("repo", s.opts.Owner+"/"+s.opts.Repo) }

// repoCore is what minimal-repository requires, shared by all repository
// shapes.
func (s *Server) repoCore() map[string]any {
	api := s.repoAPI()
	id := s.repoID()
	return map[string]any{
		"id":                id,
		"node_id":           nodeID("Repository", id),
		"name":              s.opts.Repo,
		"full_name":         s.opts.Owner + "/" + s.opts.Repo,
		"owner":             s.user(s.opts.Owner),
		"private":           true,
		"html_url":          s.repoHTML(),
		"description":       "GitOps configuration",
		"fork":              false,
		"url":               api,
		"archive_url":       api + "/{archive_format}{/ref}",
		"assignees_url":     api + "/assignees{/user}",
		"blobs_url":         api + "/git/blobs{/sha}",
		"branches_url":      api + "/branches{/branch}",
		"collaborators_url": api + "/collaborators{/collaborator}",
		"comments_url":      api + "/comments{/number}",
		"commits_url":       api + "/commits{/sha}",
		"compare_url":       api + "/compare/{base}...{head}",
		"contents_url":      api + "/contents/{+path}",
		"contributors_url":  api + "/contributors",
		"deployments_url":   api + "/deployments",
		"downloads_url":     api + "/downloads",
		"events_url":        api + "/events",
		"forks_url":         api + "/forks",
		"git_commits_url":   api + "/git/commits{/sha}",
		"git_refs_url":      api + "/git/refs{/sha}",
		"git_tags_url":      api + "/git/tags{/sha}",
		"hooks_url":         api + "/hooks",
		"issue_comment_url": api + "/issues/comments{/number}",
		"issue_events_url":  api + "/issues/events{/number}",
		"issues_url":        api + "/issues{/number}",
		"keys_url":          api + "/keys{/key_id}",
		"labels_url":        api + "/labels{/name}",
		"languages_url":     api + "/languages",
		"merges_url":        api + "/merges",
		"milestones_url":    api + "/milestones{/number}",
		"notifications_url": api + "/notifications{?since,all,participating}",
		"pulls_url":         api + "/pulls{/number}",
		"releases_url":      api + "/releases{/id}",
		"stargazers_url":    api + "/stargazers",
		"statuses_url":      api + "/statuses/{sha}",
		"subscribers_url":   api + "/subscribers",
		"subscription_url":  api + "/subscription",
		"tags_url":          api + "/tags",
		"teams_url":         api + "/teams",
		"trees_url":         api + "/git/trees{/sha}",
	}
}

// repository renders the "repository" schema (pull request head/base).
// Callers hold mu.
func (s *Server) repository() map[string]any {
	r := s.repoCore()
	host := strings.TrimSuffix(strings.TrimPrefix(s.base, "http://"), "/")
	open := len(s.issues) // plain issues are never closed here
	for _, p := range s.pulls {
		if p.State == "open" {
			open++
		}
	}
	for k, v := range map[string]any{
		"clone_url":              s.repoHTML() + ".git",
		"git_url":                "git://" + host + "/" + s.opts.Owner + "/" + s.opts.Repo + ".git",
		"ssh_url":                "git@" + strings.Split(host, ":")[0] + ":" + s.opts.Owner + "/" + s.opts.Repo + ".git",
		"svn_url":                s.repoHTML(),
		"mirror_url":             nil,
		"homepage":               nil,
		"language":               nil,
		"license":                nil,
		"default_branch":         s.opts.DefaultBranch,
		"forks":                  0,
		"forks_count":            0,
		"stargazers_count":       0,
		"watchers":               0,
		"watchers_count":         0,
		"open_issues":            open,
		"open_issues_count":      open,
		"size":                   1,
		"has_issues":             true,
		"has_projects":           false,
		"has_wiki":               false,
		"has_pages":              false,
		"has_downloads":          false,
		"has_discussions":        false,
		"archived":               false,
		"disabled":               false,
		"visibility":             "private",
		"is_template":            false,
		"topics":                 []string{},
		"allow_merge_commit":     true,
		"allow_squash_merge":     true,
		"allow_rebase_merge":     false,
		"allow_auto_merge":       false,
		"delete_branch_on_merge": false,
		"created_at":             stamp(s.created),
		"updated_at":             stamp(s.created),
		"pushed_at":              stamp(s.created),
		"permissions":            map[string]any{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true},
	} {
		r[k] = v
	}
	return r
}

// fullRepository renders repos/get's "full-repository". Callers hold mu.
func (s *Server) fullRepository() map[string]any {
	r := s.repository()
	r["network_count"] = 0
	r["subscribers_count"] = 0
	r["organization"] = s.user(s.opts.Owner)
	return r
}

// minimalRepository renders "minimal-repository" (combined status).
func (s *Server) minimalRepository() map[string]any { return s.repoCore() }
