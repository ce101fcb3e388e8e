package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// RollbackDepth bounds the history a rollback reads: one listing of the
// commits that changed the stage's file, and at most this many file reads.
const RollbackDepth = 30

// restorePoint walks the stage file's history, newest first, reading each
// commit's file at most once and only as far back as decideRestore needs.
func (e *Engine) restorePoint(ctx context.Context, base githubapp.Branch, app config.App, stage string, current manifest.Pinned, target string) (*Restore, error) {
	h := rollbackHistory{App: app.Name, Stage: stage, Image: app.Image, Path: app.Path(stage), Base: e.base, Limit: RollbackDepth}
	var err error
	if h.Commits, err = e.gh.PathCommits(ctx, h.Path, base.SHA, h.Limit); err != nil {
		return nil, fmt.Errorf("list the history of %s: %w", h.Path, err)
	}
	for {
		p, v, more := decideRestore(h, current, target)
		if !more {
			return &Restore{Point: p, Verdict: v}, nil
		}
		next, err := e.readPoint(ctx, app.Target(stage), app.Image, h.Commits[len(h.Points)])
		if err != nil {
			return nil, err
		}
		h.Points = append(h.Points, next)
	}
}

// readPoint reads what a stage file pinned at one commit. A file that is
// missing, broken or pins nothing there is a point with a Problem, not an
// error: history may hold such commits, and only choosing one is refused.
func (e *Engine) readPoint(ctx context.Context, t manifest.Target, image string, c githubapp.Commit) (restorePoint, error) {
	path := t.File
	p := restorePoint{Commit: c}
	data, err := e.file(ctx, path, githubapp.Branch{SHA: c.SHA}) // its tree is not known: kept by commit
	switch {
	case errors.Is(err, githubapp.ErrNotFound):
		p.Problem = "the file did not exist"
		return p, nil
	case err != nil:
		return p, fmt.Errorf("read %s at %s: %w", path, shortSHA(c.SHA), err)
	}
	if p.Pin, err = t.Current(data, image); err != nil {
		p.Problem = fmt.Sprintf("the file could not be read (%v)", err)
	} else if !p.Pin.Found && t.IsKustomization() {
		p.Problem = "the file had no images: entry for " + image
	} else if !p.Pin.Found {
		p.Problem = "the file pinned nothing at " + t.Tag + t.Image
	}
	return p, nil
}
