package githubfake

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
)

func pathEscape(s string) string { return url.PathEscape(s) }

// escapePath escapes a repository path segment-wise, keeping its slashes.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func commitNodeID(repoID int64, sha string) string {
	return base64.StdEncoding.EncodeToString([]byte("06:Commit" + itoa(repoID) + ":" + sha))
}

func gitSig(sig signature) map[string]any {
	return map[string]any{"name": sig.Name, "email": sig.Email, "date": stamp(sig.When)}
}

var unsigned = map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}

// userFor is the GitHub account behind a commit identity, or nil.
func (s *Server) userFor(sig signature) any {
	if sig.Email == "noreply@github.com" {
		return s.user("web-flow")
	}
	if login := s.loginForEmail(sig.Email); login != "" {
		return s.user(login)
	}
	return nil
}

// commitJSON renders the "commit" schema (list-commits, get-commit,
// branches).
func (s *Server) commitJSON(ctx context.Context, sha string) (map[string]any, commitObject, error) {
	c, err := s.git.readCommit(ctx, sha)
	if err != nil {
		return nil, c, err
	}
	api := s.repoAPI()
	parents := make([]map[string]any, 0, len(c.Parents))
	for _, p := range c.Parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/commits/" + p, "html_url": s.repoHTML() + "/commit/" + p})
	}
	return map[string]any{
		"sha":          sha,
		"node_id":      commitNodeID(s.repoID(), sha),
		"url":          api + "/commits/" + sha,
		"html_url":     s.repoHTML() + "/commit/" + sha,
		"comments_url": api + "/commits/" + sha + "/comments",
		"commit": map[string]any{
			"url":           api + "/git/commits/" + sha,
			"author":        gitSig(c.Author),
			"committer":     gitSig(c.Committer),
			"message":       c.Message,
			"tree":          map[string]any{"sha": c.Tree, "url": api + "/git/trees/" + c.Tree},
			"comment_count": 0,
			"verification":  unsigned,
		},
		"author":    s.userFor(c.Author),
		"committer": s.userFor(c.Committer),
		"parents":   parents,
	}, c, nil
}

// gitCommitJSON renders the git data API's "git-commit".
func (s *Server) gitCommitJSON(c commitObject) map[string]any {
	api := s.repoAPI()
	parents := make([]map[string]any, 0, len(c.Parents))
	for _, p := range c.Parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/git/commits/" + p, "html_url": s.repoHTML() + "/commit/" + p})
	}
	return map[string]any{
		"sha":          c.SHA,
		"node_id":      commitNodeID(s.repoID(), c.SHA),
		"url":          api + "/git/commits/" + c.SHA,
		"html_url":     s.repoHTML() + "/commit/" + c.SHA,
		"author":       gitSig(c.Author),
		"committer":    gitSig(c.Committer),
		"message":      c.Message,
		"tree":         map[string]any{"sha": c.Tree, "url": api + "/git/trees/" + c.Tree},
		"parents":      parents,
		"verification": unsigned,
	}
}

// refJSON renders "git-ref".
func (s *Server) refJSON(ctx context.Context, name, sha string) map[string]any {
	typ := "commit"
	if info, err := s.git.info(ctx, sha); err == nil {
		typ = info.Type
	}
	api := s.repoAPI()
	return map[string]any{
		"ref":     name,
		"node_id": base64.StdEncoding.EncodeToString([]byte("03:Ref" + itoa(s.repoID()) + ":" + name)),
		"url":     api + "/git/" + escapePath(name),
		"object":  map[string]any{"type": typ, "sha": sha, "url": api + "/git/" + typ + "s/" + sha},
	}
}
