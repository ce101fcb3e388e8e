package promote

import (
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Snapshot is everything a request is decided on, read once: the base
// branch at one commit (its config and the stage files the request
// concerns) and stagehand's records (holds, merges, links) at that moment.
// Decide reads nothing else.
type Snapshot struct {
	BaseName string
	Base     githubapp.Branch
	// Config is the parsed .stagehand.yaml; nil when ConfigErr says why not.
	Config    *config.Config
	ConfigErr *ConfigError
	// Files are the stage files the request concerns, by path.
	Files map[string]File
	// Holds are the app's held stages, by stage.
	Holds map[string]gate.Hold
	// Merged is, by stage, the digest stagehand last saw merged into it
	// and when: what a soak time counts from.
	Merged map[string]MergedAt
	// Person is the actor as GitHub knows them, for requests a person
	// makes; nil for stagehand and for actors without a login.
	Person *gate.Person
	// LinkUsed says the request's link was used already.
	LinkUsed bool
	// Open is the stage's open stagehand PR, read for Reconsider only.
	Open *githubapp.PullRequest
	// Restore is where a rollback's walk through the stage's history ended.
	Restore *Restore
	Now     time.Time
	// Health is, by stage, the app's last merge there as it rolled out:
	// the source stage's health gate for a chain or a promotion, the
	// stage's own for a Verify; read only where the stage verifies.
	Health map[string]store.Deployment
	// Statuses are, for a Verify, the commits whose statuses count.
	Statuses []CommitStatuses
	// Preview decides without rewriting the stage file: a proposal's
	// verdict without its new content, for a page that shows what could
	// be done (the board). The request itself, when made, rewrites.
	Preview bool

	// Members are, for a group's request, each app's own holds and merges,
	// by app: what Holds and Merged are for an app's request.
	Members map[string]AppRecords
	// Candidates are, for a group's push, the pushes of its members that
	// its window gathered; Open is then the group's open PR into the first
	// stage, whose images a new push adds to rather than replaces.
	Candidates []Candidate
}

// AppRecords are one app's records in a group's snapshot.
type AppRecords struct {
	Holds  map[string]gate.Hold
	Merged map[string]MergedAt
	Health map[string]store.Deployment
	// Files are the app's stage files, by path, as they pin its image:
	// apps of a group may share a file, each pinned in its own place.
	Files map[string]File
}

// Candidate is a member's push waiting for its group: the push request,
// and when it was offered (the window counts from the newest).
type Candidate struct {
	App     string
	Request Request
	At      time.Time
	stored  []byte // as the store has it, so that only this one is dropped
}

// member is the snapshot an app of a group's request is decided on: the
// same commit, files and person, the app's own records.
func (s Snapshot) member(app string) Snapshot {
	m := s
	rec := s.Members[app]
	m.Holds, m.Merged, m.Members, m.Candidates, m.Open = rec.Holds, rec.Merged, nil, nil, nil
	m.Health = rec.Health
	if rec.Files != nil {
		m.Files = rec.Files
	}
	if m.Holds == nil {
		m.Holds = map[string]gate.Hold{}
	}
	if m.Merged == nil {
		m.Merged = map[string]MergedAt{}
	}
	return m
}

// File is a stage's file as the base branch has it. Problem says why it
// cannot be used (missing, unreadable); Pinned is what it pins otherwise.
type File struct {
	Path string
	// Target is where in the file the app's image is pinned; the zero
	// Target is the kustomization at Path.
	Target  manifest.Target
	Data    []byte
	Pinned  manifest.Pinned
	Problem string
}

// MergedAt is a digest stagehand saw merged into a stage, and when; and
// when the registry said it was pushed, if it did.
type MergedAt struct {
	Digest   string
	At       time.Time
	PushedAt time.Time
}

// Restore is the point a rollback restores, or why there is none.
type Restore struct {
	Point   restorePoint
	Verdict verdict
}

// ConfigError is a .stagehand.yaml that does not parse or validate: nothing
// can be promoted until it is fixed.
type ConfigError struct {
	SHA string // the commit whose config is broken
	Err error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s on the base branch (commit %s) is invalid, so stagehand changes nothing until it is fixed:\n%v", config.FileName, shortSHA(e.SHA), e.Err)
}
func (e *ConfigError) Unwrap() error { return e.Err }

// resolve fills in what the config decides: the stage a bare /promote on a
// stagehand PR goes to, and the stage a chain moves on to, when the PR's
// (or the chain's) stage is followed by one stage only. Where several
// follow it, Stage stays "": a chain is split into one request each
// (Split), and a bare /promote is asked which.
func (r Request) resolve(cfg *config.Config) Request {
	if (r.Kind == Promote || r.Kind == Chain) && r.Stage == "" && r.From != "" && !r.All {
		if next := cfg.Next(r.From); len(next) == 1 {
			r.Stage = next[0].Name
		}
	}
	return r
}

// Split is the requests r stands for: one per stage that follows r.From
// for a chain that names none (a merge moves the image on to every stage
// after it) and for a /promote to all; r alone otherwise. Each goes the
// one way every request goes, with its own stage's lock.
func (r Request) Split(cfg *config.Config) []Request {
	if cfg == nil || r.Stage != "" || r.From == "" || !(r.Kind == Chain || r.Kind == Promote && r.All) {
		return []Request{r}
	}
	next := cfg.Next(r.From)
	if len(next) == 0 || len(next) == 1 && !r.All {
		return []Request{r} // Decide says there is nowhere to go, or resolves it
	}
	out := make([]Request, 0, len(next))
	for _, st := range next {
		q := r
		q.Stage, q.All = st.Name, false
		if q.ID != "" {
			q.ID += "/" + st.Name
		}
		out = append(out, q)
	}
	return out
}

// targets lists the stage files Decide reads for r, given the config: the
// reader reads exactly these.
func targets(r Request, cfg *config.Config) []manifest.Target {
	r = r.resolve(cfg)
	app, ok := cfg.App(r.App)
	if !ok {
		return nil
	}
	var stages []string
	switch r.Kind {
	case Push:
		stages = []string{cfg.First().Name}
	case Promote, Chain:
		stages = sourceNames(r, cfg)
		if r.Stage != "" {
			stages = append(stages, r.Stage)
		}
	case Rollback, Reconsider, Verify:
		stages = []string{r.Stage}
	}
	var out []manifest.Target
	for _, s := range stages {
		if t := app.Target(s); t.File != "" {
			out = append(out, t)
		}
	}
	return out
}

// target is the stage r acts on, once the config is known; ok is false
// when the config has no such stage (Decide explains).
func target(r Request, cfg *config.Config) (string, bool) {
	r = r.resolve(cfg)
	if r.Kind == Push {
		return cfg.First().Name, len(cfg.Stages) > 0
	}
	_, ok := cfg.Stage(r.Stage)
	return r.Stage, ok
}

// health is stage's health record in the snapshot, if any.
func (s Snapshot) health(stage string) *store.Deployment {
	if h, ok := s.Health[stage]; ok {
		return &h
	}
	return nil
}
