package githubfake

import (
	"context"
	"fmt"
	"strings"
	"time"
)

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return stamp(t)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) labelJSON(l *label) map[string]any {
	return map[string]any{
		"id":          l.ID,
		"node_id":     nodeID("Label", l.ID),
		"url":         s.repoAPI() + "/labels/" + pathEscape(l.Name),
		"name":        l.Name,
		"description": nil,
		"color":       l.Color,
		"default":     false,
	}
}

// pullSimple renders "pull-request-simple", the shape pulls/list returns.
// Callers hold mu.
func (s *Server) pullSimple(p *pull) map[string]any {
	api := s.repoAPI()
	self := fmt.Sprintf("%s/pulls/%d", api, p.Number)
	issue := fmt.Sprintf("%s/issues/%d", api, p.Number)
	html := fmt.Sprintf("%s/pull/%d", s.repoHTML(), p.Number)
	head := s.headOf(p)
	labels := make([]map[string]any, 0, len(p.Labels))
	for _, name := range p.Labels {
		if l := s.labels[strings.ToLower(name)]; l != nil {
			lj := s.labelJSON(l)
			lj["description"] = "" // pull-request-simple has it non-nullable
			labels = append(labels, lj)
		}
	}
	ref := func(branch, sha string) map[string]any {
		return map[string]any{
			"label": s.opts.Owner + ":" + branch,
			"ref":   branch,
			"sha":   sha,
			"user":  s.user(s.opts.Owner),
			"repo":  s.repository(),
		}
	}
	link := func(href string) map[string]any { return map[string]any{"href": href} }
	var mergeSHA any
	if p.MergeSHA != "" {
		mergeSHA = p.MergeSHA
	}
	return map[string]any{
		"url":                 self,
		"id":                  p.ID,
		"node_id":             nodeID("PullRequest", p.ID),
		"html_url":            html,
		"diff_url":            html + ".diff",
		"patch_url":           html + ".patch",
		"issue_url":           issue,
		"commits_url":         self + "/commits",
		"review_comments_url": self + "/comments",
		"review_comment_url":  api + "/pulls/comments{/number}",
		"comments_url":        issue + "/comments",
		"statuses_url":        api + "/statuses/" + head,
		"number":              p.Number,
		"state":               p.State,
		"locked":              false,
		"title":               p.Title,
		"user":                s.user(p.User),
		"body":                nullString(p.Body),
		"labels":              labels,
		"milestone":           nil,
		"active_lock_reason":  nil,
		"created_at":          stamp(p.CreatedAt),
		"updated_at":          stamp(p.UpdatedAt),
		"closed_at":           nullTime(p.ClosedAt),
		"merged_at":           nullTime(p.MergedAt),
		"merge_commit_sha":    mergeSHA,
		"assignee":            nil,
		"assignees":           []any{},
		"requested_reviewers": []any{},
		"requested_teams":     []any{},
		"head":                ref(p.Head, head),
		"base":                ref(p.Base, s.baseOf(p)),
		"_links": map[string]any{
			"self":            link(self),
			"html":            link(html),
			"issue":           link(issue),
			"comments":        link(issue + "/comments"),
			"review_comments": link(self + "/comments"),
			"review_comment":  link(api + "/pulls/comments{/number}"),
			"commits":         link(self + "/commits"),
			"statuses":        link(api + "/statuses/" + head),
		},
		"author_association": "NONE",
		"auto_merge":         nil,
		"draft":              p.Draft,
	}
}

// pullFull renders "pull-request" (get, create, update), mergeability
// computed with git merge-tree. Callers hold mu.
func (s *Server) pullFull(ctx context.Context, p *pull) (map[string]any, error) {
	out := s.pullSimple(p)
	m, err := s.mergeStateOf(ctx, p)
	if err != nil {
		return nil, err
	}
	var mergeable any
	if m.Mergeable != nil {
		mergeable = *m.Mergeable
	}
	base, head := s.baseOf(p), s.headOf(p)
	commits, err := s.commitsBetween(ctx, base, head)
	if err != nil {
		commits = 0 // unrelated or vanished history: nothing to count
	}
	var mergedBy any
	if p.MergedBy != "" {
		mergedBy = s.user(p.MergedBy)
	}
	out["mergeable"] = mergeable
	out["mergeable_state"] = m.State
	out["rebaseable"] = false
	out["merged"] = p.Merged
	out["merged_by"] = mergedBy
	out["comments"] = len(p.Comments)
	out["review_comments"] = 0
	out["maintainer_can_modify"] = false
	out["commits"] = commits
	out["additions"] = 0
	out["deletions"] = 0
	out["changed_files"] = 0
	if stats, err := s.diffStats(ctx, base, head); err == nil {
		out["additions"], out["deletions"], out["changed_files"] = stats.additions, stats.deletions, len(stats.files)
	}
	return out, nil
}
