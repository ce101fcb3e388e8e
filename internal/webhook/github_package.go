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
	if !isContainerPackage(p) {
		ev.Ignored = "ghcr: " + quote(p.PackageType) + " packages are not container images"
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

// isContainerPackage: GitHub sends package_type "CONTAINER" (older: "docker");
// its own example says ecosystem "docker" with package_type "npm".
func isContainerPackage(p *ghcrPackage) bool {
	for _, s := range []string{p.PackageType, p.Ecosystem} {
		switch strings.ToLower(s) {
		case "container", "docker":
			return true
		}
	}
	return false
}
