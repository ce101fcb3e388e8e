// Package fleet holds the config repositories stagehand serves: every
// repository the App is installed on that has a .stagehand.yaml on its
// default branch (or the one repository it is told to serve), each with
// its own engine and workers. It keeps the set current as installations
// and configs change, and routes the queue's work to the repository it
// came from; a registry push goes to every repository that uses its image.
package fleet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// Handler is one repository's workers; *work.Handler is one.
type Handler interface {
	queue.Handler
	queue.ConfigWatcher
}

// Engine is what the fleet asks of a repository's engine; *promote.Engine
// is one.
type Engine interface {
	Config(ctx context.Context) (*config.Config, error)
	LearnOpenPRs(ctx context.Context) error
	Concerns(image string) (uses, known bool)
}

// Repo is one config repository's share of the work.
type Repo struct {
	Name    string // owner/name, as GitHub spells it
	Base    string // the branch promotions land on
	Engine  Engine
	Handler Handler
}

// Build makes the Repo of config repository name, whose promotions land
// on base.
type Build func(ctx context.Context, name, base string) (*Repo, error)

// Installation is what the fleet asks of GitHub: the repositories the App
// is installed on, and whether one has a config on a branch.
type Installation interface {
	InstallationRepos(ctx context.Context) ([]githubapp.Repository, error)
	HasConfig(ctx context.Context, repo, branch string) (bool, error)
}

// Options configure a Fleet. Build is required; Installation too unless
// Static is set.
type Options struct {
	// Static, when set, is the one repository served, whatever the
	// installation holds and whether or not its config exists yet (a
	// missing one is reported as broken): stagehand as it was before it
	// served several. Base is its base branch.
	Static, Base string
	// Allow limits the repositories served (Parse); empty allows all.
	Allow        Allow
	Installation Installation
	Build        Build
	// Claim, when set, is called with the first repository served: the
	// records from before stagehand served several become its.
	Claim  func(ctx context.Context, repo string) error
	Logger *slog.Logger
}

// Fleet is the set of config repositories served. It implements
// queue.Handler, routing each job to its repository's Handler.
type Fleet struct {
	opts Options
	log  *slog.Logger

	refresh sync.Mutex // one Refresh at a time
	mu      sync.RWMutex
	repos   map[string]*Repo // by lower-case name
	first   string           // lower-case name of the first repository served: where work naming none goes
	claimed bool
}

var (
	_ queue.Handler             = (*Fleet)(nil)
	_ queue.ConfigWatcher       = (*Fleet)(nil)
	_ queue.InstallationWatcher = (*Fleet)(nil)
)

// New returns an empty Fleet; Refresh fills it.
func New(opts Options) (*Fleet, error) {
	if opts.Build == nil || (opts.Static == "" && opts.Installation == nil) {
		return nil, errors.New("fleet: Build, and Installation or Static, are required")
	}
	f := &Fleet{opts: opts, log: opts.Logger, repos: map[string]*Repo{}}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	f.opts.Base = cmp.Or(f.opts.Base, "main")
	return f, nil
}

// Static reports whether the fleet serves one repository it was told.
func (f *Fleet) Static() bool { return f.opts.Static != "" }

// Refresh reads which repositories to serve: the static one, or every
// allowed repository of the installation with a config on its default
// branch. Repositories that stop qualifying stop being served; their
// records stay.
func (f *Fleet) Refresh(ctx context.Context) error {
	f.refresh.Lock()
	defer f.refresh.Unlock()
	if f.opts.Static != "" {
		if _, ok := f.Get(f.opts.Static); ok {
			return nil
		}
		return f.add(ctx, f.opts.Static, f.opts.Base)
	}
	list, err := ConfigRepos(ctx, f.opts.Installation, f.opts.Allow, func(name string) bool {
		_, ok := f.Get(name)
		return ok // keep serving it
	})
	if list == nil && err != nil {
		return err
	}
	errs := []error{err}
	want := map[string]githubapp.Repository{}
	for _, r := range list {
		want[strings.ToLower(r.FullName)] = r
	}
	for _, r := range list {
		if _, ok := f.Get(r.FullName); ok {
			continue
		}
		if err := f.add(ctx, r.FullName, r.DefaultBranch); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range f.Repos() {
		if _, ok := want[strings.ToLower(r.Name)]; !ok {
			f.remove(r.Name)
		}
	}
	return errors.Join(errs...)
}

// ConfigRepos lists the repositories of the installation that stagehand
// serves without a static one: those allow allows, not archived, with a
// .stagehand.yaml on their default branch (DefaultBranch is set), by name.
// A repository whose config cannot be read is an error, and listed
// anyway when keep (optional) says so.
func ConfigRepos(ctx context.Context, inst Installation, allow Allow, keep func(name string) bool) ([]githubapp.Repository, error) {
	list, err := inst.InstallationRepos(ctx)
	if err != nil {
		return nil, err
	}
	out := []githubapp.Repository{}
	var errs []error
	for _, r := range list {
		if r.Archived || !allow.Allows(r.FullName) {
			continue
		}
		r.DefaultBranch = cmp.Or(r.DefaultBranch, "main")
		has, err := inst.HasConfig(ctx, r.FullName, r.DefaultBranch)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.FullName, err))
			has = keep != nil && keep(r.FullName)
		}
		if has {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b githubapp.Repository) int {
		return strings.Compare(strings.ToLower(a.FullName), strings.ToLower(b.FullName))
	})
	return out, errors.Join(errs...)
}

