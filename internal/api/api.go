// Package api is stagehand's read-only HTTP API: what each app runs in
// each stage, its holds, and what stagehand did. Its JSON types are the
// public contract and are defined here, apart from the store's records, so
// that storage can change without breaking clients.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Stage is a stage of an app now.
type Stage struct {
	Stage string `json:"stage"`
	Mode  string `json:"mode"`
	// After are the stages it takes images from, as the config's graph
	// has them (the stage before it in the list unless after: names
	// others); none for the first stage.
	After  []string `json:"after,omitempty"`
	Path   string   `json:"path"`
	Tag    string   `json:"tag,omitempty"`
	Digest string   `json:"digest,omitempty"`
	// Problem says why the stage could not be read (missing file, broken YAML).
	Problem string `json:"problem,omitempty"`
	Hold    *Hold  `json:"hold,omitempty"`
}

// Hold is a stop placed on a stage.
type Hold struct {
	By       string    `json:"by"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
	Rollback bool      `json:"rollback,omitempty"`
}

// AppStatus is an app now.
type AppStatus struct {
	App    string  `json:"app"`
	Image  string  `json:"image"`
	Stages []Stage `json:"stages"`
}

// Merge is a stagehand PR merged into a stage.
type Merge struct {
	App      string    `json:"app"`
	Stage    string    `json:"stage"`
	Image    string    `json:"image"`
	Tag      string    `json:"tag"`
	Digest   string    `json:"digest"`
	PR       int       `json:"pr"`
	MergeSHA string    `json:"merge_sha"`
	MergedBy string    `json:"merged_by"`
	At       time.Time `json:"merged_at"`
	// Group is the group whose PR moved the app with its other apps.
	Group string `json:"group,omitempty"`
}

// Action is one entry of the audit log: something done or refused.
type Action struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Kind       string    `json:"kind"`
	App        string    `json:"app"`
	Stage      string    `json:"stage"`
	FromTag    string    `json:"from_tag,omitempty"`
	FromDigest string    `json:"from_digest,omitempty"`
	ToTag      string    `json:"to_tag,omitempty"`
	ToDigest   string    `json:"to_digest,omitempty"`
	PR         int       `json:"pr,omitempty"`
	Result     string    `json:"result"`
	Reason     string    `json:"reason,omitempty"`
	Source     string    `json:"source"`
	Group      string    `json:"group,omitempty"` // the group the app moved, or was refused, with
}

// History is an app now and what happened to it, newest first.
type History struct {
	AppStatus
	Merges  []Merge  `json:"merges"`
	Actions []Action `json:"actions"`
}

// StatusReader reads what each app runs; *promote.Engine is one.
type StatusReader interface {
	Status(ctx context.Context) ([]promote.AppStatus, error)
}

// Records are what stagehand recorded; *store.Store is one.
type Records interface {
	Holds(ctx context.Context, app string) ([]store.Hold, error)
	Merges(ctx context.Context, app string, limit int) ([]store.Merge, error)
	Actions(ctx context.Context, app string, limit int) ([]store.Action, error)
}

// ErrUnknownApp is an app .stagehand.yaml does not have.
var ErrUnknownApp = errors.New("unknown app")

// Reader is the API's read model.
type Reader struct {
	Status  StatusReader
	Records Records
}

// Apps lists every app's stages now, with holds.
func (r Reader) Apps(ctx context.Context) ([]AppStatus, error) {
	status, err := r.Status.Status(ctx)
	if err != nil {
		return nil, err
	}
	holds, err := r.Records.Holds(ctx, "")
	if err != nil {
		return nil, err
	}
	held := map[string]store.Hold{}
	for _, h := range holds {
		held[h.App+"/"+h.Stage] = h
	}
	out := make([]AppStatus, 0, len(status))
	for _, s := range status {
		a := AppStatus{App: s.App, Image: s.Image, Stages: []Stage{}}
		for _, st := range s.Stages {
			v := Stage{Stage: st.Stage, Mode: string(st.Mode), After: st.After, Path: st.Path, Tag: st.Pinned.Tag, Digest: st.Pinned.Digest, Problem: st.Problem}
			if h, ok := held[s.App+"/"+st.Stage]; ok {
				v.Hold = &Hold{By: h.By, Reason: h.Reason, At: h.At, Rollback: h.Rollback}
			}
			a.Stages = append(a.Stages, v)
		}
		out = append(out, a)
	}
	return out, nil
}

// History is one app now plus its recorded merges and actions.
func (r Reader) History(ctx context.Context, app string, limit int) (History, error) {
	apps, err := r.Apps(ctx)
	if err != nil {
		return History{}, err
	}
	for _, a := range apps {
		if a.App != app {
			continue
		}
		merges, err := r.Records.Merges(ctx, app, limit)
		if err != nil {
			return History{}, err
		}
		actions, err := r.Records.Actions(ctx, app, limit)
		if err != nil {
			return History{}, err
		}
		h := History{AppStatus: a, Merges: []Merge{}, Actions: []Action{}}
		for _, m := range merges {
			h.Merges = append(h.Merges, Merge{App: m.App, Stage: m.Stage, Image: m.Image, Tag: m.Tag, Digest: m.Digest, PR: m.PR, MergeSHA: m.MergeSHA, MergedBy: m.MergedBy, At: m.At, Group: m.Group})
		}
		for _, x := range actions {
			h.Actions = append(h.Actions, Action{ID: x.ID, At: x.At, Actor: x.Actor, Kind: x.Kind, App: x.App, Stage: x.Stage,
				FromTag: x.FromTag, FromDigest: x.FromDigest, ToTag: x.ToTag, ToDigest: x.ToDigest, PR: x.PR, Result: x.Result, Reason: x.Reason, Source: x.Source, Group: x.Group})
		}
		return h, nil
	}
	return History{}, fmt.Errorf("%w %q", ErrUnknownApp, app)
}

func writeJSON(w http.ResponseWriter, log *slog.Logger, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		code := http.StatusInternalServerError
		switch {
		case errors.Is(err, ErrUnknownApp), errors.Is(err, ErrUnknownRepo):
			code = http.StatusNotFound
		case errors.Is(err, errAmbiguous):
			code = http.StatusConflict
		default:
			log.Error("history API", "err", err)
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
