package promote

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// read takes the snapshot r is decided on: the base branch's head, the
// config and the stage files r concerns at that one commit, and the
// records. Files in a tree never change, so they are read once per tree
// and kept (readCache).
func (e *Engine) read(ctx context.Context, r Request) (Snapshot, error) {
	early := e.readEarly(ctx, r)
	defer early.wait(ctx)
	base, err := e.gh.Branch(ctx, e.base)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read branch %s: %w", e.base, err)
	}
	s := Snapshot{BaseName: e.base, Base: base, Now: e.now()}
	cfg, cerr, err := e.config(ctx, base)
	if err != nil {
		return Snapshot{}, err
	}
	if cerr != nil {
		s.ConfigErr = cerr
		return s, nil
	}
	s.Config = cfg
	r = r.resolve(cfg).grouped(cfg)
	if r.Group != "" {
		if err := e.readGroup(ctx, r, cfg, &s, early); err != nil {
			return Snapshot{}, err
		}
		return s, nil
	}
	app, ok := cfg.App(r.App)
	if !ok {
		return s, nil
	}
	// A promotion reads the stage it takes from and the one it writes,
	// side by side (stageFiles).
	var pins []pinAt
	for _, t := range targets(r, cfg) {
		pins = append(pins, pinAt{app: app.Name, target: t, image: app.Image})
	}
	files, err := e.stageFiles(ctx, base, pins)
	if err != nil {
		return Snapshot{}, err
	}
	s.Files = map[string]File{}
	for i, pin := range pins {
		s.Files[pin.target.File] = files[i]
	}
	if err := e.readRecords(ctx, r, cfg, &s, early); err != nil {
		return Snapshot{}, err
	}
	if r.Kind == Reconsider {
		if s.Open, err = early.open(ctx); err != nil {
			return Snapshot{}, err
		}
	}
	if r.Kind == Verify {
		if err := e.readStatuses(ctx, r, app, &s); err != nil {
			return Snapshot{}, err
		}
	}
	if r.Kind == Rollback {
		if f, ok := s.Files[app.Path(r.Stage)]; ok && f.Problem == "" {
			if s.Restore, err = e.restorePoint(ctx, base, app, r.Stage, f.Pinned, r.Target); err != nil {
				return Snapshot{}, err
			}
		}
	}
	return s, nil
}

// readRecords adds holds, merges, the person and the link's use.
func (e *Engine) readRecords(ctx context.Context, r Request, cfg *config.Config, s *Snapshot, early early) error {
	holds, err := e.records.Holds(ctx, r.App)
	if err != nil {
		return fmt.Errorf("read holds: %w", err)
	}
	s.Holds = map[string]gate.Hold{}
	for _, h := range holds {
		s.Holds[h.Stage] = gate.Hold{By: h.By, Reason: h.Reason, At: h.At, Rollback: h.Rollback}
	}
	if s.Merged, err = e.lastMerge(ctx, r, r.App, cfg); err != nil {
		return err
	}
	if s.Health, err = e.lastHealth(ctx, r, r.App, cfg); err != nil {
		return err
	}
	if r.LinkID != "" {
		if s.LinkUsed, _, err = e.records.LinkUsed(ctx, r.LinkID); err != nil {
			return err
		}
	}
	return e.readPerson(ctx, r, cfg, s, early)
}

// early are the reads from GitHub a snapshot needs that do not need the
// base branch's head, started beside it: the open PR of a Reconsider, the
// permission of the person who asks.
type early struct {
	open       func(context.Context) (*githubapp.PullRequest, error)
	permission func(context.Context) (string, error)
}

func (e *Engine) readEarly(ctx context.Context, r Request) early {
	var x early
	if r.Kind == Reconsider {
		x.open = aside(ctx, func(ctx context.Context) (*githubapp.PullRequest, error) { return e.openPR(ctx, r.App, r.Stage) })
	}
	if !r.Source.automatic() && r.Actor.Login != "" {
		x.permission = aside(ctx, func(ctx context.Context) (string, error) { return e.gh.Permission(ctx, r.Actor.Login) })
	}
	return x
}

// wait waits for the reads, so that none outlives the snapshot.
func (x early) wait(ctx context.Context) {
	if x.open != nil {
		x.open(ctx)
	}
	if x.permission != nil {
		x.permission(ctx)
	}
}

