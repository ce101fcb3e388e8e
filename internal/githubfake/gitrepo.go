package githubfake

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// emptyTree is git's well-known SHA-1 of the tree with no entries.
const emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

var (
	fullSHA  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	shortSHA = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
)

// errNoObject reports an object name that does not resolve.
var errNoObject = errors.New("object does not exist")

// gitRepo is a bare repository driven through the git binary.
type gitRepo struct {
	dir  string // the bare repository
	home string // scratch: HOME of git processes and temp files
	env  []string

	cat    batchProc // cat-file --batch-command: object info and contents
	mktree batchProc // mktree --batch -z: one tree per request
	hasher batchProc // hash-object -w --stdin-paths: blobs from temp files
}

func openGitRepo(ctx context.Context, root, defaultBranch string) (*gitRepo, error) {
	g := &gitRepo{dir: filepath.Join(root, "repo.git"), home: filepath.Join(root, "scratch")}
	if err := os.MkdirAll(g.home, 0o700); err != nil {
		return nil, err
	}
	g.env = gitEnv(g.dir, g.home)
	if _, err := g.run(ctx, nil, nil, "init", "--quiet", "--bare", "--initial-branch="+defaultBranch, g.dir); err != nil {
		return nil, err
	}
	g.cat = batchProc{args: []string{"cat-file", "--batch-command"}, env: g.env, dir: g.home}
	g.mktree = batchProc{args: []string{"mktree", "--batch", "-z"}, env: g.env, dir: g.home}
	g.hasher = batchProc{args: []string{"hash-object", "-w", "--no-filters", "--stdin-paths"}, env: g.env, dir: g.home}
	return g, nil
}

func (g *gitRepo) close() {
	g.cat.stop()
	g.mktree.stop()
	g.hasher.stop()
}

// objectInfo is what cat-file says of an object.
type objectInfo struct {
	SHA  string
	Type string // blob, tree, commit, tag
	Size int64
}

// validName keeps whatever reaches cat-file's line protocol to one token.
func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, " \t\r\n\x00")
}

func readHeader(r *bufio.Reader, name string) (objectInfo, bool, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return objectInfo{}, false, err
	}
	f := strings.Fields(line)
	if len(f) == 2 && (f[1] == "missing" || f[1] == "ambiguous") {
		return objectInfo{}, false, nil
	}
	if len(f) != 3 {
		return objectInfo{}, false, fmt.Errorf("cat-file: unexpected answer %q for %s", line, name)
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return objectInfo{}, false, fmt.Errorf("cat-file: bad size in %q", line)
	}
	return objectInfo{SHA: f[0], Type: f[1], Size: size}, true, nil
}

// info resolves name (a SHA, possibly abbreviated, or a full ref name).
// It returns errNoObject when it does not resolve.
func (g *gitRepo) info(ctx context.Context, name string) (objectInfo, error) {
	if !validName(name) {
		return objectInfo{}, errNoObject
	}
	var info objectInfo
	var found bool
	err := g.cat.do(ctx, func(w *bufio.Writer) error {
		_, err := fmt.Fprintf(w, "info %s\n", name)
		return err
	}, func(r *bufio.Reader) (err error) {
		info, found, err = readHeader(r, name)
		return err
	})
	if err != nil {
		return objectInfo{}, err
	}
	if !found {
		return objectInfo{}, errNoObject
	}
	return info, nil
}

// read returns an object's type and content.
func (g *gitRepo) read(ctx context.Context, name string) (objectInfo, []byte, error) {
	if !validName(name) {
		return objectInfo{}, nil, errNoObject
	}
	var info objectInfo
	var found bool
	var data []byte
	err := g.cat.do(ctx, func(w *bufio.Writer) error {
		_, err := fmt.Fprintf(w, "contents %s\n", name)
		return err
	}, func(r *bufio.Reader) (err error) {
		info, found, err = readHeader(r, name)
		if err != nil || !found {
			return err
		}
		data = make([]byte, info.Size+1) // content and its closing newline
		_, err = io.ReadFull(r, data)
		data = data[:info.Size]
		return err
	})
	if err != nil {
		return objectInfo{}, nil, err
	}
	if !found {
		return objectInfo{}, nil, errNoObject
	}
	return info, data, nil
}

