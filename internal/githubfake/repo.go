package githubfake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// seed makes the first commit on the default branch from Seed and
// SeedFiles. The Seed directory is staged by git itself (through a
// throw-away index) so that even a large seed costs one process.
func (s *Server) seed(ctx context.Context) error {
	tree := emptyTree
	if s.opts.Seed != "" {
		dir, err := filepath.Abs(s.opts.Seed)
		if err != nil {
			return err
		}
		env := []string{"GIT_INDEX_FILE=" + filepath.Join(s.git.home, "seed.index"), "GIT_WORK_TREE=" + dir}
		if _, err := s.git.runAt(ctx, dir, nil, env, "add", "--all", "--force", "."); err != nil {
			return err
		}
		out, err := s.git.runAt(ctx, dir, nil, env, "write-tree")
		if err != nil {
			return err
		}
		tree = strings.TrimSpace(string(out))
		_ = os.Remove(filepath.Join(s.git.home, "seed.index"))
		// git add leaves every file a loose object; GitHub serves packed
		// repositories, and git's cost per command on thousands of loose
		// objects would be the stand-in's, not stagehand's.
		if _, err := s.git.run(ctx, nil, nil, "repack", "-a", "-d", "-q"); err != nil {
			return err
		}
	} else if _, err := s.git.writeTree(ctx, nil); err != nil { // make sure the empty tree exists
		return err
	}
	if len(s.opts.SeedFiles) > 0 {
		changes, err := s.fileChanges(ctx, s.opts.SeedFiles)
		if err != nil {
			return err
		}
		if tree, err = s.git.editTree(ctx, tree, changes); err != nil {
			return err
		}
	}
	who := signature{Name: s.opts.Owner, Email: s.opts.Owner + "@users.noreply.github.com", When: s.created}
	sha, err := s.git.writeCommit(ctx, tree, nil, who, who, "Initial commit")
	if err != nil {
		return err
	}
	return s.setRef(ctx, "refs/heads/"+s.opts.DefaultBranch, sha, "")
}

// fileChanges stores files as blobs; a nil content deletes the path.
func (s *Server) fileChanges(ctx context.Context, files map[string][]byte) ([]treeChange, error) {
	changes := make([]treeChange, 0, len(files))
	for _, p := range slices.Sorted(maps.Keys(files)) {
		content := files[p]
		p = strings.Trim(filepath.ToSlash(p), "/")
		if content == nil {
			changes = append(changes, treeChange{Path: p, Delete: true})
			continue
		}
		sha, err := s.git.writeBlob(ctx, content)
		if err != nil {
			return nil, err
		}
		changes = append(changes, treeChange{Path: p, Mode: "100644", Type: "blob", SHA: sha})
	}
	return changes, nil
}

// setRef points a ref at sha, in memory (the truth the API serves) and in
// git (so the repository on disk is a faithful copy), as pusher (the
// login whose push it is, for the push webhook). Callers hold mu.
func (s *Server) setRef(ctx context.Context, name, sha, pusher string) error {
	if _, err := s.git.run(ctx, nil, nil, "update-ref", name, sha); err != nil {
		return err
	}
	before := s.refs[name]
	s.refs[name] = sha
	s.refUpdated(ctx, name, before, sha, pusher)
	return nil
}

func (s *Server) deleteRefLocked(ctx context.Context, name, pusher string) error {
	if _, err := s.git.run(ctx, nil, nil, "update-ref", "-d", name); err != nil {
		return err
	}
	before := s.refs[name]
	delete(s.refs, name)
	s.refUpdated(ctx, name, before, "", pusher)
	return nil
}

// resolveCommit turns a branch name, "heads/…"/"refs/heads/…" name or a
// (possibly abbreviated) commit SHA into a full commit SHA. Callers hold mu.
func (s *Server) resolveCommit(ctx context.Context, ref string) (string, error) {
	for _, name := range []string{"refs/heads/" + ref, "refs/" + ref, ref, "refs/tags/" + ref} {
		if sha, ok := s.refs[name]; ok {
			return s.peelToCommit(ctx, sha)
		}
	}
	if shortSHA.MatchString(ref) {
		info, err := s.git.info(ctx, ref)
		if err != nil {
			return "", err
		}
		if info.Type != "commit" {
			return "", errNoObject
		}
		return info.SHA, nil
	}
	return "", errNoObject
}