// lastMerge is, for app, the last merge r's rules read, by stage: soak
// times count from the merge into the stage an image comes from, and a
// push is checked against the first stage's (the pushed-before rule).
func (e *Engine) lastMerge(ctx context.Context, r Request, app string, cfg *config.Config) (map[string]MergedAt, error) {
	var from []string
	if r.Kind == Push {
		from = []string{cfg.First().Name}
	} else {
		from = sourceNames(r, cfg)
	}
	out := map[string]MergedAt{}
	for _, stage := range from {
		m, ok, err := e.records.LastMerge(ctx, app, stage)
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		if ok {
			out[stage] = MergedAt{Digest: m.Digest, At: m.At, PushedAt: m.PushedAt}
		}
	}
	return out, nil
}

// sourceNames are the stages a promotion or a chain takes its image from:
// every stage its target follows (a soak time counts in each, and each
// must be healthy), and a chain's From.
func sourceNames(r Request, cfg *config.Config) []string {
	var out []string
	switch r.Kind {
	case Chain:
		out = append(out, r.From)
	case Promote:
	default:
		return nil
	}
	for _, st := range cfg.Prev(r.resolve(cfg).Stage) {
		if !slices.Contains(out, st.Name) {
			out = append(out, st.Name)
		}
	}
	return out
}

// readPerson adds the person who asks, as GitHub knows them, for the
// target stage's approvers.
func (e *Engine) readPerson(ctx context.Context, r Request, cfg *config.Config, s *Snapshot, early early) error {
	if early.permission == nil {
		return nil
	}
	stage, ok := cfg.Stage(r.Stage)
	if !ok {
		return nil
	}
	perm, err := early.permission(ctx)
	if err != nil {
		return fmt.Errorf("read @%s's permission: %w", r.Actor.Login, err)
	}
	p, err := e.personWith(ctx, r.Actor.Login, perm, stage.Approvers)
	if err != nil {
		return err
	}
	s.Person = &p
	return nil
}

// person looks login up on GitHub: their permission, and membership of the
// teams among approvers unless they are listed by name. A failed team
// lookup is an error, not a "no": it is retried.
func (e *Engine) person(ctx context.Context, login string, approvers []string) (gate.Person, error) {
	perm, err := e.gh.Permission(ctx, login)
	if err != nil {
		return gate.Person{}, fmt.Errorf("read @%s's permission: %w", login, err)
	}
	return e.personWith(ctx, login, perm, approvers)
}

// personWith is person for a login whose permission is known.
func (e *Engine) personWith(ctx context.Context, login, perm string, approvers []string) (gate.Person, error) {
	teams := map[string]bool{}
	for _, a := range approvers {
		if strings.EqualFold(a, login) {
			teams = nil
			break
		}
	}
	for _, a := range approvers {
		slug, ok := strings.CutPrefix(a, "@")
		if !ok || teams == nil {
			continue
		}
		org, team, _ := strings.Cut(slug, "/")
		member, err := e.gh.TeamMember(ctx, org, team, login)
		if err != nil {
			return gate.Person{}, fmt.Errorf("read team membership of @%s in %s: %w", login, a, err)
		}
		teams[slug] = member
	}
	return gate.Person{Login: login, Permission: perm, MemberOf: func(slug string) bool { return teams[slug] }}, nil
}

// config parses .stagehand.yaml at the base's head. A config that is
// missing or broken is cerr, not err: it is a fact about the commit.
func (e *Engine) config(ctx context.Context, base githubapp.Branch) (cfg *config.Config, cerr *ConfigError, err error) {
	if c, ok := e.reads.config(treeKey(base)); ok {
		if c.cfg != nil {
			e.learnConfig(c.cfg) // a config read before may be the current one again
		}
		if c.cerr != nil && c.cerr.SHA != base.SHA {
			// The same broken file, reported on the commit that has it now.
			c.cerr = &ConfigError{SHA: base.SHA, Err: c.cerr.Err}
		}
		return c.cfg, c.cerr, nil
	}
	data, err := e.file(ctx, config.FileName, base)
	if errors.Is(err, githubapp.ErrNotFound) {
		return nil, &ConfigError{SHA: base.SHA, Err: fmt.Errorf("%s does not exist on %s; add it at the root of the config repository (see `stagehand validate`)", config.FileName, e.base)}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s at %s: %w", config.FileName, shortSHA(base.SHA), err)
	}
	cfg, perr := config.Parse(config.FileName, data)
	if perr != nil {
		cerr = &ConfigError{SHA: base.SHA, Err: perr}
	} else {
		e.learnConfig(cfg)
	}
	e.reads.putConfig(treeKey(base), parsedConfig{cfg, cerr})
	return cfg, cerr, nil
}

