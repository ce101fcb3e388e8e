package githubfake

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) getRepo(ctx context.Context, c *call) reply {
	return ok(s.fullRepository())
}

func (s *Server) getBranch(ctx context.Context, c *call) reply {
	branch := c.params["branch"]
	sha, found := s.branchSHA(branch)
	if !found {
		return apiError(http.StatusNotFound, "Branch not found")
	}
	commit, _, err := s.commitJSON(ctx, sha)
	if err != nil {
		return s.internalError(c, err)
	}
	api := s.repoAPI() + "/branches/" + pathEscape(branch)
	prot := s.protection[branch]
	checks := map[string]any{"enforcement_level": "off", "contexts": []string{}, "checks": []any{}}
	if prot != nil {
		checks = s.requiredChecksJSON(branch, prot)
		checks["enforcement_level"] = "non_admins"
	}
	return ok(map[string]any{
		"name":      branch,
		"commit":    commit,
		"_links":    map[string]any{"self": api, "html": s.repoHTML() + "/tree/" + escapePath(branch)},
		"protected": prot != nil,
		"protection": map[string]any{
			"enabled":                prot != nil,
			"required_status_checks": checks,
		},
		"protection_url": api + "/protection",
	})
}

// contentLinks are the URLs every contents entry carries.
func (s *Server) contentEntry(ref string, e treeEntry, size int64) map[string]any {
	api := s.repoAPI()
	self := api + "/contents/" + escapePath(e.Name) + "?ref=" + url.QueryEscape(ref)
	typ, gitURL, html := "file", api+"/git/blobs/"+e.SHA, s.repoHTML()+"/blob/"+escapePath(ref)+"/"+escapePath(e.Name)
	var download any = s.base + "raw/" + s.opts.Owner + "/" + s.opts.Repo + "/" + escapePath(ref) + "/" + escapePath(e.Name)
	switch {
	case e.Type == "tree":
		typ, gitURL, html, download = "dir", api+"/git/trees/"+e.SHA, s.repoHTML()+"/tree/"+escapePath(ref)+"/"+escapePath(e.Name), nil
	case e.Type == "commit":
		typ, download = "submodule", nil
	case e.Mode == "120000":
		typ = "symlink"
	}
	return map[string]any{
		"type":         typ,
		"size":         size,
		"name":         path.Base(e.Name),
		"path":         e.Name,
		"sha":          e.SHA,
		"url":          self,
		"git_url":      gitURL,
		"html_url":     html,
		"download_url": download,
		"_links":       map[string]any{"self": self, "git": gitURL, "html": html},
	}
}

// base64Lines wraps base64 at 60 columns with a trailing newline, as
// GitHub's contents API does.
func base64Lines(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60])
		b.WriteByte('\n')
		enc = enc[60:]
	}
	b.WriteString(enc)
	b.WriteByte('\n')
	return b.String()
}

func (s *Server) getContent(ctx context.Context, c *call) reply {
	ref := c.r.URL.Query().Get("ref")
	if ref == "" {
		ref = s.opts.DefaultBranch
	}
	commit, err := s.resolveCommit(ctx, ref)
	if errors.Is(err, errNoObject) {
		return apiError(http.StatusNotFound, "No commit found for the ref "+ref)
	} else if err != nil {
		return s.internalError(c, err)
	}
	p := strings.Trim(c.params["path"], "/")
	e, err := s.lookupPath(ctx, commit, p)
	if errors.Is(err, errNoObject) {
		return notFound()
	} else if err != nil {
		return s.internalError(c, err)
	}
	if e.Type == "tree" {
		entries, err := s.git.readTree(ctx, e.SHA)
		if err != nil {
			return s.internalError(c, err)
		}
		list := make([]map[string]any, 0, len(entries))
		for _, child := range entries {
			var size int64
			if child.Type == "blob" {
				info, err := s.git.info(ctx, child.SHA)
				if err != nil {
					return s.internalError(c, err)
				}
				size = info.Size
			}
			child.Name = strings.TrimPrefix(p+"/"+child.Name, "/")
			list = append(list, s.contentEntry(ref, child, size))
		}
		return ok(list)
	}
	if e.Type != "blob" {
		return notFound() // submodules are not served
	}
	data, err := s.git.readTyped(ctx, e.SHA, "blob")
	if err != nil {
		return s.internalError(c, err)
	}
	out := s.contentEntry(ref, e, int64(len(data)))
	if e.Mode == "120000" {
		out["target"] = string(data)
		return ok(out)
	}
	out["encoding"] = "base64"
	out["content"] = base64Lines(data)
	return ok(out)
}

