package promote

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Board is every app in every stage at one commit of the base branch, with
// what one person could do in each stage: the dashboard shows it. What a
// person could do is decided by the same rules (decideApp, mayAct) as the
// request a button submits, on one snapshot; the request itself is
// decided again when it runs, through the queue.
type Board struct {
	BaseName string
	Base     githubapp.Branch
	// Config is nil when ConfigErr says why it cannot be used.
	Config    *config.Config
	ConfigErr *ConfigError
	Apps      []BoardApp
	Now       time.Time
	// Person is the viewer as GitHub knows them, for the first stage's
	// approvers; nil for a viewer without a login.
	Person *gate.Person
}

// BoardApp is an app's stages, first to last.
type BoardApp struct {
	App   config.App
	Group string // the group the app moves with; "" for none
	Cells []Cell
}

// Cell is one app in one stage.
type Cell struct {
	Stage config.Stage
	// File is the stage file as the base branch has it (Pinned, Problem);
	// its Data is dropped.
	File File
	// Merged is the last merge stagehand saw into the stage, whatever it
	// pinned; nil for none.
	Merged *store.Merge
	Held   *gate.Hold
	// Open is the stage's open stagehand PR as this process knows it (no
	// GitHub call); nil for none or not known.
	Open *githubapp.PullRequest
	// SoakLeft is how long the image the stage runs must still run here
	// before the next stage takes it; 0 when it need not wait.
	SoakLeft time.Duration
	SoakNext string // the stage that waits for the soak
	// Health is the stage's health gate for its last merge, where the
	// stage verifies (verify: in the config); nil otherwise or when
	// stagehand merged nothing there.
	Health *store.Deployment

	// What the viewer could do here, decided for them: a promotion into
	// this stage from the one before (zero Verdict for the first stage), a
	// hold, a release and a rollback. Rollback is decided up to where its
	// restore point is read from GitHub: who may, and what is pinned.
	Promote, Hold, Release, Rollback Plan
}

// Board reads every app's stages at one commit of the base branch (files
// come from the read cache of that commit's tree, so a board of an
// unchanged branch costs one revalidated GitHub request), stagehand's
// records, and actor as GitHub knows them, and decides what actor could
// do in each stage. permission is actor's permission on the config
// repository when the caller knows it already ("" asks GitHub); team
// memberships are asked where approvers name teams.
func (e *Engine) Board(ctx context.Context, actor Actor, permission string) (Board, error) {
	base, err := e.gh.Branch(ctx, e.base)
	if err != nil {
		return Board{}, fmt.Errorf("read branch %s: %w", e.base, err)
	}
	b := Board{BaseName: e.base, Base: base, Now: e.now()}
	cfg, cerr, err := e.config(ctx, base)
	if err != nil {
		return Board{}, err
	}
	if cerr != nil {
		b.ConfigErr = cerr
		return b, nil
	}
	b.Config = cfg
	holds, err := e.records.Holds(ctx, "")
	if err != nil {
		return Board{}, fmt.Errorf("read holds: %w", err)
	}
	merged, err := e.lastMerges(ctx)
	if err != nil {
		return Board{}, err
	}
	health, err := e.lastDeployments(ctx, cfg)
	if err != nil {
		return Board{}, err
	}
	// The viewer's permission is asked once, and one person made per set
	// of approvers: stages that name none share one.
	if permission == "" && actor.Login != "" {
		if permission, err = e.gh.Permission(ctx, actor.Login); err != nil {
			return Board{}, fmt.Errorf("read @%s's permission: %w", actor.Login, err)
		}
	}
	persons := map[string]*gate.Person{}
	personFor := func(st config.Stage) (*gate.Person, error) {
		if actor.Login == "" {
			return nil, nil
		}
		key := fmt.Sprint(st.Approvers)
		if p, ok := persons[key]; ok {
			return p, nil
		}
		p, err := e.personWith(ctx, actor.Login, permission, st.Approvers)
		if err != nil {
			return nil, err
		}
		persons[key] = &p
		return &p, nil
	}
	if len(cfg.Stages) > 0 {
		if b.Person, err = personFor(cfg.First()); err != nil {
			return Board{}, err
		}
	}
	byStage := map[string]map[string]gate.Hold{}
	for _, h := range holds {
		if byStage[h.App] == nil {
			byStage[h.App] = map[string]gate.Hold{}
		}
		byStage[h.App][h.Stage] = gate.Hold{By: h.By, Reason: h.Reason, At: h.At, Rollback: h.Rollback}
	}
	// Every app's file in every stage, read a few at a time: after a merge
	// stagehand did not make, none of them is cached yet.
	pins := make([]pinAt, 0, len(cfg.Apps)*len(cfg.Stages))
	for _, app := range cfg.Apps {
		for _, st := range cfg.Stages {
			pins = append(pins, pinAt{app: app.Name, target: app.Target(st.Name), image: app.Image})
		}
	}
	files, err := e.stageFiles(ctx, base, pins)
	if err != nil {
		return Board{}, err
	}
	for a, app := range cfg.Apps {
		ba := BoardApp{App: app}
		if g, ok := cfg.GroupOf(app.Name); ok {
			ba.Group = g.Name
		}
		s := Snapshot{BaseName: e.base, Base: base, Config: cfg, Now: b.Now, Files: map[string]File{}, Holds: byStage[app.Name], Merged: map[string]MergedAt{}, Preview: true,
			Health: map[string]store.Deployment{}}
		if s.Holds == nil {
			s.Holds = map[string]gate.Hold{}
		}
		for i, st := range cfg.Stages {
			f := files[a*len(cfg.Stages)+i]
			s.Files[f.Path] = f
			if m, ok := merged[Key(app.Name, st.Name)]; ok {
				s.Merged[st.Name] = MergedAt{Digest: m.Digest, At: m.At, PushedAt: m.PushedAt}
			}
			if d, ok := health[Key(app.Name, st.Name)]; ok {
				s.Health[st.Name] = d
			}
		}
		for _, st := range cfg.Stages {
			c := Cell{Stage: st, File: s.Files[app.Path(st.Name)]}
			c.File.Data = nil
			if m, ok := merged[Key(app.Name, st.Name)]; ok {
				c.Merged = &m
			}
			if h, ok := s.Holds[st.Name]; ok {
				c.Held = &h
			}
			if d, ok := s.Health[st.Name]; ok {
				c.Health = &d
			}
			if known, pr := e.prs.get(Branch(app.Name, st.Name)); known && pr != nil {
				c.Open = pr
			} else if ba.Group != "" {
				if known, pr := e.prs.get(Branch(ba.Group, st.Name)); known && pr != nil {
					c.Open = pr
				}
			}
			if c.Open != nil && c.Merged != nil && c.Merged.PR == c.Open.Number {
				c.Open = nil // merged just now; the process has not forgotten it yet
			}
			// The soak counts from when the image ran healthy where the
			// stage verifies, as the promotion's rules count it.
			for _, next := range cfg.Next(st.Name) {
				if next.Soak <= 0 || c.File.Pinned.Digest == "" {
					continue
				}
				if since := ranSince(s, st, c.File.Pinned.Digest); !since.IsZero() {
					if left := since.Add(next.Soak).Sub(b.Now); left > c.SoakLeft {
						c.SoakLeft, c.SoakNext = left, next.Name
					}
				}
			}
			ps := s
			if ps.Person, err = personFor(st); err != nil {
				return Board{}, err
			}
			c.Promote, c.Hold, c.Release, c.Rollback = decideBoard(app, st, actor, ps, cfg)
			ba.Cells = append(ba.Cells, c)
		}
		b.Apps = append(b.Apps, ba)
	}
	return b, nil
}

