// Package scaffold proposes a .stagehand.yaml for a config repository that
// has none: stages from its overlay folders (dev, staging, prod, …), apps
// from the images its kustomizations pin, and for each app the folder of
// each stage. It only reads, over an fs.FS; `stagehand init` prints or
// writes what it proposes, and `stagehand validate` remains the judge.
package scaffold

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

// stageOrder is the usual promotion order of common environment names;
// a name not listed comes after these, in alphabetical order.
var stageOrder = []string{"dev", "development", "test", "qa", "staging", "stage", "preprod", "pre-prod", "uat", "prod", "production"}

// overlayParents are folder names whose children are stages even when the
// children's names are not in stageOrder (overlays/eu-west, envs/blue).
var overlayParents = []string{"overlays", "envs", "environments", "stages"}

// Proposal is a proposed configuration.
type Proposal struct {
	Stages []config.Stage // promotion order
	Apps   []App          // by name
	// Notes say what was left out and what to check, one line each.
	Notes []string
}

// App is one proposed app.
type App struct {
	Name  string
	Image string
	// Paths maps each stage to the folder (or file) of its kustomization.
	Paths map[string]string
	// Semver or Pattern is the proposed tag policy; Why says where it
	// comes from.
	Semver, Pattern, Why string
}

// found is one image pinned (or run) by one stage's kustomization.
type found struct {
	image string // as written, without tag or digest
	tag   string // "" when none
	stage string
	root  string // the kustomization's folder without the stage's part
	dir   string // the kustomization's folder or file as the config writes it
}

// Propose scans repo for kustomizations and proposes a configuration. An
// error is returned only when repo cannot be walked; unreadable files are
// notes.
func Propose(repo fs.FS) (*Proposal, error) {
	s := &scan{repo: repo}
	if err := s.walk(); err != nil {
		return nil, err
	}
	p := s.propose()
	if len(p.Stages) == 0 {
		return nil, &NothingFoundError{Notes: p.Notes}
	}
	return p, nil
}

// NothingFoundError says that no kustomization in a stage folder pins or
// runs an image, so there is no stage to propose.
type NothingFoundError struct {
	Notes []string // what was seen and left out
}

func (e *NothingFoundError) Error() string {
	msg := "found no kustomization in a stage folder (such as apps/web/overlays/staging or envs/prod/web) that pins or runs an image"
	if len(e.Notes) > 0 {
		msg += ":\n  " + strings.Join(e.Notes, "\n  ")
	}
	return msg
}

type scan struct {
	repo  fs.FS
	found []found
	notes []string
}

func (s *scan) notef(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

func (s *scan) walk() error {
	return fs.WalkDir(s.repo, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			s.notef("%s: cannot read: %v", p, err)
			return nil
		}
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if isKustomization(d.Name()) {
			s.kustomization(p)
		}
		return nil
	})
}

func isKustomization(name string) bool {
	return name == "kustomization.yaml" || name == "kustomization.yml" || name == "Kustomization"
}

// kustomization records the images of the kustomization file p, when its
// folder is a stage.
func (s *scan) kustomization(p string) {
	k, err := readKustomization(s.repo, p)
	if err != nil {
		s.notef("%s: %v; left out", p, err)
		return
	}
	if k == nil {
		return // not kustomize's (a Flux Kustomization, say)
	}
	dir := path.Dir(p)
	stage, root, ok := stageOf(dir)
	images := k.images
	fromImages := len(images) > 0
	if ok && !fromImages {
		// No images: entry yet: the containers its resources run say
		// which images the stage has; stagehand adds the entry on the
		// first promotion.
		images = containerImages(s.repo, dir, map[string]bool{})
	}
	if len(images) == 0 {
		return
	}
	if !ok {
		if fromImages {
			s.notef("%s pins %s but its folder is not a stage (such as overlays/staging); left out", p, images[0].name)
		}
		return
	}
	for _, img := range images {
		repo := registry.TrimReference(img.name)
		if _, err := name.NewRepository(repo); err != nil {
			s.notef("%s: %q is not an image repository (%v); left out", p, img.name, err)
			continue
		}
		where := dir
		if path.Base(p) != "kustomization.yaml" {
			where = p // the config reads a folder as its kustomization.yaml
		}
		s.found = append(s.found, found{image: repo, tag: img.tag, stage: stage, root: root, dir: where})
	}
}

// stageOf finds the stage a kustomization folder belongs to: the nearest
// folder name that is a common stage name, else the folder itself when its
// parent is overlays/ (or envs/, …). root is dir without that name, so that
// the same app's folders in every stage share it.
func stageOf(dir string) (stage, root string, ok bool) {
	if dir == "." {
		return "", "", false
	}
	parts := strings.Split(dir, "/")
	at := -1
	for i := len(parts) - 1; i >= 0 && at < 0; i-- {
		if slices.Contains(stageOrder, strings.ToLower(parts[i])) {
			at = i
		}
	}
	if at < 0 && len(parts) >= 2 && slices.Contains(overlayParents, strings.ToLower(parts[len(parts)-2])) {
		at = len(parts) - 1
	}
	if at < 0 {
		return "", "", false
	}
	name := strings.ToLower(parts[at])
	if !config.ValidName(name) {
		if name = config.SuggestName(name); name == "" {
			return "", "", false
		}
	}
	rest := slices.Concat(parts[:at], []string{"*"}, parts[at+1:])
	return name, strings.Join(rest, "/"), true
}