// serveRaw answers download_url: /raw/{owner}/{repo}/{ref}/{path}, where
// ref may not contain a slash.
func (s *Server) serveRaw(ctx context.Context, w http.ResponseWriter, escaped string) int {
	parts := strings.SplitN(strings.TrimPrefix(escaped, "/raw/"), "/", 4)
	if len(parts) != 4 || parts[0] != s.opts.Owner || parts[1] != s.opts.Repo {
		return writeJSON(w, notFound())
	}
	ref, err1 := url.PathUnescape(parts[2])
	p, err2 := url.PathUnescape(parts[3])
	if err1 != nil || err2 != nil {
		return writeJSON(w, notFound())
	}
	data, err := s.FileAt(ref, p)
	if err != nil {
		return writeJSON(w, notFound())
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return http.StatusOK
}

// pageParams reads per_page (default 30, at most 100) and page (from 1).
func pageParams(c *call) (perPage, page int) {
	q := c.r.URL.Query()
	perPage, page = 30, 1
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = min(n, 100)
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	return perPage, page
}

// linkHeader is GitHub's pagination Link header; last is 0 when unknown.
func (s *Server) linkHeader(c *call, page, perPage int, more bool, last int) http.Header {
	if !more && page == 1 {
		return nil
	}
	at := func(n int) string {
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(perPage))
		return fmt.Sprintf("<%s%s?%s>", strings.TrimSuffix(s.base, "/"), c.r.URL.EscapedPath(), q.Encode())
	}
	var links []string
	if more {
		links = append(links, at(page+1)+`; rel="next"`)
		if last > 0 {
			links = append(links, at(last)+`; rel="last"`)
		}
	}
	if page > 1 {
		links = append(links, at(page-1)+`; rel="prev"`, at(1)+`; rel="first"`)
	}
	return http.Header{"Link": {strings.Join(links, ", ")}}
}

// paginate cuts one page out of n items.
func paginate(n, perPage, page int) (from, to int, more bool, last int) {
	from = min((page-1)*perPage, n)
	to = min(from+perPage, n)
	last = (n + perPage - 1) / perPage
	return from, to, to < n, last
}

func (s *Server) listCommits(ctx context.Context, c *call) reply {
	q := c.r.URL.Query()
	ref := q.Get("sha")
	if ref == "" {
		ref = s.opts.DefaultBranch
	}
	head, err := s.resolveCommit(ctx, ref)
	if errors.Is(err, errNoObject) {
		return notFound()
	} else if err != nil {
		return s.internalError(c, err)
	}
	perPage, page := pageParams(c)
	args := []string{"rev-list", "--max-count=" + strconv.Itoa(perPage+1), "--skip=" + strconv.Itoa((page-1)*perPage), head}
	if p := strings.Trim(q.Get("path"), "/"); p != "" {
		args = append(args, "--", p)
	}
	out, err := s.git.run(ctx, nil, nil, args...)
	if err != nil {
		return s.internalError(c, err)
	}
	shas := strings.Fields(string(out))
	more := len(shas) > perPage
	if more {
		shas = shas[:perPage]
	}
	list := make([]map[string]any, 0, len(shas))
	for _, sha := range shas {
		cj, _, err := s.commitJSON(ctx, sha)
		if err != nil {
			return s.internalError(c, err)
		}
		list = append(list, cj)
	}
	rep := ok(list)
	rep.header = s.linkHeader(c, page, perPage, more, 0)
	return rep
}

func (s *Server) getCommit(ctx context.Context, c *call) reply {
	sha, err := s.resolveCommit(ctx, c.params["ref"])
	if errors.Is(err, errNoObject) {
		return unprocessable("No commit found for SHA: " + c.params["ref"])
	} else if err != nil {
		return s.internalError(c, err)
	}
	cj, obj, err := s.commitJSON(ctx, sha)
	if err != nil {
		return s.internalError(c, err)
	}
	if len(obj.Parents) > 0 {
		d, err := s.diffStats(ctx, obj.Parents[0], sha)
		if err == nil {
			d, err = s.withPatches(ctx, obj.Parents[0], sha, d)
		}
		if err != nil {
			return s.internalError(c, err)
		}
		cj["stats"] = map[string]any{"additions": d.additions, "deletions": d.deletions, "total": d.additions + d.deletions}
		cj["files"] = s.filesJSON(sha, d)
	}
	rep := ok(cj)
	rep.header = lastModified(obj.Committer.When) // as GitHub sends for a commit
	return rep
}

// filesJSON renders "diff-entry" items.
func (s *Server) filesJSON(ref string, d diffStat) []map[string]any {
	out := make([]map[string]any, 0, len(d.files))
	for _, f := range d.files {
		e := map[string]any{
			"sha":          nullString(f.SHA),
			"filename":     f.Path,
			"status":       f.Status,
			"additions":    f.Additions,
			"deletions":    f.Deletions,
			"changes":      f.Additions + f.Deletions,
			"blob_url":     s.repoHTML() + "/blob/" + ref + "/" + escapePath(f.Path),
			"raw_url":      s.repoHTML() + "/raw/" + ref + "/" + escapePath(f.Path),
			"contents_url": s.repoAPI() + "/contents/" + escapePath(f.Path) + "?ref=" + ref,
		}
		if f.Patch != "" {
			e["patch"] = f.Patch
		}
		out = append(out, e)
	}
	return out
}
