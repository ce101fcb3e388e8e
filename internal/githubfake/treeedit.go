package githubfake

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// treeChange sets (or, with Delete, removes) the entry at a slash-separated
// path below the tree being edited.
type treeChange struct {
	Path   string
	Mode   string
	Type   string
	SHA    string
	Delete bool
}

// errBadPath reports a path GitHub would refuse.
var errBadPath = errors.New("tree.path contains a malformed path component")

// splitPath checks and splits a repository path.
func splitPath(p string) ([]string, error) {
	parts := strings.Split(p, "/")
	for _, c := range parts {
		if c == "" || c == "." || c == ".." || strings.EqualFold(c, ".git") || strings.ContainsRune(c, 0) {
			return nil, fmt.Errorf("%w: %q", errBadPath, p)
		}
	}
	return parts, nil
}

// editNode is one directory level of the changes to apply.
type editNode struct {
	change   *treeChange
	children map[string]*editNode
}

// editTree applies changes to the tree base ("" for none) and returns the
// new tree's SHA. It reads and rewrites only the directories on the changed
// paths, one level at a time, so its cost follows the depth and width of
// those directories, never the size of the repository. Directories left
// empty disappear, as in git.
func (g *gitRepo) editTree(ctx context.Context, base string, changes []treeChange) (string, error) {
	root := &editNode{}
	for i := range changes {
		parts, err := splitPath(changes[i].Path)
		if err != nil {
			return "", err
		}
		n := root
		for _, p := range parts {
			if n.change != nil && !n.change.Delete {
				return "", fmt.Errorf("%w: %q is both a file and a directory", errBadPath, changes[i].Path)
			}
			if n.children == nil {
				n.children = map[string]*editNode{}
			}
			c := n.children[p]
			if c == nil {
				c = &editNode{}
				n.children[p] = c
			}
			n = c
		}
		if n.children != nil && !changes[i].Delete {
			return "", fmt.Errorf("%w: %q is both a file and a directory", errBadPath, changes[i].Path)
		}
		n.change = &changes[i] // a later entry for the same path wins
	}
	sha, err := g.editDir(ctx, base, root)
	if err != nil {
		return "", err
	}
	if sha == "" {
		return g.writeTree(ctx, nil)
	}
	return sha, nil
}

// editDir rewrites one directory; "" in and out means no (or an empty) tree.
func (g *gitRepo) editDir(ctx context.Context, sha string, n *editNode) (string, error) {
	var entries []treeEntry
	if sha != "" {
		var err error
		if entries, err = g.readTree(ctx, sha); err != nil {
			return "", err
		}
	}
	byName := make(map[string]int, len(entries))
	for i, e := range entries {
		byName[e.Name] = i
	}
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic order of work
	for _, name := range names {
		child := n.children[name]
		i, exists := byName[name]
		var next *treeEntry
		switch {
		case child.children == nil && child.change.Delete:
			// removed below
		case child.children == nil:
			c := child.change
			next = &treeEntry{Mode: c.Mode, Type: c.Type, SHA: c.SHA, Name: name}
		default:
			sub := ""
			if exists && entries[i].Type == "tree" && !(child.change != nil && child.change.Delete) {
				sub = entries[i].SHA
			}
			subSHA, err := g.editDir(ctx, sub, child)
			if err != nil {
				return "", err
			}
			if subSHA != "" {
				next = &treeEntry{Mode: "040000", Type: "tree", SHA: subSHA, Name: name}
			}
		}
		switch {
		case next != nil && exists:
			entries[i] = *next
		case next != nil:
			byName[name] = len(entries)
			entries = append(entries, *next)
		case exists:
			entries[i].Name = "" // tombstone
		}
	}
	kept := entries[:0]
	for _, e := range entries {
		if e.Name != "" {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return "", nil
	}
	return g.writeTree(ctx, kept)
}