// propose turns what was found into stages and apps.
func (s *scan) propose() *Proposal {
	type key struct{ image, root string }
	byApp := map[key][]found{}
	var keys []key
	firstImage := map[string]string{} // normalized → as first written
	for _, f := range s.found {
		norm := registry.Normalize(f.image)
		if _, ok := firstImage[norm]; !ok {
			firstImage[norm] = f.image
		}
		k := key{norm, f.root}
		if _, ok := byApp[k]; !ok {
			keys = append(keys, k)
		}
		byApp[k] = append(byApp[k], f)
	}

	var stageNames []string
	for _, f := range s.found {
		if !slices.Contains(stageNames, f.stage) {
			stageNames = append(stageNames, f.stage)
		}
	}
	sortStages(stageNames)
	p := &Proposal{}
	for i, name := range stageNames {
		p.Stages = append(p.Stages, config.Stage{Name: name, Mode: modeFor(i, len(stageNames))})
	}

	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{firstImage[k.image], k.root}
	}
	names := appNames(pairs)
	for i, k := range keys {
		finds := byApp[k]
		// Written as the earliest stage writes it.
		slices.SortStableFunc(finds, func(a, b found) int { return stageRank(a.stage, stageNames) - stageRank(b.stage, stageNames) })
		app := App{Name: names[i], Image: finds[0].image, Paths: map[string]string{}}
		var tags []string
		for _, f := range finds {
			if other, dup := app.Paths[f.stage]; dup && other != f.dir {
				s.notef("%s: %s is pinned in both %s and %s for stage %s; the proposal takes %s", app.Name, app.Image, other, f.dir, f.stage, other)
				continue
			}
			app.Paths[f.stage] = f.dir
			if f.tag != "" {
				tags = append(tags, f.tag)
			}
		}
		var missing []string
		for _, st := range stageNames {
			if _, ok := app.Paths[st]; !ok {
				missing = append(missing, st)
			}
		}
		if len(missing) > 0 {
			s.notef("%s (%s) has no kustomization for stage %s; left out: every app lists every stage", app.Name, app.Image, strings.Join(missing, ", "))
			continue
		}
		var guess bool
		app.Semver, app.Pattern, app.Why, guess = tagPolicy(tags)
		if guess {
			s.notef("%s: tags: %s", app.Name, app.Why)
		}
		p.Apps = append(p.Apps, app)
	}
	sort.Slice(p.Apps, func(i, j int) bool { return p.Apps[i].Name < p.Apps[j].Name })
	p.Notes = s.notes
	return p
}

func stageRank(stage string, order []string) int { return slices.Index(order, stage) }

// sortStages orders stage names: the common ones in stageOrder's order,
// then the rest alphabetically.
func sortStages(names []string) {
	rank := func(s string) int {
		if i := slices.Index(stageOrder, s); i >= 0 {
			return i
		}
		return len(stageOrder)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
}

// modeFor proposes how promotions land: the first stage takes images
// automatically once checks pass, the last waits for someone to promote,
// and the ones between get pull requests a person merges. A lone stage
// gets pull requests.
func modeFor(i, n int) config.Mode {
	switch {
	case n == 1:
		return config.PullRequest
	case i == 0:
		return config.AutoMerge
	case i == n-1:
		return config.Manual
	}
	return config.PullRequest
}

// appNames names each (image, root) pair: the image's last path part, and
// where two apps share an image's last part, the app's folder too.
func appNames(apps [][2]string) []string {
	base := make([]string, len(apps))
	count := map[string]int{}
	for i, a := range apps {
		base[i] = nameFrom(path.Base(a[0]), "app")
		count[base[i]]++
	}
	out := make([]string, len(apps))
	used := map[string]bool{}
	for i, a := range apps {
		name := base[i]
		if count[name] > 1 {
			if folder := rootName(a[1]); folder != "" && folder != name {
				name = nameFrom(folder+"-"+name, name)
			}
		}
		for n, candidate := 2, name; ; n++ {
			if !used[candidate] {
				name = candidate
				break
			}
			candidate = fmt.Sprintf("%s-%d", name, n)
		}
		used[name] = true
		out[i] = name
	}
	return out
}

// rootName is the most telling folder name of an app's root: the last one
// that is not a stage placeholder or an overlays/base folder.
func rootName(root string) string {
	parts := strings.Split(root, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		p := strings.ToLower(parts[i])
		if p == "*" || p == "base" || p == "." || slices.Contains(overlayParents, p) {
			continue
		}
		return p
	}
	return ""
}

func nameFrom(s, fallback string) string {
	if config.ValidName(s) {
		return s
	}
	if n := config.SuggestName(s); n != "" {
		return n
	}
	return fallback
}
