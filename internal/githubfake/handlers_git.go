package githubfake

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

func (s *Server) createBlob(ctx context.Context, c *call) reply {
	var req struct {
		Content  *string `json:"content"`
		Encoding string  `json:"encoding"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if req.Content == nil {
		return validationFailed(fieldError{Resource: "Blob", Field: "content", Code: "missing_field"})
	}
	var data []byte
	switch req.Encoding {
	case "", "utf-8", "utf8":
		data = []byte(*req.Content)
	case "base64":
		d, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(*req.Content, "\n", ""))
		if err != nil {
			return unprocessable("Invalid base64 content")
		}
		data = d
	default:
		return validationFailed(fieldError{Resource: "Blob", Field: "encoding", Code: "invalid", Message: "encoding must be one of utf-8, base64"})
	}
	sha, err := s.git.writeBlob(ctx, data)
	if err != nil {
		return s.internalError(c, err)
	}
	return created(map[string]any{"sha": sha, "url": s.repoAPI() + "/git/blobs/" + sha})
}

// modeType is the object type each tree mode holds.
var modeType = map[string]string{"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}

// treeItem is one entry of a create-tree request. SHA distinguishes an
// explicit null (delete the path) from absence.
type treeItem struct {
	Path    *string         `json:"path"`
	Mode    *string         `json:"mode"`
	Type    *string         `json:"type"`
	SHA     json.RawMessage `json:"sha"`
	Content *string         `json:"content"`
}

func (s *Server) createTree(ctx context.Context, c *call) reply {
	var req struct {
		BaseTree string     `json:"base_tree"`
		Tree     []treeItem `json:"tree"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	base := ""
	if req.BaseTree != "" {
		info, err := s.git.info(ctx, req.BaseTree)
		if err != nil || info.Type != "tree" {
			return unprocessable("base_tree is not a valid tree oid")
		}
		base = info.SHA
	}
	changes := make([]treeChange, 0, len(req.Tree))
	for _, it := range req.Tree {
		ch, rep := s.treeItemChange(ctx, it)
		if rep != nil {
			return *rep
		}
		changes = append(changes, ch)
	}
	sha, err := s.git.editTree(ctx, base, changes)
	if errors.Is(err, errBadPath) {
		return unprocessable(err.Error())
	} else if err != nil {
		return s.internalError(c, err)
	}
	entries, err := s.git.readTree(ctx, sha)
	if err != nil {
		return s.internalError(c, err)
	}
	api := s.repoAPI()
	list := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		list = append(list, map[string]any{"path": e.Name, "mode": e.Mode, "type": e.Type, "sha": e.SHA, "url": api + "/git/" + e.Type + "s/" + e.SHA})
	}
	return created(map[string]any{"sha": sha, "url": api + "/git/trees/" + sha, "tree": list, "truncated": false})
}

// treeItemChange checks one create-tree entry as GitHub does and turns it
// into a change, storing inline content as a blob.
func (s *Server) treeItemChange(ctx context.Context, it treeItem) (treeChange, *reply) {
	fail := func(msg string) (treeChange, *reply) { r := unprocessable(msg); return treeChange{}, &r }
	if it.Path == nil || *it.Path == "" {
		return fail("Must supply tree.path")
	}
	if it.Mode == nil {
		return fail("Must supply a valid tree.mode")
	}
	typ, known := modeType[*it.Mode]
	if !known {
		return fail(fmt.Sprintf("tree.mode %q is not valid", *it.Mode))
	}
	if it.Type != nil && *it.Type != typ {
		return fail(fmt.Sprintf("tree.type %q does not match tree.mode %s", *it.Type, *it.Mode))
	}
	ch := treeChange{Path: *it.Path, Mode: *it.Mode, Type: typ}
	hasSHA := len(it.SHA) > 0
	if hasSHA && string(it.SHA) == "null" {
		if it.Content != nil {
			return fail("Must supply either tree.sha or tree.content. Request will be rejected if both are present.")
		}
		ch.Delete = true
		return ch, nil
	}
	switch {
	case hasSHA && it.Content != nil, !hasSHA && it.Content == nil:
		return fail("Must supply either tree.sha or tree.content. Request will be rejected if both are present.")
	case it.Content != nil:
		if typ != "blob" {
			return fail("tree.content can only be given for blobs")
		}
		sha, err := s.git.writeBlob(ctx, []byte(*it.Content))
		if err != nil {
			return fail("GitRPC::BadObjectState")
		}
		ch.SHA = sha
		return ch, nil
	}
	var sha string
	if err := json.Unmarshal(it.SHA, &sha); err != nil || !fullSHA.MatchString(sha) {
		return fail("tree.sha is not a valid object id")
	}
	if typ != "commit" { // gitlinks point outside the repository
		info, err := s.git.info(ctx, sha)
		if err != nil || info.Type != typ {
			return fail(fmt.Sprintf("tree.sha %s is not a valid %s", sha, typ))
		}
	}
	ch.SHA = sha
	return ch, nil
}

type gitIdent struct {
	Name  string     `json:"name"`
	Email string     `json:"email"`
	Date  *time.Time `json:"date"`
}

func (g *gitIdent) sig(now time.Time) signature {
	when := now
	if g.Date != nil {
		when = *g.Date
	}
	return signature{Name: g.Name, Email: g.Email, When: when}
}

