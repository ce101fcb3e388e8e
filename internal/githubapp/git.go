package githubapp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// Branch reads a branch head and its tree in one call, so both come from
// the same snapshot. A renamed branch (GitHub answers 301) is followed, at
// the cost of a second call; Name is then the new name.
func (c *Client) Branch(ctx context.Context, name string) (Branch, error) {
	op := fmt.Sprintf("read branch %s", name)
	// Not Repositories.GetBranch: in go-github v60 it skips CheckResponse, so
	// its errors carry neither GitHub's message nor the rate limit types.
	req, err := c.gh.NewRequest(http.MethodGet,
		fmt.Sprintf("repos/%s/%s/branches/%s", c.owner, c.name, url.PathEscape(name)), nil)
	if err != nil {
		return Branch{}, fmt.Errorf("%s: %w", op, err)
	}
	var b github.Branch
	if _, err := c.gh.Do(ctx, req, &b); err != nil {
		return Branch{}, wrap(op, err, nil)
	}
	head := b.GetCommit()
	out := Branch{Name: b.GetName(), SHA: head.GetSHA(), TreeSHA: head.GetCommit().GetTree().GetSHA()}
	if out.SHA == "" || out.TreeSHA == "" {
		return Branch{}, fmt.Errorf("%s: response lacks the head commit or its tree", op)
	}
	return out, nil
}

// ReadFile returns the bytes of the file at path as of ref (pass a commit
// SHA to read one snapshot). A missing path or a directory is ErrNotFound.
// Files over 1 MB, which the contents API does not inline, are read through
// the blob API: two calls instead of one.
func (c *Client) ReadFile(ctx context.Context, path, ref string) ([]byte, error) {
	op := fmt.Sprintf("read %s at %s", path, ref)
	path = strings.TrimPrefix(path, "/")
	file, dir, _, err := c.gh.Repositories.GetContents(ctx, c.owner, c.name, path,
		&github.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		return nil, wrap(op, err, nil)
	}
	if dir != nil || file == nil {
		return nil, fmt.Errorf("%s: a directory: %w", op, ErrNotFound)
	}
	if t := file.GetType(); t != "file" {
		return nil, fmt.Errorf("%s: a %s, not a file: %w", op, t, ErrNotFound)
	}
	if file.GetEncoding() == "none" {
		b, _, err := c.gh.Git.GetBlobRaw(ctx, c.owner, c.name, file.GetSHA())
		if err != nil {
			return nil, wrap(op+" (blob "+file.GetSHA()+")", err, nil)
		}
		return b, nil
	}
	s, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return []byte(s), nil
}

// CreateCommit writes files (path → content, mode 100644) on top of base as
// one new commit and returns its SHA and its tree's (a caller that knows
// base's files then knows the new tree's without reading them); no branch
// moves. It costs two calls however large the repository is: a tree
// carrying the contents inline over base's tree, then the commit. Only content that is not UTF-8, which JSON
// cannot carry as a string, costs one more call per file, for its blob.
func (c *Client) CreateCommit(ctx context.Context, base Branch, message string, files map[string][]byte) (sha, tree string, err error) {
	op := fmt.Sprintf("commit on %s", base.SHA)
	switch {
	case base.SHA == "" || base.TreeSHA == "":
		return "", "", fmt.Errorf("%s: base needs both a commit and a tree SHA", op)
	case strings.TrimSpace(message) == "":
		return "", "", fmt.Errorf("%s: empty commit message", op)
	case len(files) == 0:
		return "", "", fmt.Errorf("%s: no files", op)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		if err := checkPath(p); err != nil {
			return "", "", fmt.Errorf("%s: %w", op, err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths) // same request for the same files

	entries := make([]*github.TreeEntry, 0, len(paths))
	for _, p := range paths {
		e := &github.TreeEntry{Path: github.String(p), Mode: github.String("100644"), Type: github.String("blob")}
		if content := files[p]; utf8.Valid(content) {
			e.Content = github.String(string(content))
		} else {
			blob, err := c.createBlob(ctx, content)
			if err != nil {
				return "", "", wrap(fmt.Sprintf("%s: blob for %s", op, p), err, nil)
			}
			e.SHA = github.String(blob)
		}
		entries = append(entries, e)
	}
	t, _, err := c.gh.Git.CreateTree(ctx, c.owner, c.name, base.TreeSHA, entries)
	if err != nil {
		return "", "", wrap(op+": tree", err, nil)
	}
	commit, _, err := c.gh.Git.CreateCommit(ctx, c.owner, c.name, &github.Commit{
		Message: github.String(message),
		Tree:    &github.Tree{SHA: t.SHA},
		Parents: []*github.Commit{{SHA: github.String(base.SHA)}},
	}, nil)
	if err != nil {
		return "", "", wrap(op, err, nil)
	}
	return commit.GetSHA(), t.GetSHA(), nil
}

func (c *Client) createBlob(ctx context.Context, content []byte) (string, error) {
	blob, _, err := c.gh.Git.CreateBlob(ctx, c.owner, c.name, &github.Blob{
		Content:  github.String(base64.StdEncoding.EncodeToString(content)),
		Encoding: github.String("base64"),
	})
	if err != nil {
		return "", err
	}
	return blob.GetSHA(), nil
}

// checkPath rejects what git would refuse or misplace in a tree: absolute
// paths, empty, "." and ".." segments.
func checkPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || seg == ".git" {
			return fmt.Errorf("path %q: want a relative path without empty, \".\", \"..\" or \".git\" segments", p)
		}
	}
	return nil
}

// CreateBranch creates refs/heads/<name> at sha. A branch that already
// exists is reported as created=false, not as an error, and is left as it is.
func (c *Client) CreateBranch(ctx context.Context, name, sha string) (created bool, err error) {
	_, _, err = c.gh.Git.CreateRef(ctx, c.owner, c.name, &github.Reference{
		Ref:    github.String("refs/heads/" + name),
		Object: &github.GitObject{SHA: github.String(sha)},
	})
	switch {
	case err == nil:
		return true, nil
	case statusOf(err) == http.StatusUnprocessableEntity && says(err, "reference already exists"):
		return false, nil
	}
	return false, wrap(fmt.Sprintf("create branch %s at %s", name, sha), err, onRefs())
}

// MoveBranch points branch name at sha, fast-forward or not. A branch that
// does not exist is ErrNotFound.
func (c *Client) MoveBranch(ctx context.Context, name, sha string) error {
	_, _, err := c.gh.Git.UpdateRef(ctx, c.owner, c.name, &github.Reference{
		Ref:    github.String("refs/heads/" + name),
		Object: &github.GitObject{SHA: github.String(sha)},
	}, true)
	if err == nil {
		return nil
	}
	k := onRefs()
	if says(err, "reference does not exist") {
		k[http.StatusUnprocessableEntity] = ErrNotFound
	}
	return wrap(fmt.Sprintf("move branch %s to %s", name, sha), err, k)
}

// DeleteBranch deletes branch name; one already gone (404, or 422
// "Reference does not exist") is not an error. Other 422s, such as a
// protected branch, are ErrConflict.
func (c *Client) DeleteBranch(ctx context.Context, name string) error {
	_, err := c.gh.Git.DeleteRef(ctx, c.owner, c.name, "refs/heads/"+name)
	switch {
	case err == nil:
		return nil
	case statusOf(err) == http.StatusNotFound,
		statusOf(err) == http.StatusUnprocessableEntity && says(err, "reference does not exist"):
		return nil
	}
	return wrap(fmt.Sprintf("delete branch %s", name), err, onRefs())
}
