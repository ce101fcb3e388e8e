package githubfake

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// referenceTree applies changes the slow, obvious way git offers: the whole
// tree into a throw-away index, update-index, write-tree.
func referenceTree(t *testing.T, g *gitRepo, base string, changes []treeChange) string {
	t.Helper()
	ctx := context.Background()
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(t.TempDir(), "index")}
	if _, err := g.run(ctx, nil, env, "read-tree", base); err != nil {
		t.Fatal(err)
	}
	var info strings.Builder
	for _, c := range changes {
		if c.Delete {
			fmt.Fprintf(&info, "0 %s\t%s\n", strings.Repeat("0", 40), c.Path)
		} else {
			fmt.Fprintf(&info, "%s %s\t%s\n", c.Mode, c.SHA, c.Path)
		}
	}
	if _, err := g.run(ctx, []byte(info.String()), env, "update-index", "--index-info"); err != nil {
		t.Fatal(err)
	}
	out, err := g.run(ctx, nil, env, "write-tree")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func TestEditTreeMatchesGit(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.git
	head, _ := s.branchSHA("main")
	c, err := g.readCommit(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	blob := func(content string) string {
		sha, err := g.writeBlob(ctx, []byte(content))
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	file := func(p, content string) treeChange {
		return treeChange{Path: p, Mode: "100644", Type: "blob", SHA: blob(content)}
	}
	del := func(p string) treeChange { return treeChange{Path: p, Delete: true} }
	tests := map[string][]treeChange{
		"new file in new directories": {file("apps/api/overlays/dev/kustomization.yaml", "a\n")},
		"change a nested file":        {file(stagingPath, "changed\n")},
		"several directories":         {file(stagingPath, "s\n"), file("apps/web/overlays/prod/kustomization.yaml", "p\n"), file("README.md", "r\n")},
		"delete the only file":        {del("apps/web/overlays/prod/kustomization.yaml")},
		"delete a whole subtree":      {del("apps/web/base/deployment.yaml"), del("apps/web/base/kustomization.yaml"), del("apps/web/base/service.yaml")},
		"delete what is not there":    {del("nope/nothing.yaml"), file("x.txt", "x\n")},
		"modes":                       {{Path: "bin/run.sh", Mode: "100755", Type: "blob", SHA: blob("#!/bin/sh\n")}, {Path: "link", Mode: "120000", Type: "blob", SHA: blob("apps")}},
		"names that sort oddly":       {file("apps/web.yaml", "1\n"), file("apps/web-x/a", "2\n"), file("apps/web0", "3\n")},
	}
	for name, changes := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := g.editTree(ctx, c.Tree, changes)
			if err != nil {
				t.Fatal(err)
			}
			if want := referenceTree(t, g, c.Tree, changes); got != want {
				t.Errorf("tree %s, git makes %s", got, want)
			}
		})
	}
	if _, err := g.editTree(ctx, c.Tree, []treeChange{file("a", "1"), file("a/b", "2")}); err == nil {
		t.Error("a path that is both file and directory is accepted")
	}
	empty, err := g.editTree(ctx, "", []treeChange{del("x")})
	if err != nil || empty != emptyTree {
		t.Errorf("empty result %s %v", empty, err)
	}
}