func (f *Fleet) add(ctx context.Context, name, base string) error {
	if f.opts.Claim != nil && !f.claimed {
		if err := f.opts.Claim(ctx, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		f.claimed = true
	}
	r, err := f.opts.Build(ctx, name, base)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	key := strings.ToLower(name)
	f.mu.Lock()
	f.repos[key] = r
	if f.first == "" {
		f.first = key
	}
	f.mu.Unlock()
	f.log.Info("config repository served", "repo", name, "base_branch", base)
	// Read the config now: a broken one is said at once, and the first
	// push knows which apps it concerns without asking. Learn the open
	// stagehand PRs too, so that the first update of one after a start
	// costs what it costs in a running process.
	if _, err := r.Engine.Config(ctx); err != nil {
		f.log.Warn("the config repository's configuration cannot be used yet; stagehand keeps pushes until it can", "repo", name, "err", err)
	}
	if err := r.Engine.LearnOpenPRs(ctx); err != nil {
		f.log.Warn("could not list the open stagehand PRs; the first update of each looks it up", "repo", name, "err", err)
	}
	return nil
}

// Get returns the repository served under name (case-blind).
func (f *Fleet) Get(name string) (*Repo, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	r, ok := f.repos[strings.ToLower(name)]
	return r, ok
}

// Repos lists the repositories served, by name.
func (f *Fleet) Repos() []*Repo {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]*Repo, 0, len(f.repos))
	for _, r := range f.repos {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Repo) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}

// Serves reports whether events of repository name are acted on, with its
// name as served and its base branch.
func (f *Fleet) Serves(name string) (served, base string, ok bool) {
	r, ok := f.Get(name)
	if !ok {
		return "", "", false
	}
	return r.Name, r.Base, true
}

// Allows reports whether repository name may be served (the allow-list).
func (f *Fleet) Allows(name string) bool {
	if f.opts.Static != "" {
		return strings.EqualFold(name, f.opts.Static)
	}
	return f.opts.Allow.Allows(name)
}

// Default is the repository work that names none goes to: the only one,
// or the first served (whose are the records from before).
func (f *Fleet) Default() (*Repo, bool) {
	f.mu.RLock()
	r, ok := f.repos[f.first]
	f.mu.RUnlock()
	if ok {
		return r, true
	}
	// The first is no longer served: the first by name is.
	if rs := f.Repos(); len(rs) > 0 {
		return rs[0], true
	}
	return nil, false
}

// route finds the repository of a job; "" is the default one.
func (f *Fleet) route(name string) (*Repo, error) {
	if name == "" {
		if r, ok := f.Default(); ok {
			return r, nil
		}
		return nil, errors.New("no config repository is served yet")
	}
	if r, ok := f.Get(name); ok {
		return r, nil
	}
	return nil, fmt.Errorf("%w: %s is not a config repository stagehand serves (no %s on its default branch, not installed, or not allowed)", ErrNotServed, name, ".stagehand.yaml")
}

// ErrNotServed: the work names a repository no longer served; it is
// dropped, not retried.
var ErrNotServed = errors.New("repository not served")

func (f *Fleet) drop(err error) error {
	if errors.Is(err, ErrNotServed) {
		f.log.Info("work dropped", "err", err)
		return nil
	}
	return err
}

// Concerns says whether a push of image may be for an app of some
// repository: one whose config uses it, or whose config is not known.
func (f *Fleet) Concerns(image string) (uses, known bool) {
	known = true
	for _, r := range f.Repos() {
		u, k := r.Engine.Concerns(image)
		if u {
			return true, true
		}
		known = known && k
	}
	return false, known
}

// Using lists the repositories a push of image is for: those whose config
// uses it, or is not known yet.
func (f *Fleet) Using(image string) []string {
	var out []string
	for _, r := range f.using(image) {
		out = append(out, r.Name)
	}
	return out
}

func (f *Fleet) using(image string) []*Repo {
	var out []*Repo
	for _, r := range f.Repos() {
		if uses, known := r.Engine.Concerns(image); uses || !known {
			out = append(out, r)
		}
	}
	return out
}

