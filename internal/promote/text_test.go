package promote

import (
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// A PR body links the promotion of its image to the next stage, says the
// link works only after the merge, and keeps the marker readable; it has no
// link for the last stage, into a stage the merge moves the image to
// anyway, into a stage with approvers, or without a link maker.
func TestBodyLinksTheNextStage(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	type call struct{ app, from, to, digest string }
	preprod := config.Stage{Name: "preprod", Mode: config.PullRequest}
	prod := config.Stage{Name: "prod", Mode: config.Manual}
	guarded := config.Stage{Name: "prod", Mode: config.Manual, Approvers: []string{"@acme/sre"}}
	tests := []struct {
		name     string
		stage    config.Stage
		next     *config.Stage
		noMaker  bool
		signIn   bool
		wantLink string // "" means no link line and no call
		wantCall call
	}{
		{"staging links nothing: its merge proposes preprod", config.Stage{Name: "staging", Mode: config.AutoMerge}, &preprod, false, false, "", call{}},
		{"preprod links manual prod", preprod, &prod, false, false,
			"**Promote to prod after merging:** https://sh.example/promote/web-preprod-prod", call{"web", "preprod", "prod", digest}},
		{"the last stage links nothing", prod, nil, false, false, "", call{}},
		{"a stage with approvers gets no link", preprod, &guarded, false, false, "", call{}},
		{"with sign-in a stage with approvers gets a link", preprod, &guarded, false, true,
			"**Promote to prod after merging:** https://sh.example/promote/web-preprod-prod", call{"web", "preprod", "prod", digest}},
		{"no link maker", preprod, &prod, true, false, "", call{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []call
			links := func(app, from, to, digest string) string {
				got = append(got, call{app, from, to, digest})
				return "https://sh.example/promote/" + app + "-" + from + "-" + to
			}
			if tt.noMaker {
				links = nil
			}
			p := proposal{app: config.App{Name: "web", Image: "ghcr.io/acme/web"}, stage: tt.stage, next: tt.next, base: "main",
				path: "apps/web/" + tt.stage.Name + "/kustomization.yaml", want: Want{Image: "ghcr.io/acme/web", Tag: "1.2.3", Digest: digest, From: "x"}}
			p.link = p.nextLink(links, tt.signIn)
			body := p.body()
			if tt.wantLink == "" {
				if len(got) != 0 || strings.Contains(body, "/promote/") || strings.Contains(body, "after merging") {
					t.Errorf("links made %v; body:\n%s", got, body)
				}
			} else {
				if len(got) != 1 || got[0] != tt.wantCall {
					t.Errorf("links called %v, want once with %v", got, tt.wantCall)
				}
				if !strings.Contains(body, tt.wantLink+"\n") || !strings.Contains(body, "works only once this PR is merged") {
					t.Errorf("body lacks %q and when it works:\n%s", tt.wantLink, body)
				}
			}
			m, ok, err := ParseMarker(body)
			if err != nil || !ok || m.Digest != digest || m.Stage != tt.stage.Name {
				t.Errorf("marker %+v, %v, %v after the link", m, ok, err)
			}
		})
	}
}
