package fleet

import (
	"fmt"
	"path"
	"strings"
)

// Allow is the allow-list of repositories to serve (STAGEHAND_CONFIG_REPO):
// owner/name entries, where a name of * takes every repository of the
// owner. Empty allows every repository.
type Allow []string

// ParseAllow reads a comma-separated allow-list, refusing entries that are
// not owner/name or owner/*.
func ParseAllow(s string) (Allow, error) {
	var out Allow
	var bad []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		owner, name, ok := strings.Cut(e, "/")
		if !ok || owner == "" || name == "" || strings.ContainsAny(owner, "*/ ") || strings.ContainsAny(name, "/ ") ||
			(strings.Contains(name, "*") && name != "*") {
			bad = append(bad, fmt.Sprintf("%q", e))
			continue
		}
		out = append(out, e)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("STAGEHAND_CONFIG_REPO: %s: want owner/name or owner/*, separated by commas", strings.Join(bad, ", "))
	}
	return out, nil
}

// Single is the one repository the list names, when it names exactly one
// without a wildcard: stagehand then serves it as it always has.
func (a Allow) Single() (string, bool) {
	if len(a) == 1 && !strings.HasSuffix(a[0], "/*") {
		return a[0], true
	}
	return "", false
}

// Allows reports whether repo (owner/name) is on the list.
func (a Allow) Allows(repo string) bool {
	if len(a) == 0 {
		return true
	}
	repo = strings.ToLower(repo)
	for _, e := range a {
		if ok, _ := path.Match(strings.ToLower(e), repo); ok {
			return true
		}
	}
	return false
}
