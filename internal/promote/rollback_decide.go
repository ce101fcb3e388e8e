package promote

import (
	"fmt"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/command"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// restorePoint is a stage's kustomization as one commit of its history left it.
type restorePoint struct {
	Commit githubapp.Commit
	Pin    manifest.Pinned
	// Problem says why the file pinned nothing at this commit (missing,
	// broken, no entry for the image); "" when Pin is what it pinned.
	Problem string
}

// rollbackHistory is what a rollback decides on: the commits that changed
// the stage's file, newest first, and the files read so far, which are
// always the first len(Points) of Commits.
type rollbackHistory struct {
	App, Stage, Image, Path, Base string
	Commits                       []githubapp.Commit
	Points                        []restorePoint
	Limit                         int // how many commits were asked for
}

// decideRestore chooses the point a rollback restores, given the stage's
// current pin and the person's target ("" for the previous digest). When
// the points read so far cannot settle it, more asks for the next one; a
// choice in the points read is final, since they come newest first.
func decideRestore(h rollbackHistory, current manifest.Pinned, target string) (p restorePoint, v verdict, more bool) {
	if len(h.Commits) == 0 {
		return p, no("%s has no history on %s, so there is nothing to roll back to", h.Path, h.Base), false
	}
	kind := command.Command{Target: target}.TargetKind()
	if kind == command.TargetTagOrCommit {
		var hits []int
		for i, c := range h.Commits {
			if strings.HasPrefix(c.SHA, target) {
				hits = append(hits, i)
			}
		}
		switch {
		case len(hits) > 1:
			return p, no("%s matches %d commits in %s (%s); give more of the SHA", target, len(hits), h.scope(), shortSHAs(h.Commits, hits)), false
		case len(hits) == 1 && hits[0] >= len(h.Points):
			return p, verdict{}, true
		case len(hits) == 1:
			return h.settle(h.Points[hits[0]])
		}
	}
	match := func(r restorePoint) bool {
		switch kind {
		case command.TargetNone:
			return !samePin(r.Pin, current)
		case command.TargetDigest:
			return r.Pin.Digest == target
		}
		return r.Pin.Tag == target
	}
	for _, r := range h.Points {
		if r.Problem == "" && match(r) {
			return h.settle(r)
		}
	}
	if len(h.Points) < len(h.Commits) {
		return p, verdict{}, true
	}
	switch kind {
	case command.TargetNone:
		tag, digest := pinnedString(current)
		return p, no("%s has run nothing but what it runs now (%s, %s) in %s in %s; there is nothing earlier to roll back to", h.App, tag, digest, h.Stage, h.scope()), false
	case command.TargetTagOrCommit:
		return p, no("%s is neither a commit nor a tag in %s; what %s ran in %s: %s", target, h.scope(), h.App, h.Stage, h.ran()), false
	case command.TargetDigest:
		return p, no("%s never ran %s in %s in %s; what it ran there: %s", h.App, target, h.Stage, h.scope(), h.ran()), false
	}
	return p, no("%s never ran a tag %s in %s in %s; what it ran there: %s", h.App, target, h.Stage, h.scope(), h.ran()), false
}

// settle accepts a chosen point only if it can be restored exactly.
func (h rollbackHistory) settle(r restorePoint) (restorePoint, verdict, bool) {
	switch {
	case r.Problem != "":
		return restorePoint{}, no("commit %s pinned nothing to restore in %s: %s. What %s ran there: %s", shortSHA(r.Commit.SHA), h.Stage, r.Problem, h.App, h.ran()), false
	case r.Pin.Digest == "":
		return restorePoint{}, no("commit %s pinned %s in %s by tag %s only, with no digest; stagehand restores only an exact digest, so name another with `to <tag|digest|commit>` (what it ran there: %s)", shortSHA(r.Commit.SHA), h.Image, h.Stage, r.Pin.Tag, h.ran()), false
	}
	return r, yes(), false
}

// samePin reports whether two pins are the same image: the same digest, or
// with no digest on either side, the same tag.
func samePin(a, b manifest.Pinned) bool {
	if a.Digest != "" || b.Digest != "" {
		return a.Digest == b.Digest
	}
	return a.Tag == b.Tag
}

// scope says which history was looked at.
func (h rollbackHistory) scope() string {
	if len(h.Commits) >= h.Limit {
		return fmt.Sprintf("the last %d commits that changed %s on %s", len(h.Commits), h.Path, h.Base)
	}
	if len(h.Commits) == 1 {
		return fmt.Sprintf("the one commit that changed %s on %s", h.Path, h.Base)
	}
	return fmt.Sprintf("all %d commits that changed %s on %s", len(h.Commits), h.Path, h.Base)
}

// ran lists the distinct pins read, newest first, each with the newest
// commit that made it, so that a refusal shows what can be named.
func (h rollbackHistory) ran() string {
	const most = 8
	var list []string
	seen := map[manifest.Pinned]bool{}
	for _, r := range h.Points {
		if r.Problem != "" || seen[r.Pin] {
			continue
		}
		seen[r.Pin] = true
		tag, digest := pinnedString(r.Pin)
		if len(list) == most {
			list = append(list, "…")
			break
		}
		list = append(list, fmt.Sprintf("%s (%s, commit %s)", tag, short(digest), shortSHA(r.Commit.SHA)))
	}
	if len(list) == 0 {
		return "nothing readable"
	}
	return strings.Join(list, ", ")
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func shortSHAs(commits []githubapp.Commit, at []int) string {
	s := make([]string, len(at))
	for i, j := range at {
		s[i] = shortSHA(commits[j].SHA)
	}
	return strings.Join(s, ", ")
}
