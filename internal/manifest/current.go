package manifest

import "github.com/stagehand-dev/stagehand/internal/registry"

// Current returns the tag and digest the kustomization pins for image name
// (matched with registry.SameRepository, so "nginx" is
// "docker.io/library/nginx"). Found is false when no images: entry matches.
// If several entries match, the first one is reported.
func Current(file string, data []byte, name string) (Pinned, error) {
	_, top, err := parse(file, data)
	if err != nil {
		return Pinned{}, err
	}
	_, _, entries, err := images(file, top)
	if err != nil {
		return Pinned{}, err
	}
	for _, e := range entries {
		if e.name != nil && registry.SameRepository(e.name.Value, name) {
			return Pinned{
				Found:   true,
				Name:    e.name.Value,
				NewName: value(e.newName),
				Tag:     value(e.newTag),
				Digest:  value(e.digest),
			}, nil
		}
	}
	return Pinned{}, nil
}