// stageFile reads an app's stage file at the base's head; what is wrong
// with it is a Problem, not an error.
func (e *Engine) stageFile(ctx context.Context, base githubapp.Branch, t manifest.Target, image string) (File, error) {
	// What a tree's file pins never changes either: parsed once, kept with
	// the file (a board reads every app's every stage on each view).
	key := treeKey(base) + "\x00" + t.String() + "\x00" + image
	if f, ok := e.reads.stage(key); ok {
		return f, nil
	}
	f, err := e.readStageFile(ctx, base, t, image)
	if err == nil {
		e.reads.putStage(key, f)
	}
	return f, err
}

func (e *Engine) readStageFile(ctx context.Context, base githubapp.Branch, t manifest.Target, image string) (File, error) {
	path := t.File
	f := File{Path: path, Target: t}
	data, err := e.file(ctx, path, base)
	if errors.Is(err, githubapp.ErrNotFound) {
		f.Problem = fmt.Sprintf("%s does not exist on %s; create it, or fix the path in %s", path, e.base, config.FileName)
		return f, nil
	}
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", path, err)
	}
	f.Data = data
	if f.Pinned, err = t.Current(data, image); err != nil {
		f.Problem = fmt.Sprintf("cannot read %s from %s: %v", image, path, err)
	}
	return f, nil
}

// file reads path at commit at.SHA, once per tree: later reads come from
// memory. A commit whose tree is not known (at.TreeSHA is "") is kept by
// its own SHA.
func (e *Engine) file(ctx context.Context, path string, at githubapp.Branch) ([]byte, error) {
	key := treeKey(at)
	if data, ok := e.reads.file(key, path); ok {
		return data, nil
	}
	data, err := e.gh.ReadFile(ctx, path, at.SHA)
	if err != nil {
		return nil, err
	}
	e.reads.putFile(key, path, data)
	return data, nil
}

// wrote tells the cache of a commit stagehand made: its tree is base's
// with files replaced, so what is known of base's files is known of it.
// The next stage's chain after a merge, and the next push, then read
// nothing stagehand wrote or read already: a merge of a branch built on
// the base's head has the branch's tree.
func (e *Engine) wrote(base githubapp.Branch, tree string, files map[string][]byte) {
	if tree != "" {
		e.reads.derive(treeKey(base), treeKey(githubapp.Branch{TreeSHA: tree}), files)
	}
}

// treeKey is what the cache keeps a commit's files by: its tree, or the
// commit itself where its tree is not known (a rollback's history).
func treeKey(at githubapp.Branch) string {
	if at.TreeSHA != "" {
		return "tree " + at.TreeSHA
	}
	return "commit " + at.SHA
}

// readCache keeps files and parsed configs by the tree they were read
// from: the content of a tree never changes. It forgets everything when
// full, which is simple and costs one read per file afterwards.
type readCache struct {
	mu      sync.Mutex
	max     int
	files   map[string]map[string][]byte // tree key → path → content
	configs map[string]parsedConfig      // tree key → config
	stages  map[string]File              // tree key, path, image → the file and what it pins
}

// maxStages bounds the parsed stage files kept: a board of 500 apps in 8
// stages twice over.
const maxStages = 8192

func (c *readCache) stage(key string) (File, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.stages[key]
	return f, ok
}

func (c *readCache) putStage(key string, f File) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stages) >= maxStages {
		clear(c.stages)
	}
	c.stages[key] = f
}

type parsedConfig struct {
	cfg  *config.Config
	cerr *ConfigError
}

func newReadCache(max int) *readCache {
	return &readCache{max: max, files: map[string]map[string][]byte{}, configs: map[string]parsedConfig{}, stages: map[string]File{}}
}

func (c *readCache) file(key, path string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.files[key][path]
	return data, ok
}

func (c *readCache) putFile(key, path string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(key, path, data)
}

func (c *readCache) put(key, path string, data []byte) {
	m := c.files[key]
	if m == nil {
		if len(c.files) >= c.max {
			clear(c.files)
		}
		m = map[string][]byte{}
		c.files[key] = m
	}
	m[path] = data
}

// derive records tree key `to` as tree `from` with files replaced.
func (c *readCache) derive(from, to string, files map[string][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	known := maps.Clone(c.files[from])
	for path, data := range known {
		if _, replaced := files[path]; !replaced {
			c.put(to, path, data)
		}
	}
	for path, data := range files {
		c.put(to, path, data)
	}
	if p, ok := c.configs[from]; ok {
		if _, replaced := files[config.FileName]; !replaced {
			c.putConfigLocked(to, p)
		}
	}
}

func (c *readCache) config(key string) (parsedConfig, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.configs[key]
	return p, ok
}

func (c *readCache) putConfig(key string, p parsedConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putConfigLocked(key, p)
}

func (c *readCache) putConfigLocked(key string, p parsedConfig) {
	if len(c.configs) >= c.max {
		clear(c.configs)
	}
	c.configs[key] = p
}
