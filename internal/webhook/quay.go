package webhook

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Quay signs nothing (its only built-in option is mTLS), so the credential is
// a token in the URL path. repo_push names the updated tags, no digest and
// no time.
var quay = vendor{
	off:          offWhenEmpty("QuayToken", func(c Config) string { return c.QuayToken }),
	authenticate: tokenInPath("quay", func(c Config) string { return c.QuayToken }),
	mediaTypes:   []string{mediaJSON},
	parse:        parseQuay,
}

type quayPayload struct {
	DockerURL   string          `json:"docker_url"`
	UpdatedTags json.RawMessage `json:"updated_tags"`
}

// parseQuay: every event Quay sends is a JSON object; only repo_push has
// updated_tags. Tags that are not valid are ignored, the others kept.
func parseQuay(_ Config, body []byte) (Result, error) {
	var p quayPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return Result{}, malformed("quay", "body is not a Quay notification: %v", err)
	}
	tags, err := quayTags(p.UpdatedTags)
	if err != nil {
		return Result{}, err
	}
	if len(tags) == 0 {
		return ignored("quay: event has no updated_tags (not a repo_push)")
	}
	if p.DockerURL == "" {
		return ignored("quay: docker_url is missing")
	}
	b := batch{vendor: "quay"}
	for i, tag := range tags {
		b.push(fields{image: "docker_url", tag: fmt.Sprintf("updated_tags[%d]", i)}, p.DockerURL, tag, "", dropBadDigest, time.Time{})
	}
	return b.result(), nil
}

// quayTags reads updated_tags, a list of names; very old Quay sent a map of
// tag → image id instead.
func quayTags(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, malformed("quay", "updated_tags is neither a list nor a map of tags")
	}
	tags := make([]string, 0, len(m))
	for t := range m {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags, nil
}
