package githubfake

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// The webhook deliveries GitHub sends the App for what happens in the
// repository, the App's own doings included, rendered under mu at the
// moment of the event and queued in order (hooks.go sends them). Every
// payload carries repository, organization, installation and sender.

const zeroSHA = "0000000000000000000000000000000000000000"

// hookEnvelope is what every delivery carries besides its own fields.
func (s *Server) hookEnvelope(sender string) map[string]any {
	id := s.opts.InstallationID
	if a := s.apps[s.hookApp]; s.hookApp != 0 && a != nil {
		id = a.Installation
	}
	return map[string]any{
		"repository":   s.repository(),
		"organization": s.hookOrganization(),
		"installation": map[string]any{"id": id, "node_id": nodeID("Installation", id)},
		"sender":       s.user(sender),
	}
}

// hookOrganization renders "organization-simple-webhooks".
func (s *Server) hookOrganization() map[string]any {
	u := s.user(s.opts.Owner)
	api := s.api() + "/orgs/" + s.opts.Owner
	return map[string]any{
		"login":              s.opts.Owner,
		"id":                 u["id"],
		"node_id":            u["node_id"],
		"url":                api,
		"repos_url":          api + "/repos",
		"events_url":         api + "/events",
		"hooks_url":          api + "/hooks",
		"issues_url":         api + "/issues",
		"members_url":        api + "/members{/member}",
		"public_members_url": api + "/public_members{/member}",
		"avatar_url":         u["avatar_url"],
		"description":        nil,
	}
}

// refUpdated sends push for a ref moved from before to after ("" when
// created or deleted), and synchronize for the open pull requests whose
// head it is. No pusher (the seed) sends nothing. Callers hold mu.
func (s *Server) refUpdated(ctx context.Context, name, before, after, pusher string) {
	if pusher == "" || before == after || !s.hooksOn() {
		return
	}
	if err := s.pushEvent(ctx, name, before, after, pusher); err != nil {
		s.violations = append(s.violations, "webhook push: "+err.Error())
		return
	}
	branch, isBranch := strings.CutPrefix(name, "refs/heads/")
	if !isBranch || before == "" || after == "" {
		return
	}
	for _, p := range s.pulls {
		if p.State == "open" && p.Head == branch {
			s.pullEvent(ctx, "synchronize", p, pusher, map[string]any{"before": before, "after": after})
		}
	}
}

func (s *Server) pushEvent(ctx context.Context, name, before, after, pusher string) error {
	created, deleted := before == "", after == ""
	// The other refs' heads: commits they hold are not new to the
	// repository (not "distinct").
	var others []string
	var baseRef any
	for ref, sha := range s.refs {
		if ref == name {
			continue
		}
		others = append(others, sha)
		if created && sha == after && strings.HasPrefix(ref, "refs/heads/") && strings.HasPrefix(name, "refs/heads/") {
			if baseRef == nil || ref < baseRef.(string) {
				baseRef = ref
			}
		}
	}
	// One rev-list finds both the commits the push adds (">", after but
	// not before) and whether it forced (any "<": before not in after).
	var list []string
	forced := false
	distinct := map[string]bool{}
	if !deleted {
		args := []string{"rev-list", "--reverse", after}
		if !created {
			args = []string{"rev-list", "--reverse", "--left-right", before + "..." + after}
		}
		out, err := s.git.run(ctx, nil, nil, args...)
		if err != nil {
			return err
		}
		for _, line := range strings.Fields(string(out)) {
			switch {
			case strings.HasPrefix(line, "<"):
				forced = true
			case strings.HasPrefix(line, ">"):
				list = append(list, line[1:])
			default:
				list = append(list, line)
			}
		}
		args = []string{"rev-list", after}
		for _, o := range others {
			args = append(args, "^"+o)
		}
		if out, err = s.git.run(ctx, nil, nil, args...); err != nil {
			return err
		}
		for _, sha := range strings.Fields(string(out)) {
			distinct[sha] = true
		}
		if created {
			list = slices.DeleteFunc(list, func(sha string) bool { return !distinct[sha] })
		}
	}
	if len(list) > 20 { // GitHub lists the latest 20
		list = list[len(list)-20:]
	}
	commits := make([]map[string]any, 0, len(list))
	var head any
	for _, sha := range list {
		cj, err := s.pushCommit(ctx, sha, distinct[sha])
		if err != nil {
			return err
		}
		commits = append(commits, cj)
		if sha == after {
			head = cj
		}
	}
	if !deleted && head == nil {
		hc, err := s.pushCommit(ctx, after, distinct[after])
		if err != nil {
			return err
		}
		head = hc
	}
	b, a := before, after
	if created {
		b = zeroSHA
	}
	if deleted {
		a = zeroSHA
	}
	compare := fmt.Sprintf("%s/compare/%s...%s", s.repoHTML(), b[:12], a[:12])
	if created {
		compare = s.repoHTML() + "/compare/" + escapePath(strings.TrimPrefix(strings.TrimPrefix(name, "refs/heads/"), "refs/tags/"))
	}
	who := s.actorSig(pusher, s.created)
	var email any = who.Email
	payload := s.hookEnvelope(pusher)
	repo := payload["repository"].(map[string]any)
	repo["master_branch"] = s.opts.DefaultBranch
	for k, v := range map[string]any{
		"ref": name, "before": b, "after": a,
		"created": created, "deleted": deleted, "forced": forced,
		"base_ref": baseRef, "compare": compare,
		"commits": commits, "head_commit": head,
		"pusher": map[string]any{"name": pusher, "email": email},
	} {
		payload[k] = v
	}
	s.enqueue("push", "", payload)
	return nil
}

