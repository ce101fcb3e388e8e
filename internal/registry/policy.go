package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// TagPolicy says which pushed tags may enter an app's first stage, and, for
// semver policies, which of two tags is newer. The zero value accepts nothing.
type TagPolicy struct {
	raw     string
	semver  *semver.Constraints
	pattern *regexp.Regexp
}

// SemverPolicy accepts tags that are full semantic versions (MAJOR.MINOR.PATCH,
// a leading "v" allowed) and satisfy constraint, such as ">=1.0.0" or "~1.4".
// Floating tags such as "1" or "1.2" are not versions here: they move from
// image to image, and a stage must pin one image.
func SemverPolicy(constraint string) (TagPolicy, error) {
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return TagPolicy{}, fmt.Errorf("semver range %q: %w", constraint, err)
	}
	return TagPolicy{raw: "semver " + constraint, semver: c}, nil
}

// PatternPolicy accepts tags that match the regular expression expr in full
// or in part, as regexp.MatchString does; anchor it to match whole tags.
func PatternPolicy(expr string) (TagPolicy, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return TagPolicy{}, fmt.Errorf("pattern %q: %w", expr, err)
	}
	return TagPolicy{raw: "pattern " + expr, pattern: re}, nil
}

// Accepts reports whether tag may enter the first stage.
func (p TagPolicy) Accepts(tag string) bool {
	switch {
	case p.semver != nil:
		v, err := version(tag)
		return err == nil && p.semver.Check(v)
	case p.pattern != nil:
		return p.pattern.MatchString(tag)
	}
	return false
}

// Ordered reports whether the policy orders tags (semver does, patterns do not).
func (p TagPolicy) Ordered() bool { return p.semver != nil }

// Older reports whether candidate is an older version than current, so that a
// semver policy never moves a stage backwards. Without an order, or when
// current is not a version at all, nothing is older.
func (p TagPolicy) Older(candidate, current string) bool {
	if p.semver == nil {
		return false
	}
	c, err1 := version(candidate)
	cur, err2 := version(current)
	if err1 != nil || err2 != nil {
		return false
	}
	return c.LessThan(cur)
}

// String describes the policy for messages: "semver >=1.0.0".
func (p TagPolicy) String() string {
	if p.raw == "" {
		return "no tags"
	}
	return p.raw
}

// version parses a full semantic version, with an optional leading "v".
func version(tag string) (*semver.Version, error) {
	return semver.StrictNewVersion(strings.TrimPrefix(tag, "v"))
}