// peelToCommit follows annotated tags down to their commit.
func (s *Server) peelToCommit(ctx context.Context, sha string) (string, error) {
	for range 10 {
		info, data, err := s.git.read(ctx, sha)
		if err != nil {
			return "", err
		}
		switch info.Type {
		case "commit":
			return sha, nil
		case "tag":
			obj, _, _ := strings.Cut(strings.TrimPrefix(string(data), "object "), "\n")
			sha = obj
		default:
			return "", errNoObject
		}
	}
	return "", errNoObject
}

// lookupPath finds the entry at path in commit's tree, walking one tree
// per path component. An empty path is the root tree.
func (s *Server) lookupPath(ctx context.Context, commit, path string) (treeEntry, error) {
	c, err := s.git.readCommit(ctx, commit)
	if err != nil {
		return treeEntry{}, err
	}
	cur := treeEntry{Mode: "040000", Type: "tree", SHA: c.Tree}
	path = strings.Trim(path, "/")
	if path == "" {
		return cur, nil
	}
	for _, part := range strings.Split(path, "/") {
		if cur.Type != "tree" {
			return treeEntry{}, errNoObject
		}
		entries, err := s.git.readTree(ctx, cur.SHA)
		if err != nil {
			return treeEntry{}, err
		}
		i := slices.IndexFunc(entries, func(e treeEntry) bool { return e.Name == part })
		if i < 0 {
			return treeEntry{}, errNoObject
		}
		cur = entries[i]
	}
	cur.Name = path
	return cur, nil
}

// isAncestor reports whether a is an ancestor of (or equal to) b.
func (s *Server) isAncestor(ctx context.Context, a, b string) (bool, error) {
	if a == b {
		return true, nil
	}
	_, err := s.git.run(ctx, nil, nil, "merge-base", "--is-ancestor", a, b)
	var ge *GitError
	if errors.As(err, &ge) && ge.Code == 1 {
		return false, nil
	}
	return err == nil, err
}

// mergeTree merges head into base without touching any ref: the tree it
// would produce, or clean=false on conflict.
func (s *Server) mergeTree(ctx context.Context, base, head string) (tree string, clean bool, err error) {
	out, err := s.git.run(ctx, nil, nil, "merge-tree", "--write-tree", "--no-messages", base, head)
	var ge *GitError
	if errors.As(err, &ge) && ge.Code == 1 {
		return "", false, nil
	}
	if err != nil {
		if strings.Contains(err.Error(), "unrelated histories") {
			return "", false, nil
		}
		return "", false, err
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if !fullSHA.MatchString(first) {
		return "", false, fmt.Errorf("merge-tree: unexpected output %q", out)
	}
	return first, true, nil
}

// commitsBetween counts commits reachable from head but not base.
func (s *Server) commitsBetween(ctx context.Context, base, head string) (int, error) {
	out, err := s.git.run(ctx, nil, nil, "rev-list", "--count", base+".."+head)
	if err != nil {
		return 0, err
	}
	var n int
	_, err = fmt.Sscanf(strings.TrimSpace(string(out)), "%d", &n)
	return n, err
}

// branchOf returns the SHA a branch points at.
func (s *Server) branchSHA(branch string) (string, bool) {
	sha, ok := s.refs["refs/heads/"+branch]
	return sha, ok
}

// personSig is the identity a person's commits carry.
func personSig(login string, when time.Time) signature {
	return signature{Name: login, Email: login + "@users.noreply.github.com", When: when}
}

// botSig is the identity of commits an App makes.
func botSig(a *app, when time.Time) signature {
	return signature{Name: a.bot(), Email: fmt.Sprintf("%d+%s@users.noreply.github.com", a.ID, a.bot()), When: when}
}

// webFlow is who commits merges made on GitHub.
func webFlow(when time.Time) signature {
	return signature{Name: "GitHub", Email: "noreply@github.com", When: when}
}

// loginForEmail maps a commit email back to a GitHub login, as GitHub does
// for noreply addresses; "" when it is nobody GitHub knows.
func (s *Server) loginForEmail(email string) string {
	local, ok := strings.CutSuffix(email, "@users.noreply.github.com")
	if !ok {
		return ""
	}
	if _, after, found := strings.Cut(local, "+"); found {
		return after
	}
	return local
}