// pushCommit renders one commit of a push, with the paths it added,
// changed and removed against its first parent.
func (s *Server) pushCommit(ctx context.Context, sha string, distinct bool) (map[string]any, error) {
	c, err := s.git.readCommit(ctx, sha)
	if err != nil {
		return nil, err
	}
	args := []string{"diff-tree", "-r", "-z", "--name-status", "--no-renames"}
	if len(c.Parents) == 0 {
		args = append(args, "--root", "--no-commit-id", sha)
	} else {
		args = append(args, c.Parents[0], sha)
	}
	out, err := s.git.run(ctx, nil, nil, args...)
	if err != nil {
		return nil, err
	}
	added, modified, removed := []string{}, []string{}, []string{}
	tok := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i := 0; i+1 < len(tok); i += 2 {
		switch tok[i] {
		case "A":
			added = append(added, tok[i+1])
		case "D":
			removed = append(removed, tok[i+1])
		default:
			modified = append(modified, tok[i+1])
		}
	}
	person := func(sig signature) map[string]any {
		m := map[string]any{"name": sig.Name, "email": sig.Email, "date": stamp(sig.When)}
		if login := s.loginForEmail(sig.Email); login != "" {
			m["username"] = login
		}
		return m
	}
	return map[string]any{
		"id":        sha,
		"tree_id":   c.Tree,
		"distinct":  distinct,
		"message":   c.Message,
		"timestamp": c.Author.When.Format("2006-01-02T15:04:05-07:00"),
		"url":       s.repoHTML() + "/commit/" + sha,
		"author":    person(c.Author),
		"committer": person(c.Committer),
		"added":     added,
		"modified":  modified,
		"removed":   removed,
	}, nil
}

// pullEvent sends pull_request with action; extra adds fields (changes,
// before/after). Callers hold mu.
func (s *Server) pullEvent(ctx context.Context, action string, p *pull, sender string, extra map[string]any) {
	if !s.hooksOn() {
		return
	}
	pr, err := s.pullFull(ctx, p)
	if err != nil {
		s.violations = append(s.violations, "webhook pull_request: "+err.Error())
		return
	}
	payload := s.hookEnvelope(sender)
	payload["action"] = action
	payload["number"] = p.Number
	payload["pull_request"] = s.hookPull(pr)
	for k, v := range extra {
		payload[k] = v
	}
	s.enqueue("pull_request", action, payload)
}

// hookPull adds to a REST pull request what the webhook's shape has more.
func (s *Server) hookPull(pr map[string]any) map[string]any {
	for k, v := range map[string]any{
		"allow_auto_merge":               false,
		"allow_update_branch":            false,
		"delete_branch_on_merge":         false,
		"merge_commit_message":           "PR_TITLE",
		"merge_commit_title":             "MERGE_MESSAGE",
		"squash_merge_commit_message":    "COMMIT_MESSAGES",
		"squash_merge_commit_title":      "COMMIT_OR_PR_TITLE",
		"use_squash_pr_title_as_default": false,
	} {
		pr[k] = v
	}
	return pr
}

// commentEvent sends issue_comment created. Callers hold mu.
func (s *Server) commentEvent(cm *comment) {
	if !s.hooksOn() {
		return
	}
	payload := s.hookEnvelope(cm.User)
	payload["action"] = "created"
	payload["issue"] = s.hookIssue(cm.Issue)
	c := s.commentJSON(cm)
	c["performed_via_github_app"] = nil
	if a := s.appByBot(cm.User); a != nil {
		c["performed_via_github_app"] = s.appJSON(a)
	}
	c["reactions"] = s.reactionRollup(fmt.Sprintf("%s/issues/comments/%d/reactions", s.repoAPI(), cm.ID))
	payload["comment"] = c
	s.enqueue("issue_comment", "created", payload)
}

