package githubfake

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The Go API below acts as people and CI do, beside the REST API the App
// uses. Each call takes the same lock as a request.

// ErrNotFound reports a ref, path or pull request that does not exist.
var ErrNotFound = errors.New("githubfake: not found")

// PullRequest is a snapshot of one pull request.
type PullRequest struct {
	Number   int
	Title    string
	Body     string
	State    string // open, closed
	Draft    bool
	Merged   bool
	Head     string // branch names
	Base     string
	HeadSHA  string
	Labels   []string
	Comments []string // bodies, oldest first
	MergeSHA string
	MergedBy string
}

// lock takes mu unless the server is closed.
func (s *Server) lock() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	return nil
}

// FileAt returns a file's content at ref (a branch, or a commit SHA).
func (s *Server) FileAt(ref, path string) ([]byte, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	ctx := context.Background()
	sha, err := s.resolveCommit(ctx, ref)
	if err != nil {
		return nil, notFoundErr(err, "ref %s", ref)
	}
	e, err := s.lookupPath(ctx, sha, path)
	if err != nil {
		return nil, notFoundErr(err, "%s at %s", path, ref)
	}
	if e.Type != "blob" {
		return nil, fmt.Errorf("%s at %s is a %s: %w", path, ref, e.Type, ErrNotFound)
	}
	return s.git.readTyped(ctx, e.SHA, "blob")
}

func notFoundErr(err error, format string, args ...any) error {
	if errors.Is(err, errNoObject) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
	}
	return err
}

// Checkout writes the tree at ref into dir (created if needed), e.g. for
// krusty to render.
func (s *Server) Checkout(ref, dir string) error {
	if err := s.lock(); err != nil {
		return err
	}
	ctx := context.Background()
	sha, err := s.resolveCommit(ctx, ref)
	if err != nil {
		s.mu.Unlock()
		return notFoundErr(err, "ref %s", ref)
	}
	archive, err := s.git.run(ctx, nil, nil, "archive", "--format=tar", sha)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return untar(bytes.NewReader(archive), dir)
}

func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checkout: %w", err)
		}
		name := filepath.FromSlash(h.Name)
		if !filepath.IsLocal(name) {
			continue // the global pax header, or nothing we wrote
		}
		dst := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(dst, 0o755)
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
				err = os.Symlink(h.Linkname, dst)
			}
		case tar.TypeReg:
			var data []byte
			if data, err = io.ReadAll(tr); err == nil {
				if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
					err = os.WriteFile(dst, data, os.FileMode(h.Mode)&0o777)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("checkout %s: %w", h.Name, err)
		}
	}
}

// Head returns the SHA a branch points at.
func (s *Server) Head(branch string) (string, error) {
	if err := s.lock(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	sha, ok := s.branchSHA(branch)
	if !ok {
		return "", fmt.Errorf("branch %s: %w", branch, ErrNotFound)
	}
	return sha, nil
}

// Commit is a person pushing one commit to branch (made from the default
// branch if it does not exist): files are written, a nil content deletes
// the path. It returns the new commit's SHA. Like an admin's push it is not
// held back by branch protection.
func (s *Server) Commit(branch, message string, files map[string][]byte) (string, error) {
	if err := s.lock(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	ctx := context.Background()
	parent, ok := s.branchSHA(branch)
	if !ok {
		if parent, ok = s.branchSHA(s.opts.DefaultBranch); !ok {
			return "", fmt.Errorf("branch %s: %w", s.opts.DefaultBranch, ErrNotFound)
		}
	}
	pc, err := s.git.readCommit(ctx, parent)
	if err != nil {
		return "", err
	}
	changes, err := s.fileChanges(ctx, files)
	if err != nil {
		return "", err
	}
	tree, err := s.git.editTree(ctx, pc.Tree, changes)
	if err != nil {
		return "", err
	}
	who := personSig("developer", time.Now().UTC().Truncate(time.Second))
	sha, err := s.git.writeCommit(ctx, tree, []string{parent}, who, who, message)
	if err != nil {
		return "", err
	}
	return sha, s.setRef(ctx, "refs/heads/"+branch, sha, "developer")
}

// PullRequests returns a snapshot of every pull request, by number.
func (s *Server) PullRequests() []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PullRequest, 0, len(s.pulls))
	byID := map[int64]*comment{}
	for _, cm := range s.comments {
		byID[cm.ID] = cm
	}
	for _, p := range s.pulls {
		pr := PullRequest{
			Number: p.Number, Title: p.Title, Body: p.Body, State: p.State, Draft: p.Draft, Merged: p.Merged,
			Head: p.Head, Base: p.Base, HeadSHA: s.headOf(p), Labels: append([]string(nil), p.Labels...),
			MergeSHA: p.MergeSHA, MergedBy: p.MergedBy,
		}
		for _, id := range p.Comments {
			pr.Comments = append(pr.Comments, byID[id].Body)
		}
		out = append(out, pr)
	}
	return out
}

