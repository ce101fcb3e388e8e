package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// read takes the snapshot r is decided on: the base branch's head, the
// config and the stage files r concerns at that one commit, and the
// records. Files at a commit never change, so they are read once per
// commit and kept.
func (e *Engine) read(ctx context.Context, r Request) (Snapshot, error) {
	base, err := e.gh.Branch(ctx, e.base)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read branch %s: %w", e.base, err)
	}
	s := Snapshot{BaseName: e.base, Base: base, Now: e.now()}
	cfg, cerr, err := e.config(ctx, base.SHA)
	if err != nil {
		return Snapshot{}, err
	}
	if cerr != nil {
		s.ConfigErr = cerr
		return s, nil
	}
	s.Config = cfg
	r = r.resolve(cfg)
	app, ok := cfg.App(r.App)
	if !ok {
		return s, nil
	}
	s.Files = map[string]File{}
	for _, path := range paths(r, cfg) {
		f, err := e.stageFile(ctx, base.SHA, path, app.Image)
		if err != nil {
			return Snapshot{}, err
		}
		s.Files[path] = f
	}
	if err := e.readRecords(ctx, r, cfg, &s); err != nil {
		return Snapshot{}, err
	}
	if r.Kind == Reconsider {
		if s.Open, err = e.openPR(ctx, r.App, r.Stage); err != nil {
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
func (e *Engine) readRecords(ctx context.Context, r Request, cfg *config.Config, s *Snapshot) error {
	holds, err := e.records.Holds(ctx, r.App)
	if err != nil {
		return fmt.Errorf("read holds: %w", err)
	}
	s.Holds = map[string]gate.Hold{}
	for _, h := range holds {
		s.Holds[h.Stage] = gate.Hold{By: h.By, Reason: h.Reason, At: h.At, Rollback: h.Rollback}
	}
	// Soak times count from the merge into the stage an image comes from.
	var from string
	switch r.Kind {
	case Push:
		from = cfg.First().Name // for the pushed-before rule, not a soak
	case Promote:
		if prev, ok := cfg.Prev(r.Stage); ok {
			from = prev.Name
		}
	case Chain:
		from = r.From
	}
	s.Merged = map[string]MergedAt{}
	if from != "" {
		m, ok, err := e.records.LastMerge(ctx, r.App, from)
		if err != nil {
			return fmt.Errorf("read history: %w", err)
		}
		if ok {
			s.Merged[from] = MergedAt{Digest: m.Digest, At: m.At, PushedAt: m.PushedAt}
		}
	}
	if r.LinkID != "" {
		if s.LinkUsed, _, err = e.records.LinkUsed(ctx, r.LinkID); err != nil {
			return err
		}
	}
	if r.Source.automatic() || r.Actor.Login == "" {
		return nil
	}
	stage, ok := cfg.Stage(r.Stage)
	if !ok {
		return nil
	}
	p, err := e.person(ctx, r.Actor.Login, stage.Approvers)
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

// config parses .stagehand.yaml at commit sha. A config that is missing or
// broken is cerr, not err: it is a fact about the commit.
func (e *Engine) config(ctx context.Context, sha string) (cfg *config.Config, cerr *ConfigError, err error) {
	if c, ok := e.reads.config(sha); ok {
		return c.cfg, c.cerr, nil
	}
	data, err := e.file(ctx, config.FileName, sha)
	if errors.Is(err, githubapp.ErrNotFound) {
		return nil, &ConfigError{SHA: sha, Err: fmt.Errorf("%s does not exist on %s; add it at the root of the config repository (see `stagehand validate`)", config.FileName, e.base)}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s at %s: %w", config.FileName, shortSHA(sha), err)
	}
	cfg, perr := config.Parse(config.FileName, data)
	if perr != nil {
		cerr = &ConfigError{SHA: sha, Err: perr}
	} else {
		e.lastConfig.Store(cfg)
	}
	e.reads.putConfig(sha, parsedConfig{cfg, cerr})
	return cfg, cerr, nil
}

// stageFile reads an app's stage file at sha; what is wrong with it is a
// Problem, not an error.
func (e *Engine) stageFile(ctx context.Context, sha, path, image string) (File, error) {
	f := File{Path: path}
	data, err := e.file(ctx, path, sha)
	if errors.Is(err, githubapp.ErrNotFound) {
		f.Problem = fmt.Sprintf("%s does not exist on %s; create it, or fix the path in %s", path, e.base, config.FileName)
		return f, nil
	}
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", path, err)
	}
	f.Data = data
	if f.Pinned, err = manifest.Current(path, data, image); err != nil {
		f.Problem = fmt.Sprintf("cannot read %s from %s: %v", image, path, err)
	}
	return f, nil
}

// file reads path at commit sha once; later reads come from memory.
func (e *Engine) file(ctx context.Context, path, sha string) ([]byte, error) {
	if data, ok := e.reads.file(path, sha); ok {
		return data, nil
	}
	data, err := e.gh.ReadFile(ctx, path, sha)
	if errors.Is(err, githubapp.ErrNotFound) {
		e.reads.putFile(path, sha, nil)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	e.reads.putFile(path, sha, data)
	return data, nil
}

// readCache keeps files and parsed configs by commit: content at a commit
// never changes. It forgets everything when full, which is simple and
// costs one read per file afterwards.
type readCache struct {
	mu      sync.Mutex
	max     int
	files   map[string][]byte // "sha:path" → content; nil for a file that does not exist
	configs map[string]parsedConfig
}

type parsedConfig struct {
	cfg  *config.Config
	cerr *ConfigError
}

func newReadCache(max int) *readCache {
	return &readCache{max: max, files: map[string][]byte{}, configs: map[string]parsedConfig{}}
}

func (c *readCache) file(path, sha string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.files[sha+":"+path]
	if ok && data == nil {
		return nil, false // not found: ask again, it may have been a gap
	}
	return data, ok
}

func (c *readCache) putFile(path, sha string, data []byte) {
	if data == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.files) >= c.max {
		clear(c.files)
	}
	c.files[sha+":"+path] = data
}

func (c *readCache) config(sha string) (parsedConfig, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.configs[sha]
	return p, ok
}

func (c *readCache) putConfig(sha string, p parsedConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.configs) >= c.max {
		clear(c.configs)
	}
	c.configs[sha] = p
}
