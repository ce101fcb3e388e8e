package promote

import (
	"context"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// StageStatus is what one stage of an app runs, as the base branch says.
type StageStatus struct {
	Stage string
	Mode  config.Mode
	// After are the stages it takes images from: the one before it in
	// the list, or those its after: names; none for the first.
	After  []string
	Path   string
	Pinned manifest.Pinned
	// Problem says why the stage could not be read (missing file, broken YAML).
	Problem string
}

// AppStatus is an app's stages, first to last.
type AppStatus struct {
	App, Image string
	Stages     []StageStatus
}

// Status reads every app's pin in every stage at one commit of the base
// branch.
func (e *Engine) Status(ctx context.Context) ([]AppStatus, error) {
	base, err := e.gh.Branch(ctx, e.base)
	if err != nil {
		return nil, err
	}
	cfg, cerr, err := e.config(ctx, base)
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, cerr
	}
	out := make([]AppStatus, 0, len(cfg.Apps))
	for _, app := range cfg.Apps {
		as := AppStatus{App: app.Name, Image: app.Image}
		for _, st := range cfg.Stages {
			f, err := e.stageFile(ctx, base, app.Target(st.Name), app.Image)
			if err != nil {
				return nil, err
			}
			as.Stages = append(as.Stages, StageStatus{Stage: st.Name, Mode: st.Mode, After: st.After, Path: f.Path, Pinned: f.Pinned, Problem: f.Problem})
		}
		out = append(out, as)
	}
	return out, nil
}
