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
//
// early holds the reads started beside the base branch's.
func (e *Engine) readGroup(ctx context.Context, r Request, cfg *config.Config, s *Snapshot, early early) error {
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
		if s.Open, err = early.open(ctx); err != nil {
			return err
		}
		apps = nil
		for app := range pinsOf(s.Open, g.Name, r.Stage) {
			apps = append(apps, app)
		}
	}
	slices.Sort(apps)
	apps = slices.Compact(apps)

	// Apps of a group may pin their images in one file (an umbrella
	// chart's values, one kustomization's images:), so each app's pins are
	// read for that app: keyed by path alone, one app's would hide the
	// other's.
	var pins []pinAt
	for _, name := range apps {
		app, ok := cfg.App(name)
		if !ok {
			continue
		}
		a := r
		a.App, a.Group = name, ""
		for _, t := range targets(a, cfg) {
			pins = append(pins, pinAt{app: name, target: t, image: app.Image})
		}
	}
	files, err := e.stageFiles(ctx, s.Base, pins)
	if err != nil {
		return err
	}
	s.Files = map[string]File{}
	byApp := map[string]map[string]File{}
	for _, name := range apps {
		byApp[name] = map[string]File{}
	}
	for i, pin := range pins {
		byApp[pin.app][files[i].Path] = files[i]
		s.Files[files[i].Path] = files[i]
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
		s.Members[name] = AppRecords{Holds: map[string]gate.Hold{}, Merged: merged, Health: health, Files: byApp[name]}
	}
	for _, h := range holds {
		if rec, ok := s.Members[h.App]; ok {
			rec.Holds[h.Stage] = gate.Hold{By: h.By, Reason: h.Reason, At: h.At, Rollback: h.Rollback}
		}
	}
	return e.readPerson(ctx, r, cfg, s, early)
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

// pinAt is an app's image and where a stage file pins it.
type pinAt struct {
	app    string
	target manifest.Target
	image  string
}

// stageFiles reads the stage files of pins, in the order of pins, a few
// files at a time: a group of a hundred apps reads two hundred files the
// first time, and GitHub answers each in a round trip of its own. The
// pins of one file are read by one worker, in turn, so that the file is
// fetched once.
func (e *Engine) stageFiles(ctx context.Context, base githubapp.Branch, pins []pinAt) ([]File, error) {
	const parallel = 8
	byPath := map[string][]int{}
	var paths []string
	for i, pin := range pins {
		if _, ok := byPath[pin.target.File]; !ok {
			paths = append(paths, pin.target.File)
		}
		byPath[pin.target.File] = append(byPath[pin.target.File], i)
	}
	slices.Sort(paths)
	files := make([]File, len(pins))
	errs := make([]error, len(pins))
	next := make(chan string)
	var wg sync.WaitGroup
	for range min(parallel, len(paths)) {
		wg.Go(func() {
			for path := range next {
				for _, i := range byPath[path] {
					files[i], errs[i] = e.stageFile(ctx, base, pins[i].target, pins[i].image)
				}
			}
		})
	}
	for _, path := range paths {
		next <- path
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}
