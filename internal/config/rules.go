package config

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

// nameRE is the shape of app and stage names: they become branch names
// (stagehand/<app>/<stage>) and labels, so they stay lower-case and plain.
var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// checkName returns why s cannot be an app or stage name, "" if it can.
func checkName(s string) string {
	if nameRE.MatchString(s) {
		return ""
	}
	msg := fmt.Sprintf("%q is not a valid name; use lower-case letters, digits and inner dashes (it becomes part of the branch stagehand/<app>/<stage>)", s)
	if fix := SuggestName(s); fix != "" {
		msg += fmt.Sprintf("; try %q", fix)
	}
	return msg
}

// ValidName reports whether s can name an app or a stage.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// SuggestName lower-cases s and turns every other character into a dash;
// "" if that still is not a name.
func SuggestName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	fix := strings.Trim(b.String(), "-")
	for strings.Contains(fix, "--") {
		fix = strings.ReplaceAll(fix, "--", "-")
	}
	if !nameRE.MatchString(fix) {
		return ""
	}
	return fix
}

// checkMode returns why s is not a mode, "" if it is.
func checkMode(s string) string {
	switch Mode(s) {
	case AutoMerge, PullRequest, Manual:
		return ""
	}
	return fmt.Sprintf("%q is not a mode; use auto-merge, pull-request or manual", s)
}

// parseSoak reads a soak time: a Go duration above zero.
func parseSoak(s string) (time.Duration, string) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Sprintf("%q is not a duration; write a number with a unit, such as 30m, 2h or 1h30m", s)
	}
	if d <= 0 {
		return 0, fmt.Sprintf("%q must be longer than zero; leave soak out for no wait", s)
	}
	return d, ""
}

// checkApprover returns why s is neither a GitHub login nor an @org/team
// slug, "" if it is one of them.
func checkApprover(s string) string {
	if org, team, ok := strings.Cut(s, "/"); ok {
		if strings.HasPrefix(org, "@") && isLogin(org[1:]) && isTeamSlug(team) {
			return ""
		}
		return fmt.Sprintf("%q is not a team; write a team as @org/team-slug", s)
	}
	if strings.HasPrefix(s, "@") && isLogin(s[1:]) {
		return fmt.Sprintf("%q: write a login without the @ (%s); only teams take it (@org/team)", s, s[1:])
	}
	if !isLogin(s) {
		return fmt.Sprintf("%q is not a GitHub login; logins are letters, digits and single inner dashes, at most 39 long", s)
	}
	return ""
}

// isLogin reports whether s has the shape GitHub allows for user and
// organisation names.
func isLogin(s string) bool {
	if len(s) == 0 || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// isTeamSlug reports whether s has the shape of a team slug: GitHub derives
// slugs from team names as lower-case letters, digits, "-" and "_".
func isTeamSlug(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// checkImage returns why s does not name an image repository, "" if it does.
func checkImage(s string) string {
	if strings.Contains(s, "@") || strings.LastIndex(s, ":") > strings.LastIndex(s, "/") {
		return fmt.Sprintf("%q: image names a repository; tags come from the registry (write %q)", s, registry.TrimReference(s))
	}
	if _, err := name.NewRepository(s); err != nil {
		return fmt.Sprintf("%q is not an image repository: %v", s, err)
	}
	// go-containerregistry lets empty path components through ("/",
	// "acme/"); no registry serves such a repository.
	if slices.Contains(strings.Split(s, "/"), "") {
		return fmt.Sprintf("%q is not an image repository: a part between slashes is empty", s)
	}
	return ""
}

// kustomizationPath turns a folder or file written in the config into the
// kustomization file it means, relative to the repo root. A folder gets
// "kustomization.yaml"; a name ending in .yaml or .yml, or exactly
// "Kustomization", is the file itself.
func kustomizationPath(p string) (string, string) {
	switch {
	case strings.HasPrefix(p, "/"):
		fix := strings.TrimLeft(path.Clean(p), "/")
		if fix == "" {
			fix = "."
		}
		return "", fmt.Sprintf("%q: paths are relative to the repo root; write %q", p, fix)
	case strings.Contains(p, `\`):
		return "", fmt.Sprintf("%q: separate folders with /", p)
	}
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Sprintf("%q leaves the repository; paths are relative to the repo root", p)
	}
	base := path.Base(p)
	if strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml") || base == "Kustomization" {
		return p, ""
	}
	return path.Join(p, "kustomization.yaml"), ""
}