// decideBoard decides what actor could do in stage st of app, on s. Each
// is the plan of the request a dashboard button submits, decided as an
// app's request: a group's app is decided by the same rules as each
// member of its group's plan (the group's verdict is made of its
// members').
func decideBoard(app config.App, st config.Stage, actor Actor, s Snapshot, cfg *config.Config) (promote, hold, release, rollback Plan) {
	req := func(k Kind) Request {
		return Request{Kind: k, Source: FromDashboard, Actor: actor, App: app.Name, Stage: st.Name}
	}
	decide := func(r Request) Plan { return decideApp(Plan{Request: r, Base: s.Base}, s, cfg) }
	if len(cfg.Prev(st.Name)) > 0 {
		promote = decide(req(Promote))
	}
	hold, release = decide(req(Hold)), decide(req(Release))
	// A rollback reads the stage's history from GitHub to find its point;
	// the board decides who may and whether anything is pinned, and the
	// rollback itself decides the rest when it runs.
	rollback = Plan{Request: req(Rollback), Stage: st, Base: s.Base, App: app}
	if v, code := mayAct(rollback.Request, s, st, "roll back "+st.Name); !v.OK {
		return promote, hold, release, rollback.refuse(code, "%s", v.Reason)
	}
	f, ok := rollback.file(s, st.Name)
	if !ok {
		return promote, hold, release, rollback
	}
	if f.Pinned.Digest == "" {
		return promote, hold, release, rollback.refuse(CodeSource, "%s pins no digest for %s: there is nothing to roll back from", st.Name, app.Name)
	}
	rollback.From, rollback.Path, rollback.Verdict = f.Pinned, f.Path, Propose
	return promote, hold, release, rollback
}

// lastDeployments is the newest deployment per app and stage where the
// stage verifies, keyed by Key(app, stage).
func (e *Engine) lastDeployments(ctx context.Context, cfg *config.Config) (map[string]store.Deployment, error) {
	out := map[string]store.Deployment{}
	verifies := map[string]bool{}
	for _, st := range cfg.Stages {
		verifies[st.Name] = len(st.Verify) > 0
	}
	ds, err := e.records.LastDeployments(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the health gates: %w", err)
	}
	for _, d := range ds {
		if verifies[d.Stage] {
			out[Key(d.App, d.Stage)] = d
		}
	}
	return out, nil
}

// lastMerges is the newest merge per app and stage, keyed by Key(app,
// stage).
func (e *Engine) lastMerges(ctx context.Context) (map[string]store.Merge, error) {
	out := map[string]store.Merge{}
	ms, err := e.records.LastMerges(ctx)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	for _, m := range ms {
		out[Key(m.App, m.Stage)] = m
	}
	return out, nil
}