// Pushes hands the pushes of image to the repository they name, or to
// every repository that may use it when they name none.
func (f *Fleet) Pushes(ctx context.Context, image string, pushes []queue.Push) error {
	if len(pushes) > 0 && pushes[0].Repo != "" {
		r, err := f.route(pushes[0].Repo)
		if err != nil {
			return f.drop(err)
		}
		return r.Handler.Pushes(ctx, image, pushes)
	}
	var errs []error
	for _, r := range f.using(image) {
		if err := r.Handler.Pushes(ctx, image, pushes); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (f *Fleet) PRClosed(ctx context.Context, pr queue.PRClosed) error {
	r, err := f.route(pr.Repo)
	if err != nil {
		return f.drop(err)
	}
	return r.Handler.PRClosed(ctx, pr)
}

func (f *Fleet) Checks(ctx context.Context, c queue.Checks) error {
	r, err := f.route(c.Repo)
	if err != nil {
		return f.drop(err)
	}
	return r.Handler.Checks(ctx, c)
}

func (f *Fleet) Comment(ctx context.Context, c queue.Comment) error {
	r, err := f.route(c.Repo)
	if err != nil {
		return f.drop(err)
	}
	return r.Handler.Comment(ctx, c)
}

// Request runs a request in the repository it names.
func (f *Fleet) Request(ctx context.Context, payload []byte) error {
	req, err := promote.DecodeRequest(payload)
	if err != nil {
		return queue.Permanent(err)
	}
	r, err := f.route(req.Repo)
	if err != nil {
		return f.drop(err)
	}
	return r.Handler.Request(ctx, payload)
}

// Reconcile reconciles every repository.
func (f *Fleet) Reconcile(ctx context.Context) error {
	var errs []error
	for _, r := range f.Repos() {
		if err := r.Handler.Reconcile(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
		}
	}
	return errors.Join(errs...)
}

// ConfigChanged checks the config of the repository a push changed it in.
// A push to a repository not served may have added its config, and one to
// a served repository may have removed it: either is looked at again.
func (f *Fleet) ConfigChanged(ctx context.Context, c queue.ConfigChanged) error {
	r, err := f.route(c.Repo)
	switch {
	case errors.Is(err, ErrNotServed) && !f.Static():
		if err := f.Refresh(ctx); err != nil {
			return err
		}
		if r, err = f.route(c.Repo); err != nil {
			return f.drop(err)
		}
	case err != nil:
		return f.drop(err)
	case !f.Static():
		has, err := f.opts.Installation.HasConfig(ctx, r.Name, r.Base)
		if err != nil {
			return err
		}
		if !has {
			f.remove(r.Name)
			return nil
		}
	}
	return r.Handler.ConfigChanged(ctx, c)
}

func (f *Fleet) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.repos[strings.ToLower(name)]; ok {
		delete(f.repos, strings.ToLower(name))
		f.log.Info("config repository no longer served", "repo", r.Name)
	}
}

// InstallationChanged reads again which repositories are served. A
// repository served from now on has its promotions issue opened at once:
// nothing else in it may change for a while.
func (f *Fleet) InstallationChanged(ctx context.Context) error {
	before := map[string]bool{}
	for _, r := range f.Repos() {
		before[strings.ToLower(r.Name)] = true
	}
	err := f.Refresh(ctx)
	for _, r := range f.Repos() {
		k, ok := r.Handler.(queue.IssueKeeper)
		if before[strings.ToLower(r.Name)] || !ok {
			continue
		}
		// Not retried with the installation's job: on a retry the
		// repository is no longer new. Its next change, or the reconcile,
		// opens the issue.
		if kerr := k.KeepIssue(ctx, r.Name); kerr != nil {
			f.log.Warn("could not open the promotions issue of a repository just served; its next change or the reconcile opens it", "repo", r.Name, "err", kerr)
		}
	}
	return err
}

var _ queue.IssueKeeper = (*Fleet)(nil)

// KeepIssue brings repo's promotions issue up to date, when its handler
// keeps one.
func (f *Fleet) KeepIssue(ctx context.Context, repo string) error {
	r, err := f.route(repo)
	if err != nil {
		return f.drop(err)
	}
	if k, ok := r.Handler.(queue.IssueKeeper); ok {
		return k.KeepIssue(ctx, repo)
	}
	return nil
}

// IssueEdited acts on an edit of an issue in the repository it came from.
func (f *Fleet) IssueEdited(ctx context.Context, e queue.IssueEdited) error {
	r, err := f.route(e.Repo)
	if err != nil {
		return f.drop(err)
	}
	if k, ok := r.Handler.(queue.IssueKeeper); ok {
		return k.IssueEdited(ctx, e)
	}
	return nil
}
