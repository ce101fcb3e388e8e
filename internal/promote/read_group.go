package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// readGroup adds to s what a group's request is decided on: the stage
// files of the apps it concerns, each app's holds and merges, the person,
// and for a push the pushes its window gathered and the group's open PR.
func (e *Engine) readGroup(ctx context.Context, r Request, cfg *config.Config, s *Snapshot) error {
	g, ok := cfg.Group(r.Group)
	if !ok {
		return nil // Decide says there is no such group
	}
	apps := slices.Clone(g.Apps) // sorted below; the config is shared
	var err error
	switch r.Kind {
	case Push:
		if s.Candidates, err = e.candidates(ctx, g.Name); err != nil {
			return err
		}
		first := cfg.First().Name
		if s.Open, err = e.livingPR(ctx, Branch(g.Name, first)); err != nil {
			return err
		}
		apps = nil
		for _, c := range s.Candidates {
			apps = append(apps, c.App)
		}
		for app := range pinsOf(s.Open, g.Name, first) {
			apps = append(apps, app)
		}
	case Reconsider:
		if s.Open, err = e.openPR(ctx, g.Name, r.Stage); err != nil {
			return err
		}
		apps = nil
		for app := range pinsOf(s.Open, g.Name, r.Stage) {
			apps = append(apps, app)
		}
	}
	slices.Sort(apps)
	apps = slices.Compact(apps)

	images := map[string]pinAt{} // stage file → the image it pins, and where
	for _, name := range apps {
		app, ok := cfg.App(name)
		if !ok {
			continue
		}
		a := r
		a.App, a.Group = name, ""
		for _, t := range targets(a, cfg) {
			images[t.File] = pinAt{t, app.Image}
		}
	}
	if s.Files, err = e.stageFiles(ctx, s.Base, images); err != nil {
		return err
	}

	holds, err := e.records.Holds(ctx, "")
	if err != nil {
		return fmt.Errorf("read holds: %w", err)
	}
	s.Members = map[string]AppRecords{}
	for _, name := range apps {
		merged, err := e.lastMerge(ctx, r, name, cfg)
		if err != nil {
			return err
		}
		health, err := e.lastHealth(ctx, r, name, cfg)
		if err != nil {
			return err
		}
		s.Members[name] = AppRecords{Holds: map[string]gate.Hold{}, Merged: merged, Health: health}
	}
	for _, h := range holds {
		if rec, ok := s.Members[h.App]; ok {
			rec.Holds[h.Stage] = gate.Hold{By: h.By, Reason: h.Reason, At: h.At, Rollback: h.Rollback}
		}
	}
	return e.readPerson(ctx, r, cfg, s)
}

// candidates are the pushes waiting for group. One that cannot be read
// (written by another version, say) is dropped, with a word in the log.
func (e *Engine) candidates(ctx context.Context, group string) ([]Candidate, error) {
	stored, err := e.records.Candidates(ctx, group)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for _, c := range stored {
		r, err := DecodeRequest(c.Request)
		if err != nil {
			e.log.Warn("a push waiting for its group cannot be read; dropped", "group", group, "app", c.App, "err", err)
			if err := e.records.DropCandidate(ctx, c); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, Candidate{App: c.App, Request: r, At: c.At, stored: c.Request})
	}
	return out, nil
}

// pinAt is an image and where a stage file pins it.
type pinAt struct {
	target manifest.Target
	image  string
}

// stageFiles reads stage files (path → the image each pins) a few at a
// time: a group of a hundred apps reads two hundred files the first time,
// and GitHub answers each in a round trip of its own.
func (e *Engine) stageFiles(ctx context.Context, base githubapp.Branch, images map[string]pinAt) (map[string]File, error) {
	const parallel = 8
	paths := make([]string, 0, len(images))
	for p := range images {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	files := make([]File, len(paths))
	errs := make([]error, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, len(paths)) {
		wg.Go(func() {
			for i := range next {
				files[i], errs[i] = e.stageFile(ctx, base, images[paths[i]].target, images[paths[i]].image)
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]File, len(paths))
	for i, p := range paths {
		out[p] = files[i]
	}
	return out, nil
}
