package config

import (
	"slices"
	"time"

	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/notify"
	"github.com/stagehand-dev/stagehand/internal/registry"
	"github.com/stagehand-dev/stagehand/internal/window"
)

// FileName is the config file stagehand reads at the root of a config repo.
const FileName = ".stagehand.yaml"

// Mode says how a promotion into a stage lands.
type Mode string

const (
	// AutoMerge opens the PR and merges it once required checks pass.
	AutoMerge Mode = "auto-merge"
	// PullRequest opens the PR; a person merges it.
	PullRequest Mode = "pull-request"
	// Manual moves nothing until someone promotes it.
	Manual Mode = "manual"
)

// Stage is one environment in the promotion order.
type Stage struct {
	Name string
	Mode Mode
	// After are the stages this one follows, which it takes images from:
	// the after: list, or the stage above it in the file when it has none;
	// nil for the first stage only.
	After     []string
	Soak      time.Duration // zero when unset
	Approvers []string      // GitHub logins and @org/team slugs; nil when unset

	// Verify are the commit status contexts (or check run names) that say
	// a merge into the stage runs healthy; nil for none. With them, the
	// image moves on (and a soak counts) only once each is success on the
	// merge commit, or on a later commit of the base branch that still
	// pins the image; a failure, an error or VerifyTimeout stops it.
	Verify        []string
	VerifyTimeout time.Duration // DefaultVerifyTimeout when verify is set and this is not; zero without verify
	OnFailure     OnFailure     // Stop or HoldStage with verify; "" without
	// Windows are the times promotions into the stage are frozen; nil
	// when unset.
	Windows window.Set
}

// App is one image and where it is pinned in each stage.
type App struct {
	Name  string
	Image string // as written in the file
	Tags  registry.TagPolicy
	paths map[string]manifest.Target // stage name → target
}

// Path returns the file, relative to the repo root, that pins the app's
// image in stage, or "" for a stage the config does not have.
func (a App) Path(stage string) string { return a.paths[stage].File }

// Target returns where the app's image is pinned in stage: a
// kustomization's images:, or paths in a YAML file. Its File is "" for a
// stage the config does not have.
func (a App) Target(stage string) manifest.Target { return a.paths[stage] }

// Config is a parsed, valid .stagehand.yaml.
type Config struct {
	// Stages are in file order, the first first; never empty after Parse.
	// Their After make them a graph: a straight line unless stages name
	// the ones they follow.
	Stages []Stage
	Apps   []App
	Groups []Group // apps that release together; each app is in one at most
	// Notify are the receivers of the repository's events (outgoing
	// webhooks); nil for none.
	Notify []notify.Target
}

// Stage returns the stage called name.
func (c *Config) Stage(name string) (Stage, bool) {
	i := c.stageIndex(name)
	if i < 0 {
		return Stage{}, false
	}
	return c.Stages[i], true
}

// First returns the stage new images enter. It is the zero Stage only for a
// Config that did not come from Parse.
func (c *Config) First() Stage {
	if len(c.Stages) == 0 {
		return Stage{}
	}
	return c.Stages[0]
}

// Next returns the stages that follow stage (that name it in their After),
// in file order: one in a straight line, several where the stages fan out,
// none for a last or an unknown stage.
func (c *Config) Next(stage string) []Stage {
	var out []Stage
	for _, s := range c.Stages {
		if slices.Contains(s.After, stage) {
			out = append(out, s)
		}
	}
	return out
}

// Prev returns the stages stage follows, in its After's order: one in a
// straight line, several where stages fan in, none for the first or an
// unknown stage.
func (c *Config) Prev(stage string) []Stage {
	i := c.stageIndex(stage)
	if i < 0 {
		return nil
	}
	out := make([]Stage, 0, len(c.Stages[i].After))
	for _, name := range c.Stages[i].After {
		if s, ok := c.Stage(name); ok {
			out = append(out, s)
		}
	}
	return out
}

// App returns the app called name.
func (c *Config) App(name string) (App, bool) {
	for _, a := range c.Apps {
		if a.Name == name {
			return a, true
		}
	}
	return App{}, false
}

// AppsForImage returns the apps whose image is the same repository as image,
// the way registries resolve names: "nginx" is "docker.io/library/nginx",
// and a tag or digest on image is ignored. Apps come in file order.
func (c *Config) AppsForImage(image string) []App {
	var out []App
	for _, a := range c.Apps {
		if registry.SameRepository(a.Image, image) {
			out = append(out, a)
		}
	}
	return out
}

func (c *Config) stageIndex(name string) int {
	for i, s := range c.Stages {
		if s.Name == name {
			return i
		}
	}
	return -1
}