func (s *Server) createCommit(ctx context.Context, c *call) reply {
	var req struct {
		Message   *string   `json:"message"`
		Tree      string    `json:"tree"`
		Parents   []string  `json:"parents"`
		Author    *gitIdent `json:"author"`
		Committer *gitIdent `json:"committer"`
		Signature string    `json:"signature"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if req.Message == nil {
		return validationFailed(fieldError{Resource: "Commit", Field: "message", Code: "missing_field"})
	}
	if info, err := s.git.info(ctx, req.Tree); err != nil || info.Type != "tree" || !fullSHA.MatchString(req.Tree) {
		return unprocessable("Tree SHA does not exist")
	}
	for _, p := range req.Parents {
		if info, err := s.git.info(ctx, p); err != nil || info.Type != "commit" || !fullSHA.MatchString(p) {
			return unprocessable("Parent SHA does not exist or is not a commit object")
		}
	}
	if req.Signature != "" {
		return unprocessable("The fake does not store commit signatures")
	}
	now := time.Now().UTC().Truncate(time.Second)
	author := s.actorSig(c.actor, now)
	if req.Author != nil {
		author = req.Author.sig(now)
	}
	committer := author
	if req.Committer != nil {
		committer = req.Committer.sig(now)
		if committer.Name == "" || committer.Email == "" {
			committer.Name, committer.Email = author.Name, author.Email
		}
	}
	sha, err := s.git.writeCommit(ctx, req.Tree, req.Parents, author, committer, *req.Message)
	if err != nil {
		return s.internalError(c, err)
	}
	obj, err := s.git.readCommit(ctx, sha)
	if err != nil {
		return s.internalError(c, err)
	}
	return created(s.gitCommitJSON(obj))
}

// fullRef turns the {ref} of the refs endpoints ("heads/main") into a full
// name.
func fullRef(ref string) string {
	return "refs/" + strings.TrimPrefix(ref, "refs/")
}

func (s *Server) getRef(ctx context.Context, c *call) reply {
	name := fullRef(c.params["ref"])
	sha, found := s.refs[name]
	if !found {
		return notFound()
	}
	return ok(s.refJSON(ctx, name, sha))
}

func (s *Server) createRef(ctx context.Context, c *call) reply {
	var req struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if !strings.HasPrefix(req.Ref, "refs/") || strings.Count(req.Ref, "/") < 2 {
		return unprocessable("Reference name must start with 'refs/' and have at least two slashes.")
	}
	if !validRefName(req.Ref) {
		return unprocessable(req.Ref + " is not a valid ref name.")
	}
	if _, exists := s.refs[req.Ref]; exists {
		return unprocessable("Reference already exists")
	}
	info, err := s.git.info(ctx, req.SHA)
	if err != nil || !fullSHA.MatchString(req.SHA) || (strings.HasPrefix(req.Ref, "refs/heads/") && info.Type != "commit") {
		return unprocessable("Object does not exist")
	}
	if err := s.setRef(ctx, req.Ref, req.SHA, c.actor); err != nil {
		return s.internalError(c, err)
	}
	return created(s.refJSON(ctx, req.Ref, req.SHA))
}

func (s *Server) updateRef(ctx context.Context, c *call) reply {
	name := fullRef(c.params["ref"])
	var req struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	old, exists := s.refs[name]
	if !exists {
		return unprocessable("Reference does not exist")
	}
	info, err := s.git.info(ctx, req.SHA)
	isBranch := strings.HasPrefix(name, "refs/heads/")
	if err != nil || !fullSHA.MatchString(req.SHA) || (isBranch && info.Type != "commit") {
		return unprocessable("Object does not exist")
	}
	if isBranch {
		ff, err := s.isAncestor(ctx, old, req.SHA)
		if err != nil {
			return s.internalError(c, err)
		}
		branch := strings.TrimPrefix(name, "refs/heads/")
		if prot := s.protection[branch]; prot != nil {
			if !ff {
				return unprocessable("Cannot force-push to this branch")
			}
			if why := s.checksRefusal(branch, req.SHA); why != "" {
				return unprocessable(fmt.Sprintf("Protected branch update failed for %s.\n\n%s", name, why))
			}
		}
		if !ff && !req.Force {
			return unprocessable("Update is not a fast forward")
		}
	}
	if err := s.setRef(ctx, name, req.SHA, c.actor); err != nil {
		return s.internalError(c, err)
	}
	return ok(s.refJSON(ctx, name, req.SHA))
}

func (s *Server) deleteRef(ctx context.Context, c *call) reply {
	name := fullRef(c.params["ref"])
	if _, exists := s.refs[name]; !exists {
		return unprocessable("Reference does not exist")
	}
	if branch, isBranch := strings.CutPrefix(name, "refs/heads/"); isBranch {
		if branch == s.opts.DefaultBranch {
			return unprocessable("Cannot delete the default branch")
		}
		if s.protection[branch] != nil {
			return unprocessable("Cannot delete this protected branch")
		}
		// GitHub closes the open pull requests of a deleted branch.
		now := time.Now().UTC().Truncate(time.Second)
		for _, p := range s.pulls {
			if p.State == "open" && (p.Head == branch || p.Base == branch) {
				s.closePull(p, now, c.actor)
			}
		}
	}
	if err := s.deleteRefLocked(ctx, name, c.actor); err != nil {
		return s.internalError(c, err)
	}
	return reply{status: http.StatusNoContent}
}
