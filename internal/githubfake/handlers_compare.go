package githubfake

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"strings"
)

// listCommitPulls answers which pull requests a commit belongs to, as
// GitHub does: on the default branch, the pull requests that brought it
// there (a merge or squash commit's own pull request included); off it,
// the open pull requests whose head holds it.
func (s *Server) listCommitPulls(ctx context.Context, c *call) reply {
	sha, err := s.resolveCommit(ctx, c.params["commit_sha"])
	if errors.Is(err, errNoObject) {
		return unprocessable("No commit found for SHA: " + c.params["commit_sha"])
	} else if err != nil {
		return s.internalError(c, err)
	}
	onDefault := false
	if tip, found := s.branchSHA(s.opts.DefaultBranch); found {
		if onDefault, err = s.isAncestor(ctx, sha, tip); err != nil {
			return s.internalError(c, err)
		}
	}
	var list []*pull
	for i := len(s.pulls) - 1; i >= 0; i-- { // newest first
		p := s.pulls[i]
		if p.State != "open" && !(onDefault && p.Merged) {
			continue
		}
		in, err := s.pullHolds(ctx, p, sha)
		if err != nil {
			return s.internalError(c, err)
		}
		if in {
			list = append(list, p)
		}
	}
	perPage, page := pageParams(c)
	from, to, more, last := paginate(len(list), perPage, page)
	out := make([]map[string]any, 0, to-from)
	for _, p := range list[from:to] {
		out = append(out, s.pullSimple(p))
	}
	rep := ok(out)
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}

// pullHolds reports whether sha is p's merge commit or one of its commits
// (reachable from its head, not from the base it started from).
func (s *Server) pullHolds(ctx context.Context, p *pull, sha string) (bool, error) {
	if p.MergeSHA == sha {
		return true, nil
	}
	head, base := s.headOf(p), s.baseOf(p)
	if p.Merged {
		base = p.BaseSHA
	}
	inHead, err := s.isAncestor(ctx, sha, head)
	if err != nil || !inHead {
		return false, err
	}
	inBase, err := s.isAncestor(ctx, sha, base)
	return !inBase, err
}

// compareCommits answers GET /compare/{base}...{head}: the commits and
// files head adds since its merge base with base ("..." as GitHub reads
// it; "base..head" compares the two trees directly), ahead_by/behind_by
// and status.
func (s *Server) compareCommits(ctx context.Context, c *call) reply {
	spec := c.params["basehead"]
	sep := "..."
	baseRef, headRef, found := strings.Cut(spec, sep)
	if !found {
		sep = ".."
		if baseRef, headRef, found = strings.Cut(spec, sep); !found {
			return notFound()
		}
	}
	resolve := func(ref string) (string, bool) {
		if owner, branch, cross := strings.Cut(ref, ":"); cross {
			if !strings.EqualFold(owner, s.opts.Owner) {
				return "", false // forks are not modelled
			}
			ref = branch
		}
		sha, err := s.resolveCommit(ctx, ref)
		return sha, err == nil
	}
	base, okBase := resolve(baseRef)
	head, okHead := resolve(headRef)
	if !okBase || !okHead {
		return notFound()
	}
	mbOut, err := s.git.run(ctx, nil, nil, "merge-base", base, head)
	var ge *GitError
	if errors.As(err, &ge) && ge.Code == 1 {
		return apiError(http.StatusNotFound, fmt.Sprintf("No common ancestor between %s and %s.", baseRef, headRef))
	} else if err != nil {
		return s.internalError(c, err)
	}
	mergeBase := strings.TrimSpace(string(mbOut))
	ahead, err := s.commitsBetween(ctx, base, head)
	if err != nil {
		return s.internalError(c, err)
	}
	behind, err := s.commitsBetween(ctx, head, base)
	if err != nil {
		return s.internalError(c, err)
	}
	status := "diverged"
	switch {
	case ahead == 0 && behind == 0:
		status = "identical"
	case behind == 0:
		status = "ahead"
	case ahead == 0:
		status = "behind"
	}

	// Commits oldest first: up to 250 unpaginated, as GitHub lists them.
	perPage, page := 250, 1
	if q := c.r.URL.Query(); q.Get("per_page") != "" || q.Get("page") != "" {
		perPage, page = pageParams(c)
	}
	out, err := s.git.run(ctx, nil, nil, "rev-list", "--reverse", base+".."+head)
	if err != nil {
		return s.internalError(c, err)
	}
	shas := strings.Fields(string(out))
	from, to, more, last := paginate(len(shas), perPage, page)
	commits := make([]map[string]any, 0, to-from)
	for _, sha := range shas[from:to] {
		cj, _, err := s.commitJSON(ctx, sha)
		if err != nil {
			return s.internalError(c, err)
		}
		commits = append(commits, cj)
	}
	diffSpec := base + sep + head
	d, err := s.diffRange(ctx, diffSpec)
	if err == nil {
		d, err = s.withPatchesRange(ctx, diffSpec, d)
	}
	if err != nil {
		return s.internalError(c, err)
	}
	if len(d.files) > 300 {
		d.files = d.files[:300] // GitHub's limit on files in a comparison
	}
	baseJSON, _, err := s.commitJSON(ctx, base)
	if err != nil {
		return s.internalError(c, err)
	}
	mbJSON, _, err := s.commitJSON(ctx, mergeBase)
	if err != nil {
		return s.internalError(c, err)
	}
	html := s.repoHTML() + "/compare/" + spec
	rep := ok(map[string]any{
		"url":               s.repoAPI() + "/compare/" + spec,
		"html_url":          html,
		"permalink_url":     s.repoHTML() + "/compare/" + s.opts.Owner + ":" + base[:7] + sep + s.opts.Owner + ":" + head[:7],
		"diff_url":          html + ".diff",
		"patch_url":         html + ".patch",
		"base_commit":       baseJSON,
		"merge_base_commit": mbJSON,
		"status":            status,
		"ahead_by":          ahead,
		"behind_by":         behind,
		"total_commits":     len(shas),
		"commits":           commits,
		"files":             s.filesJSON(head, d),
	})
	rep.header = s.linkHeader(c, page, perPage, more, last)
	return rep
}