// MergeAsUser is login pressing Merge on pull request number: the same
// rules as the merge endpoint (a *MergeError says why not), with a merge
// commit. It returns the merge commit's SHA.
func (s *Server) MergeAsUser(number int, login string) (string, error) {
	if err := s.lock(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	p := s.pullByNumber(number)
	if p == nil {
		return "", fmt.Errorf("pull request #%d: %w", number, ErrNotFound)
	}
	return s.merge(context.Background(), p, mergeRequest{By: login})
}

// SetRequiredChecks protects branch, requiring the named status checks
// (commit statuses or check runs) to pass before a merge. With no contexts
// the branch is protected without required checks.
func (s *Server) SetRequiredChecks(branch string, contexts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.protection[branch] = &protection{Contexts: append([]string(nil), contexts...)}
}

// SetStatus is CI reporting a commit status (success, pending, failure or
// error) on sha (a SHA or branch name), as a "ci" user.
func (s *Server) SetStatus(sha, checkName, state string) {
	if err := s.lock(); err != nil {
		return
	}
	defer s.mu.Unlock()
	if full, err := s.resolveCommit(context.Background(), sha); err == nil {
		sha = full
	}
	s.addStatus(sha, state, checkName, "ci-bot", nil, nil)
}

// ReportStatus is a deployer reporting a commit status on sha (a SHA or
// branch name) as Argo CD's notifications or Flux's notification-controller
// do: its context name, state (success, pending, failure or error), a description
// and where to look.
func (s *Server) ReportStatus(sha, name, state, description, targetURL string) {
	if err := s.lock(); err != nil {
		return
	}
	defer s.mu.Unlock()
	if full, err := s.resolveCommit(context.Background(), sha); err == nil {
		sha = full
	}
	s.addStatus(sha, state, name, "flux-bot", &description, &targetURL)
}

// SetCheckRun is a CI App reporting a check run on sha: status queued,
// in_progress or completed, with a conclusion (success, failure, neutral,
// cancelled, skipped, timed_out, action_required) once completed.
func (s *Server) SetCheckRun(sha, name, status, conclusion string) {
	if err := s.lock(); err != nil {
		return
	}
	defer s.mu.Unlock()
	if full, err := s.resolveCommit(context.Background(), sha); err == nil {
		sha = full
	}
	now := time.Now().UTC()
	cr := &checkRun{ID: s.newID(), SHA: sha, Name: name, Status: status, StartedAt: now}
	if status == "completed" {
		cr.Conclusion, cr.CompletedAt = conclusion, now
	}
	s.checkRuns[sha] = append(s.checkRuns[sha], cr)
	s.checkRunChanged(cr, false, "ci-bot")
}

// Calls counts the requests served per operationId (e.g. "pulls/create")
// since the start or the last ResetCalls.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// ResetCalls sets every count of Calls back to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
}

// Branches lists the branch names, for tests and the demo.
func (s *Server) Branches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name := range s.refs {
		if b, ok := strings.CutPrefix(name, "refs/heads/"); ok {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return out
}