// readTyped reads an object that must be of type want.
func (g *gitRepo) readTyped(ctx context.Context, sha, want string) ([]byte, error) {
	info, data, err := g.read(ctx, sha)
	if err != nil {
		return nil, err
	}
	if info.Type != want {
		return nil, fmt.Errorf("%s is a %s, not a %s: %w", sha, info.Type, want, errNoObject)
	}
	return data, nil
}

// writeBlob stores content and returns its SHA.
func (g *gitRepo) writeBlob(ctx context.Context, content []byte) (string, error) {
	tmp := filepath.Join(g.home, "blob.tmp")
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		return "", fmt.Errorf("write blob: %w", err)
	}
	var sha string
	err := g.hasher.do(ctx, func(w *bufio.Writer) error {
		_, err := w.WriteString(tmp + "\n")
		return err
	}, func(r *bufio.Reader) error {
		line, err := r.ReadString('\n')
		sha = strings.TrimSpace(line)
		if err == nil && !fullSHA.MatchString(sha) {
			err = fmt.Errorf("hash-object: unexpected answer %q", line)
		}
		return err
	})
	return sha, err
}

// writeTree stores a tree of entries (in any order; mktree sorts them).
func (g *gitRepo) writeTree(ctx context.Context, entries []treeEntry) (string, error) {
	var sha string
	err := g.mktree.do(ctx, func(w *bufio.Writer) error {
		for _, e := range entries {
			if _, err := fmt.Fprintf(w, "%s %s %s\t%s\x00", e.Mode, e.Type, e.SHA, e.Name); err != nil {
				return err
			}
		}
		return w.WriteByte(0) // an empty record ends the tree
	}, func(r *bufio.Reader) error {
		line, err := r.ReadString('\n')
		sha = strings.TrimSpace(line)
		if err == nil && !fullSHA.MatchString(sha) {
			err = fmt.Errorf("mktree: unexpected answer %q", line)
		}
		return err
	})
	return sha, err
}

// treeEntry is one entry of a tree object.
type treeEntry struct {
	Mode string // as the API spells it: 100644, 100755, 040000, 160000, 120000
	Type string // blob, tree, commit
	SHA  string
	Name string
}

// readTree lists a tree's entries in git's order.
func (g *gitRepo) readTree(ctx context.Context, sha string) ([]treeEntry, error) {
	data, err := g.readTyped(ctx, sha, "tree")
	if err != nil {
		return nil, err
	}
	return parseTree(data)
}

// parseTree decodes the binary tree format: "<mode> <name>\0<20-byte id>"...
func parseTree(data []byte) ([]treeEntry, error) {
	var out []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+21 {
			return nil, errors.New("malformed tree object")
		}
		mode := string(data[:sp])
		name := string(data[sp+1 : nul])
		sha := fmt.Sprintf("%x", data[nul+1:nul+21])
		data = data[nul+21:]
		e := treeEntry{Mode: mode, Name: name, SHA: sha}
		switch mode {
		case "40000":
			e.Mode, e.Type = "040000", "tree"
		case "160000":
			e.Type = "commit"
		default:
			e.Type = "blob"
		}
		out = append(out, e)
	}
	return out, nil
}

// commitObject is a decoded commit.
type commitObject struct {
	SHA       string
	Tree      string
	Parents   []string
	Author    signature
	Committer signature
	Message   string
}

// readCommit decodes the commit named sha.
func (g *gitRepo) readCommit(ctx context.Context, sha string) (commitObject, error) {
	data, err := g.readTyped(ctx, sha, "commit")
	if err != nil {
		return commitObject{}, err
	}
	c, err := parseCommit(data)
	c.SHA = sha
	return c, err
}

func parseCommit(data []byte) (commitObject, error) {
	var c commitObject
	head, msg, _ := bytes.Cut(data, []byte("\n\n"))
	c.Message = string(msg)
	for _, line := range strings.Split(string(head), "\n") {
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "tree":
			c.Tree = val
		case "parent":
			c.Parents = append(c.Parents, val)
		case "author":
			c.Author = parseSignature(val)
		case "committer":
			c.Committer = parseSignature(val)
		}
	}
	if c.Tree == "" {
		return c, errors.New("malformed commit object")
	}
	return c, nil
}
