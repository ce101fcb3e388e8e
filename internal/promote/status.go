package promote

import (
	"context"
	"errors"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// StageStatus is what one stage of an app runs, as the base branch says.
type StageStatus struct {
	Stage  string      `json:"stage"`
	Mode   config.Mode `json:"mode"`
	Path   string      `json:"path"`
	Tag    string      `json:"tag,omitempty"`
	Digest string      `json:"digest,omitempty"`
	// Problem says why the stage could not be read (missing file, broken YAML).
	Problem string `json:"problem,omitempty"`
}

// AppStatus is an app's stages, first to last.
type AppStatus struct {
	App    string        `json:"app"`
	Image  string        `json:"image"`
	Stages []StageStatus `json:"stages"`
}

// Status reads every app's pin in every stage from one snapshot of the
// base branch.
func (e *Engine) Status(ctx context.Context) ([]AppStatus, error) {
	snap, err := e.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AppStatus, 0, len(snap.cfg.Apps))
	for _, app := range snap.cfg.Apps {
		as := AppStatus{App: app.Name, Image: app.Image}
		for _, st := range snap.cfg.Stages {
			ss := StageStatus{Stage: st.Name, Mode: st.Mode, Path: app.Path(st.Name)}
			f, err := e.readStage(ctx, snap, app, st.Name)
			var r *Refusal
			switch {
			case errors.As(err, &r):
				ss.Problem = r.Reason
			case err != nil:
				return nil, err
			default:
				ss.Tag, ss.Digest = f.pinned.Tag, f.pinned.Digest
			}
			as.Stages = append(as.Stages, ss)
		}
		out = append(out, as)
	}
	return out, nil
}
