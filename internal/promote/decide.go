package promote

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// Want is an image proposed for a stage: always a tag and a digest, and
// always the digest that was resolved from the registry or read from the
// previous stage, never re-resolved.
type Want struct {
	Image  string // the app's repository, as in .stagehand.yaml
	Tag    string
	Digest string
	From   string // the stage it is promoted from; "" for a push
}

// verdict is a decision that may refuse: ok, or a reason a person can act on.
type verdict struct {
	ok     bool
	reason string
}

func yes() verdict                          { return verdict{ok: true} }
func no(format string, args ...any) verdict { return verdict{reason: fmt.Sprintf(format, args...)} }
func (v verdict) String() string            { return v.reason }
func pinnedString(p manifest.Pinned) (tag, digest string) {
	tag, digest = p.Tag, p.Digest
	if tag == "" {
		tag = "none"
	}
	if digest == "" {
		digest = "none pinned"
	}
	return tag, digest
}

// decidePushTag says whether a pushed tag may enter the app's first stage,
// before anything is read: the tag policy is checked first so that a tag it
// rejects costs no request at all.
func decidePushTag(app config.App, tag string) verdict {
	if !app.Tags.Accepts(tag) {
		return no("tag %s is not accepted by %s's tag policy (%s); nothing was changed", tag, app.Name, app.Tags)
	}
	return yes()
}

// decidePushOrder refuses a pushed tag that would move an ordered (semver)
// policy backwards from what the first stage runs now.
func decidePushOrder(app config.App, stage, tag string, current manifest.Pinned) verdict {
	if current.Found && app.Tags.Ordered() && app.Tags.Older(tag, current.Tag) {
		return no("%s runs %s in %s; %s is older and a semver policy never moves a stage back (use a rollback for that)", app.Name, current.Tag, stage, tag)
	}
	return yes()
}

// decidePromoteStages finds the stage a promotion into `to` takes its image
// from: the stage right before it, never one further back.
func decidePromoteStages(cfg *config.Config, appName, to string) (config.App, config.Stage, config.Stage, verdict) {
	app, ok := cfg.App(appName)
	if !ok {
		return config.App{}, config.Stage{}, config.Stage{}, no("there is no app %q in %s (apps: %s)", appName, config.FileName, appNames(cfg))
	}
	target, ok := cfg.Stage(to)
	if !ok {
		return app, config.Stage{}, config.Stage{}, no("there is no stage %q in %s (stages: %s)", to, config.FileName, stageNames(cfg))
	}
	from, ok := cfg.Prev(to)
	if !ok {
		return app, config.Stage{}, target, no("%s is the first stage: images enter it when they are pushed to the registry, not by promotion", to)
	}
	return app, from, target, yes()
}

// decideSource takes the image to promote exactly as the source stage pins
// it. A source pinned by tag alone is refused: promoting it would mean
// re-resolving the tag, and a tag can point at another image by now.
func decideSource(app config.App, from string, path string, src manifest.Pinned) (Want, verdict) {
	if !src.Found {
		return Want{}, no("%s has no images: entry for %s in %s, so there is nothing to promote from %s", from, app.Image, path, from)
	}
	if src.Digest == "" {
		return Want{}, no("%s pins %s by tag %s only, with no digest, in %s; stagehand promotes only an exact digest. Let stagehand pin it (push the image again) or add `digest: sha256:…` to that entry", from, app.Image, src.Tag, path)
	}
	return Want{Image: app.Image, Tag: src.Tag, Digest: src.Digest, From: from}, yes()
}

// targetStep is what to do with the target stage's kustomization.
type targetStep int

const (
	writeTarget  targetStep = iota // the stage runs something else: propose the change
	alreadyThere                   // the stage runs this digest: no PR
)

func decideTarget(current manifest.Pinned, want Want) targetStep {
	if current.Found && current.Digest == want.Digest {
		return alreadyThere
	}
	return writeTarget
}

// existingStep is what to do about the living PR of an app and stage when
// its branch already exists.
type existingStep int

const (
	openNew    existingStep = iota // no open PR: (re)use the branch and open one
	keepOpen                       // the open PR proposes exactly this: touch nothing
	updateOpen                     // the open PR proposes something else: move it to this
)

func decideExisting(pr *githubapp.PullRequest, app config.App, want Want) (existingStep, string) {
	if pr == nil {
		return openNew, ""
	}
	m, ok, err := ParseMarker(pr.Body)
	if err != nil || !ok {
		// Our branch, but not our body: take the PR over with a proper one.
		return updateOpen, ""
	}
	if m.Digest == want.Digest && m.Tag == want.Tag {
		return keepOpen, fmt.Sprintf("#%d already proposes %s@%s", pr.Number, want.Tag, short(want.Digest))
	}
	if want.From == "" && m.From == "" && app.Tags.Ordered() && app.Tags.Older(want.Tag, m.Tag) {
		return keepOpen, fmt.Sprintf("#%d proposes %s, newer than the pushed %s", pr.Number, m.Tag, want.Tag)
	}
	return updateOpen, ""
}

// isStale reports whether an open PR proposes what the stage already runs.
func isStale(pr *githubapp.PullRequest, current manifest.Pinned) bool {
	if pr == nil || !current.Found {
		return false
	}
	m, ok, err := ParseMarker(pr.Body)
	return err == nil && ok && m.Digest == current.Digest
}

// mergeStep is what to do with an auto-merge PR now.
type mergeStep int

const (
	mergeNow  mergeStep = iota
	waitCheck           // a required check has not passed yet: a later check event retries
	blocked             // a required check failed: a person must act
)

// decideMerge fails closed: a required check that is missing, pending or
// failing never merges.
func decideMerge(base string, required []string, checks []githubapp.Check) (mergeStep, string) {
	if len(required) == 0 {
		return mergeNow, ""
	}
	state := make(map[string]string, len(checks))
	for _, c := range checks {
		state[c.Name] = c.State
	}
	var failing, waiting []string
	for _, name := range required {
		switch state[name] {
		case "success":
		case "failure":
			failing = append(failing, name)
		case "pending":
			waiting = append(waiting, name+" (pending)")
		default:
			waiting = append(waiting, name+" (not reported yet)")
		}
	}
	switch {
	case len(failing) > 0:
		sort.Strings(failing)
		return blocked, fmt.Sprintf("required check %s failed, so stagehand will not merge; fix it and re-run the check, or close this PR", strings.Join(failing, ", "))
	case len(waiting) > 0:
		sort.Strings(waiting)
		return waitCheck, fmt.Sprintf("waiting for %s's required checks: %s; stagehand merges as soon as they pass", base, strings.Join(waiting, ", "))
	}
	return mergeNow, ""
}

func appNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Apps))
	for i, a := range cfg.Apps {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

func stageNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Stages))
	for i, s := range cfg.Stages {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// short abbreviates a digest for titles and messages: sha256:0123456789ab.
func short(digest string) string {
	if len(digest) > len("sha256:")+12 {
		return digest[:len("sha256:")+12]
	}
	return digest
}