func (s *Server) reactionRollup(url string) map[string]any {
	return map[string]any{"url": url, "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0}
}

// hookIssue renders the issue a comment is on; a pull request's carries
// pull_request links.
func (s *Server) hookIssue(number int) map[string]any {
	api := fmt.Sprintf("%s/issues/%d", s.repoAPI(), number)
	out := map[string]any{
		"url":                api,
		"repository_url":     s.repoAPI(),
		"labels_url":         api + "/labels{/name}",
		"comments_url":       api + "/comments",
		"events_url":         api + "/events",
		"number":             number,
		"assignee":           nil,
		"assignees":          []any{},
		"milestone":          nil,
		"locked":             false,
		"active_lock_reason": nil,
		"author_association": "NONE",
		"reactions":          s.reactionRollup(api + "/reactions"),
	}
	var cv *conversation
	if p := s.pullByNumber(number); p != nil {
		cv = &p.conversation
		html := fmt.Sprintf("%s/pull/%d", s.repoHTML(), number)
		out["id"], out["node_id"], out["title"], out["user"], out["body"] = p.ID, nodeID("PullRequest", p.ID), p.Title, s.user(p.User), nullString(p.Body)
		out["state"], out["created_at"], out["closed_at"] = p.State, stamp(p.CreatedAt), nullTime(p.ClosedAt)
		out["html_url"] = html
		out["pull_request"] = map[string]any{
			"url": fmt.Sprintf("%s/pulls/%d", s.repoAPI(), number), "html_url": html,
			"diff_url": html + ".diff", "patch_url": html + ".patch", "merged_at": nullTime(p.MergedAt),
		}
	} else if is := s.issueByNumber(number); is != nil {
		cv = &is.conversation
		out["id"], out["node_id"], out["title"], out["user"], out["body"] = is.ID, nodeID("Issue", is.ID), is.Title, s.user(is.User), nullString(is.Body)
		out["state"], out["created_at"], out["closed_at"] = is.State, stamp(is.CreatedAt), nullTime(is.ClosedAt)
		out["author_association"] = s.association(is.User)
		out["html_url"] = fmt.Sprintf("%s/issues/%d", s.repoHTML(), number)
	}
	labels := []map[string]any{}
	for _, name := range cv.Labels {
		if l := s.labels[strings.ToLower(name)]; l != nil {
			labels = append(labels, s.labelJSON(l))
		}
	}
	out["labels"], out["comments"], out["updated_at"] = labels, len(cv.Comments), stamp(cv.UpdatedAt)
	return out
}

// statusEvent sends status, with up to ten branches holding the commit.
// Callers hold mu.
func (s *Server) statusEvent(st *commitStatus) {
	if !s.hooksOn() {
		return
	}
	ctx := context.Background()
	commit, _, err := s.commitJSON(ctx, st.SHA)
	if err != nil {
		s.violations = append(s.violations, "webhook status: "+err.Error())
		return
	}
	inner := commit["commit"].(map[string]any)
	verification := map[string]any{}
	for k, v := range unsigned {
		verification[k] = v
	}
	inner["verification"] = verification
	branches := []map[string]any{}
	out, err := s.git.run(ctx, nil, nil, "for-each-ref", "--contains", st.SHA, "--count=10", "--format=%(refname)", "refs/heads/")
	if err != nil {
		s.violations = append(s.violations, "webhook status: "+err.Error())
		return
	}
	for _, ref := range strings.Fields(string(out)) {
		b := strings.TrimPrefix(ref, "refs/heads/")
		head := s.refs[ref]
		branches = append(branches, map[string]any{
			"name":      b,
			"commit":    map[string]any{"sha": head, "url": s.repoAPI() + "/commits/" + head},
			"protected": s.protection[b] != nil,
		})
	}
	j := s.statusJSON(st)
	payload := s.hookEnvelope(st.Creator)
	for k, v := range map[string]any{
		"id": st.ID, "sha": st.SHA, "name": s.opts.Owner + "/" + s.opts.Repo,
		"target_url": j["target_url"], "context": st.Context, "description": j["description"], "state": st.State,
		"commit": commit, "branches": branches, "created_at": j["created_at"], "updated_at": j["updated_at"],
		"avatar_url": j["avatar_url"],
	} {
		payload[k] = v
	}
	s.enqueue("status", "", payload)
}

// checkRunChanged sends check_run completed when a run has just
// completed. Callers hold mu.
func (s *Server) checkRunChanged(cr *checkRun, wasCompleted bool, sender string) {
	if wasCompleted || cr.Status != "completed" || !s.hooksOn() {
		return
	}
	run := s.checkRunJSON(cr)
	var headBranch any
	for _, p := range s.pulls {
		if p.State == "open" && s.headOf(p) == cr.SHA {
			headBranch = p.Head
			break
		}
	}
	if headBranch == nil {
		for ref, sha := range s.refs {
			if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok && sha == cr.SHA {
				headBranch = b
				break
			}
		}
	}
	suiteID := cr.ID + 1
	run["check_suite"] = map[string]any{
		"id":            suiteID,
		"node_id":       nodeID("CheckSuite", suiteID),
		"head_branch":   headBranch,
		"head_sha":      cr.SHA,
		"status":        "completed",
		"conclusion":    cr.Conclusion,
		"url":           fmt.Sprintf("%s/check-suites/%d", s.repoAPI(), suiteID),
		"before":        nil,
		"after":         nil,
		"pull_requests": run["pull_requests"],
		"app":           run["app"],
		"created_at":    stamp(cr.StartedAt),
		"updated_at":    stamp(cr.CompletedAt),
	}
	payload := s.hookEnvelope(sender)
	payload["action"] = "completed"
	payload["check_run"] = run
	s.enqueue("check_run", "completed", payload)
}
