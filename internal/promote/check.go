package promote

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// Finding is one result of checking a config repository checkout.
type Finding struct {
	Problem bool   // true: stagehand would refuse; false: a note
	Msg     string // "file:line: what" where a file is concerned
}

// CheckRepo checks a config repository checkout the way the engine reads
// it: the config parses, and every app's kustomization exists in every stage
// and can be read. It returns the parsed config when it parses.
func CheckRepo(repo fs.FS) (*config.Config, []Finding) {
	data, err := fs.ReadFile(repo, config.FileName)
	if err != nil {
		return nil, []Finding{{Problem: true, Msg: fmt.Sprintf("%s: cannot read: %v", config.FileName, unwrapPath(err))}}
	}
	cfg, err := config.Parse(config.FileName, data)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			var out []Finding
			for _, p := range ce.Problems {
				out = append(out, Finding{Problem: true, Msg: p.String()})
			}
			return nil, out
		}
		return nil, []Finding{{Problem: true, Msg: err.Error()}}
	}
	var out []Finding
	for _, app := range cfg.Apps {
		for _, st := range cfg.Stages {
			t := app.Target(st.Name)
			path, what := t.File, "the kustomization"
			if !t.IsKustomization() {
				what = "the file"
			}
			data, err := fs.ReadFile(repo, path)
			if err != nil {
				out = append(out, Finding{Problem: true, Msg: fmt.Sprintf("%s: %s's %s stage: cannot read %s: %v", path, app.Name, st.Name, what, unwrapPath(err))})
				continue
			}
			pinned, err := t.Current(data, app.Image)
			switch {
			case err != nil:
				out = append(out, Finding{Problem: true, Msg: err.Error()})
			case !pinned.Found && !t.IsKustomization():
				out = append(out, Finding{Msg: fmt.Sprintf("%s: %s pins nothing yet; stagehand writes it on the first promotion", path, t)})
			case !pinned.Found:
				out = append(out, Finding{Msg: fmt.Sprintf("%s: no images: entry for %s yet; stagehand adds one on the first promotion", path, app.Image)})
			case pinned.Digest == "":
				out = append(out, Finding{Msg: fmt.Sprintf("%s: %s is pinned by tag %s only; it cannot be promoted onward until stagehand pins a digest", path, app.Image, pinned.Tag)})
			}
		}
	}
	return cfg, out
}

// unwrapPath drops the *fs.PathError wrapper, whose path the message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
