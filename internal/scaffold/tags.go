package scaffold

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// shaTag is a tag made of a fixed prefix and a commit hash, as CI builds
// often push (main-1a2b3c4, sha-0123456789ab).
var shaTag = regexp.MustCompile(`^(.*?)([0-9a-f]{7,40})$`)

// tagPolicy proposes which pushed tags an app takes, from the tags its
// stages pin now: a version range from the lowest version when every tag
// is a version; a pattern when every tag is one prefix and a commit hash
// of one length; else a version range, with why it is only a guess.
func tagPolicy(tags []string) (semverRange, pattern, why string, guess bool) {
	if len(tags) == 0 {
		return ">=0.0.0", "", "no stage pins a tag yet; versions assumed, check it", true
	}
	var lowest *semver.Version
	versions := true
	for _, t := range tags {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(t, "v"))
		if err != nil {
			versions = false
			break
		}
		if lowest == nil || v.LessThan(lowest) {
			lowest = v
		}
	}
	if versions {
		return ">=" + lowest.String(), "", "the lowest version a stage pins now", false
	}
	if m := shaTag.FindStringSubmatch(tags[0]); m != nil {
		prefix, n := m[1], len(m[2])
		same := true
		for _, t := range tags[1:] {
			mm := shaTag.FindStringSubmatch(t)
			same = same && mm != nil && mm[1] == prefix && len(mm[2]) == n
		}
		if same {
			return "", fmt.Sprintf("^%s[0-9a-f]{%d}$", regexp.QuoteMeta(prefix), n), "the shape of the tags the stages pin now", false
		}
	}
	return ">=0.0.0", "", fmt.Sprintf("the pinned tags (%s) are not versions; set the pattern your CI's tags follow", strings.Join(unique(tags), ", ")), true
}

func unique(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
