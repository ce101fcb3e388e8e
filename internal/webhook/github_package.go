package webhook

import (
	"encoding/json"
	"strings"
)

// ghcrPackage is the part of a package / registry_package delivery a push
// needs. Hand-written on purpose: go-github v60 has no RegistryPackageEvent,
// its Package lacks namespace, ecosystem and container_metadata, and its
// PackageVersion.Body is a string while GitHub sends an object for
// containers, so github.ParseWebHook fails on GitHub's own example.
type ghcrPackage struct {
	Name        string `json:"name"`
	Ecosystem   string `json:"ecosystem"`
	PackageType string `json:"package_type"`
	Owner       *struct {
		Login string `json:"login"`
	} `json:"owner"`
	PackageVersion *struct {
		Version           string `json:"version"`
		Name              string `json:"name"`
		CreatedAt         stamp  `json:"created_at"`
		UpdatedAt         stamp  `json:"updated_at"`
		ContainerMetadata *struct {
			Tag *struct {
				Name string `json:"name"`
			} `json:"tag"`
		} `json:"container_metadata"`
	} `json:"package_version"`
}

// onPackage maps a published container version to a Push of
// ghcr.io/<owner>/<package name> (both lower-cased: GHCR names are lower
// case, GitHub logins are not). The digest is package_version.version (or
// .name) when that is a real sha256 digest; container_metadata.tag.digest is
// not used, GitHub's own example has a 40-hex value there.
func onPackage(ev *GitHubEvent, body []byte) error {
	if ev.Action != "published" {
		notUsed(ev)
		return nil
	}
	var e struct {
		Package         *ghcrPackage `json:"package"`
		RegistryPackage *ghcrPackage `json:"registry_package"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return malformed("github", "%s: %v", ev.Event, err)
	}
	p := e.Package
	if ev.Event == "registry_package" {
		p = e.RegistryPackage
	}
	if p == nil {
		return malformed("github", "%s without %s", ev.Event, ev.Event)
	}
	if kind, ok := containerPackage(p); !ok {
		ev.Ignored = "ghcr: " + quote(kind) + " packages are not container images"
		return nil
	}
	v := p.PackageVersion
	if v == nil || v.ContainerMetadata == nil || v.ContainerMetadata.Tag == nil || v.ContainerMetadata.Tag.Name == "" {
		ev.Ignored = "ghcr: untagged container version"
		return nil
	}
	if p.Owner == nil || p.Owner.Login == "" || p.Name == "" {
		ev.Ignored = "ghcr: package.owner.login or package.name is missing"
		return nil
	}
	digest := v.Version
	if !validDigest(digest) {
		digest = v.Name
	}
	image := "ghcr.io/" + strings.ToLower(p.Owner.Login) + "/" + strings.ToLower(p.Name)
	push, why := newPush("ghcr", fields{image: "package.owner.login + package.name", tag: "package_version.container_metadata.tag.name", digest: "package_version.version"},
		image, v.ContainerMetadata.Tag.Name, digest, dropBadDigest)
	if why != "" {
		ev.Ignored = "ghcr: " + why
		return nil
	}
	// A version is updated when another tag is pushed for the same digest:
	// updated_at is that push. Octokit's example has 0001-01-01 in both,
	// which is the zero time.
	push.PushedAt = v.UpdatedAt.Time
	if push.PushedAt.IsZero() {
		push.PushedAt = v.CreatedAt.Time
	}
	ev.Push = &push
	return nil
}

// containerPackage says whether p is a container image, and its kind.
// package_type decides: it is the field GitHub's webhook schema enumerates
// (npm, maven, rubygems, docker, nuget, CONTAINER; "docker" is the old
// docker.pkg.github.com registry, since moved to ghcr.io), while ecosystem
// is free text. Octokit's example says ecosystem "docker" with package_type
// "npm" for a package named hello-world-npm: trusting the ecosystem made
// an npm package look like an untagged container. Only when package_type is
// absent does the ecosystem decide.
func containerPackage(p *ghcrPackage) (kind string, ok bool) {
	kind = p.PackageType
	if kind == "" {
		kind = p.Ecosystem
	}
	switch strings.ToLower(kind) {
	case "container", "docker":
		return kind, true
	}
	return kind, false
}
