package promote

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/registry"
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
	eu := config.Stage{Name: "prod-eu", Mode: config.Manual}
	us := config.Stage{Name: "prod-us", Mode: config.Manual}
	tests := []struct {
		name      string
		stage     config.Stage
		next      []config.Stage
		noMaker   bool
		signIn    bool
		wantLinks []string // none means no link line and no call
		wantCalls []call
	}{
		{"staging links nothing: its merge proposes preprod", config.Stage{Name: "staging", Mode: config.AutoMerge}, []config.Stage{preprod}, false, false, nil, nil},
		{"preprod links manual prod", preprod, []config.Stage{prod}, false, false,
			[]string{"**Promote to prod after merging:** https://sh.example/promote/web-preprod-prod"}, []call{{"web", "preprod", "prod", digest}}},
		{"the last stage links nothing", prod, nil, false, false, nil, nil},
		{"a stage with approvers gets no link", preprod, []config.Stage{guarded}, false, false, nil, nil},
		{"with sign-in a stage with approvers gets a link", preprod, []config.Stage{guarded}, false, true,
			[]string{"**Promote to prod after merging:** https://sh.example/promote/web-preprod-prod"}, []call{{"web", "preprod", "prod", digest}}},
		{"no link maker", preprod, []config.Stage{prod}, true, false, nil, nil},
		{"one link per manual stage after it", preprod, []config.Stage{eu, us, {Name: "dr", Mode: config.AutoMerge}}, false, false,
			[]string{"**Promote to prod-eu after merging:** https://sh.example/promote/web-preprod-prod-eu", "**Promote to prod-us after merging:** https://sh.example/promote/web-preprod-prod-us"},
			[]call{{"web", "preprod", "prod-eu", digest}, {"web", "preprod", "prod-us", digest}}},
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
			p.links = p.nextLinks(links, tt.signIn)
			body := p.body()
			if len(tt.wantLinks) == 0 {
				if len(got) != 0 || strings.Contains(body, "/promote/") || strings.Contains(body, "after merging") {
					t.Errorf("links made %v; body:\n%s", got, body)
				}
			} else {
				if !slices.Equal(got, tt.wantCalls) {
					t.Errorf("links called %v, want %v", got, tt.wantCalls)
				}
				for _, l := range tt.wantLinks {
					if !strings.Contains(body, l+"\n") {
						t.Errorf("body lacks %q:\n%s", l, body)
					}
				}
				if strings.Count(body, "works only once this PR is merged") != 1 {
					t.Errorf("body does not say once when the links work:\n%s", body)
				}
			}
			m, ok, err := ParseMarker(body)
			if err != nil || !ok || m.Digest != digest || m.Stage != tt.stage.Name {
				t.Errorf("marker %+v, %v, %v after the link", m, ok, err)
			}
		})
	}
}

// A PR body says what ships when the images say where they were built:
// the source and revision, and between two revisions of one GitHub
// repository the compare link and the commits (bounded, made harmless);
// the link alone when the commits could not be read; nothing without
// annotations.
func TestBodyShips(t *testing.T) {
	const (
		r1 = "1111111111111111111111111111111111111111"
		r2 = "2222222222222222222222222222222222222222"
	)
	src := "https://github.com/acme/web"
	var many []githubapp.Commit
	for i := range maxShipCommits {
		many = append(many, githubapp.Commit{SHA: fmt.Sprintf("%02x%038d", i+1, 0), Message: fmt.Sprintf("change %d", i+1)})
	}
	tests := []struct {
		name string
		s    ships
		want string // the body's lines between File and What happens next
	}{
		{"no annotations", ships{}, ""},
		{"source only", ships{to: registry.Origin{Source: "https://gitlab.com/acme/web"}}, "- **Built from:** https://gitlab.com/acme/web\n"},
		{"first image with a revision", ships{to: registry.Origin{Source: src, Revision: r2}}, "- **Built from:** https://github.com/acme/web at `" + r2 + "`\n"},
		{"link only", ships{to: registry.Origin{Source: src, Revision: r2}, from: registry.Origin{Source: src + ".git", Revision: r1}, owner: "acme", repo: "web",
			compare: src + "/compare/" + r1 + "..." + r2},
			"- **Built from:** https://github.com/acme/web at `" + r2 + "` (now `" + r1 + "` from https://github.com/acme/web.git)\n\n" +
				"**What ships:** the changes in acme/web [1111111...2222222](https://github.com/acme/web/compare/" + r1 + "..." + r2 + ").\n"},
		{"commits", ships{to: registry.Origin{Source: src, Revision: "v1.2.0"}, from: registry.Origin{Source: src, Revision: "v1.1.0"}, owner: "acme", repo: "web",
			compare: src + "/compare/v1.1.0...v1.2.0", read: true, total: 2, commits: []githubapp.Commit{
				{SHA: r1, Message: "Fix #12 for @alice <b>now</b>"}, {SHA: r2, Message: "Bump"}}},
			"- **Built from:** https://github.com/acme/web at `v1.2.0` (now `v1.1.0`)\n\n" +
				"**What ships:** 2 commits of acme/web, [v1.1.0...v1.2.0](https://github.com/acme/web/compare/v1.1.0...v1.2.0):\n\n" +
				"- [`1111111`](https://github.com/acme/web/commit/" + r1 + ") Fix #\u200b12 for @\u200balice &lt;b&gt;now&lt;/b&gt;\n" +
				"- [`2222222`](https://github.com/acme/web/commit/" + r2 + ") Bump\n"},
		{"and more", ships{to: registry.Origin{Source: src, Revision: r2}, from: registry.Origin{Source: src, Revision: r1}, owner: "acme", repo: "web",
			compare: "https://github.com/acme/web/compare/x", read: true, total: 57, commits: many}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := proposal{app: config.App{Name: "web", Image: "ghcr.io/acme/web"}, stage: config.Stage{Name: "prod", Mode: config.Manual}, base: "main",
				path: "apps/web/prod/kustomization.yaml", from: manifest.Pinned{Found: true, Tag: "1.1.0", Digest: d1},
				want: Want{Image: "ghcr.io/acme/web", Tag: "1.2.0", Digest: d2, From: "preprod"}, ships: tt.s}
			body := p.body()
			_, after, _ := strings.Cut(body, "- **File:** `apps/web/prod/kustomization.yaml`\n")
			got, _, _ := strings.Cut(after, "\n**What happens next:**")
			if tt.name == "and more" {
				if !strings.Contains(got, "**What ships:** 57 commits of acme/web") || strings.Count(got, "\n- [`") != maxShipCommits || !strings.HasSuffix(got, "- [`1400000`](https://github.com/acme/web/commit/"+many[19].SHA+") change 20\n- and 37 more\n") {
					t.Fatalf("body:\n%s", got)
				}
				return
			}
			if want := tt.want; got != want && got != want+"\n" {
				t.Fatalf("body between File and What happens next:\n%q\nwant\n%q", got, want)
			}
			if m, ok, err := ParseMarker(body); err != nil || !ok || m.Digest != d2 {
				t.Fatalf("marker %+v %v %v", m, ok, err)
			}
		})
	}
}
