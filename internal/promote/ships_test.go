package promote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

type fakeOrigins map[string]registry.Origin

func (f fakeOrigins) Origin(_ context.Context, _, digest string) (registry.Origin, error) {
	if digest == "sha256:broken" {
		return registry.Origin{}, errors.New("registry down")
	}
	return f[digest], nil
}

type fakeComparer struct {
	calls int
	err   error
}

func (f *fakeComparer) CompareCommits(_ context.Context, owner, repo, base, head string, limit int) (githubapp.Comparison, error) {
	f.calls++
	if f.err != nil {
		return githubapp.Comparison{}, f.err
	}
	return githubapp.Comparison{Total: 1, Commits: []githubapp.Commit{{SHA: head, Message: fmt.Sprintf("%s/%s %s..%s", owner, repo, base, head)}}}, nil
}

// TestShips reads what a promotion ships through the ports: nothing
// without annotations, nothing compared across repositories or at one
// revision, the link alone when the App cannot read the repository, and
// each comparison read once.
func TestShips(t *testing.T) {
	const src = "https://github.com/acme/web"
	origins := fakeOrigins{
		d1: {Source: src, Revision: "r1"}, d2: {Source: src + ".git", Revision: "r2"},
		"sha256:other": {Source: "https://github.com/acme/api", Revision: "r3"}, "sha256:same": {Source: src, Revision: "r2"},
	}
	plan := func(from, to string) Plan {
		return Plan{Want: Want{Image: "ghcr.io/acme/web", Tag: "1.2.0", Digest: to}, From: manifest.Pinned{Found: from != "", Digest: from}}
	}
	cmp := &fakeComparer{}
	e := &Engine{origins: origins, compare: cmp, log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()

	if s := e.ships(ctx, plan(d1, "sha256:plain")); s.text() != "" {
		t.Errorf("no annotations: %q", s.text())
	}
	if s := e.ships(ctx, plan(d1, "sha256:broken")); s.text() != "" {
		t.Errorf("registry down: %q", s.text())
	}
	if s := e.ships(ctx, plan("", d2)); s.compare != "" || s.to.Revision != "r2" {
		t.Errorf("nothing ran before: %+v", s)
	}
	if s := e.ships(ctx, plan("sha256:other", d2)); s.compare != "" {
		t.Errorf("another repository compared: %+v", s)
	}
	if s := e.ships(ctx, plan("sha256:same", d2)); s.compare != "" {
		t.Errorf("one revision compared: %+v", s)
	}
	if cmp.calls != 0 {
		t.Fatalf("%d comparisons read for nothing to compare", cmp.calls)
	}
	for range 3 {
		s := e.ships(ctx, plan(d1, d2))
		if !s.read || s.compare != src+"/compare/r1...r2" || s.owner != "acme" || s.repo != "web" || len(s.commits) != 1 || s.commits[0].Message != "acme/web r1..r2" {
			t.Fatalf("compared: %+v", s)
		}
	}
	if cmp.calls != 1 {
		t.Errorf("%d reads of one comparison, want 1", cmp.calls)
	}

	notInstalled := &fakeComparer{err: fmt.Errorf("compare: %w", githubapp.ErrNotFound)}
	e = &Engine{origins: origins, compare: notInstalled, log: slog.New(slog.DiscardHandler)}
	for range 2 {
		if s := e.ships(ctx, plan(d1, d2)); s.read || s.compare == "" {
			t.Fatalf("not installed: %+v", s)
		}
	}
	if notInstalled.calls != 2 {
		t.Errorf("a failed comparison is kept: %d reads", notInstalled.calls)
	}
}
