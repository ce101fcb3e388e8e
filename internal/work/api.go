package work

import (
	"context"
	"fmt"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// API answers the read-only history API: what each stage runs now, from the
// base branch, and what stagehand recorded (merges, actions, holds).
type API struct {
	Engine interface {
		Status(ctx context.Context) ([]promote.AppStatus, error)
	}
	Store interface {
		History(ctx context.Context, app string, limit int) ([]queue.StageDone, error)
		Actions(ctx context.Context, app string, limit int) ([]queue.Action, error)
		HoldOn(ctx context.Context, app, stage string) (queue.Hold, bool, error)
	}
}

// StageView is a stage of an app now.
type StageView struct {
	promote.StageStatus
	Hold *queue.Hold `json:"hold,omitempty"`
}

// AppView is an app now.
type AppView struct {
	App    string      `json:"app"`
	Image  string      `json:"image"`
	Stages []StageView `json:"stages"`
}

// AppHistory is an app now and what happened to it, newest first.
type AppHistory struct {
	AppView
	Merges  []queue.StageDone `json:"merges"`
	Actions []queue.Action    `json:"actions"`
}

// ErrUnknownApp is an app .stagehand.yaml does not have.
var ErrUnknownApp = fmt.Errorf("unknown app")

// Apps lists every app's stages now, with holds.
func (a API) Apps(ctx context.Context) ([]AppView, error) {
	status, err := a.Engine.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AppView, 0, len(status))
	for _, s := range status {
		v := AppView{App: s.App, Image: s.Image}
		for _, st := range s.Stages {
			sv := StageView{StageStatus: st}
			h, held, err := a.Store.HoldOn(ctx, s.App, st.Stage)
			if err != nil {
				return nil, err
			}
			if held {
				sv.Hold = &h
			}
			v.Stages = append(v.Stages, sv)
		}
		out = append(out, v)
	}
	return out, nil
}

// History is one app now plus its recorded merges and actions.
func (a API) History(ctx context.Context, app string, limit int) (AppHistory, error) {
	apps, err := a.Apps(ctx)
	if err != nil {
		return AppHistory{}, err
	}
	for _, v := range apps {
		if v.App != app {
			continue
		}
		merges, err := a.Store.History(ctx, app, limit)
		if err != nil {
			return AppHistory{}, err
		}
		actions, err := a.Store.Actions(ctx, app, limit)
		if err != nil {
			return AppHistory{}, err
		}
		return AppHistory{AppView: v, Merges: merges, Actions: actions}, nil
	}
	return AppHistory{}, fmt.Errorf("%w %q", ErrUnknownApp, app)
}
