package promote

import (
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

const d3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333"

// Commits of a stage file's history, newest first in rbHistory.
const (
	c5 = "5555555aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // pins 1.1.0@d2, what the stage runs
	c4 = "4444444aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // pins 1.1.0@d2 too (a comment edited)
	c3 = "3333333aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // pins 1.0.0@d1
	c2 = "2222222aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // the file had no images: entry
	c1 = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // pins 0.9.0 by tag only
)

func rbPin(tag, digest string) manifest.Pinned {
	return manifest.Pinned{Found: true, Name: "ghcr.io/acme/web", Tag: tag, Digest: digest}
}

func rbPoint(sha string, pin manifest.Pinned) restorePoint {
	p := restorePoint{Commit: githubapp.Commit{SHA: sha, Message: "change " + sha[:7]}, Pin: pin}
	if !pin.Found {
		p.Problem = "the file had no images: entry for ghcr.io/acme/web"
	}
	return p
}

// rbHistory is a history with every file read.
func rbHistory(points ...restorePoint) rollbackHistory {
	h := rollbackHistory{App: "web", Stage: "prod", Image: "ghcr.io/acme/web", Path: "apps/web/overlays/prod/kustomization.yaml", Base: "main", Limit: RollbackDepth, Points: points}
	for _, p := range points {
		h.Commits = append(h.Commits, p.Commit)
	}
	return h
}

func TestDecideRestore(t *testing.T) {
	full := rbHistory(rbPoint(c5, rbPin("1.1.0", d2)), rbPoint(c4, rbPin("1.1.0", d2)), rbPoint(c3, rbPin("1.0.0", d1)),
		rbPoint(c2, manifest.Pinned{}), rbPoint(c1, rbPin("0.9.0", "")))
	now := rbPin("1.1.0", d2)
	tests := []struct {
		name    string
		h       rollbackHistory
		current manifest.Pinned
		target  string
		want    string   // the commit restored; "" for a refusal
		refusal []string // what the refusal must say
	}{
		{"default: the newest other digest", full, now, "", c3, nil},
		{"a digest", full, now, d1, c3, nil},
		{"a tag", full, now, "1.0.0", c3, nil},
		{"an abbreviated commit", full, now, c3[:7], c3, nil},
		{"a full commit", full, now, c3, c3, nil},
		{"the current digest is found; the engine says it is already there", full, now, d2, c5, nil},
		{"a commit pinning by tag only", full, now, c1[:9], "", []string{"commit 1111111", "by tag 0.9.0 only, with no digest", "1.0.0 (sha256:111111111111, commit 3333333)"}},
		{"a tag pinned without digest", full, now, "0.9.0", "", []string{"by tag 0.9.0 only, with no digest"}},
		{"a commit that pinned nothing", full, now, c2[:7], "", []string{"commit 2222222 pinned nothing to restore in prod: the file had no images: entry"}},
		{"a tag never in the stage", full, now, "2.0.0", "", []string{"web never ran a tag 2.0.0 in prod", "all 5 commits that changed apps/web/overlays/prod/kustomization.yaml on main", "1.1.0 (sha256:222222222222, commit 5555555), 1.0.0 (sha256:111111111111, commit 3333333), 0.9.0 (none pinned, commit 1111111)"}},
		{"a digest never in the stage", full, now, d3, "", []string{"web never ran " + d3 + " in prod"}},
		{"hex that is neither commit nor tag", full, now, "abcdef0", "", []string{"abcdef0 is neither a commit nor a tag in all 5 commits"}},
		{"hex that is a tag (a build number)", rbHistory(rbPoint(c5, rbPin("20240612", d2)), rbPoint(c3, rbPin("20240611", d1))), rbPin("20240612", d2), "20240611", c3, nil},
		{"an ambiguous commit prefix", rbHistory(rbPoint(c5, now), rbPoint("5555555bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", rbPin("1.0.0", d1))), now, "5555555", "", []string{"5555555 matches 2 commits", "give more of the SHA"}},
		{"default skips commits that pinned nothing", rbHistory(rbPoint(c5, now), rbPoint(c2, manifest.Pinned{}), rbPoint(c1, rbPin("1.0.0", d1))), now, "", c1, nil},
		{"default lands on a pin without digest", rbHistory(rbPoint(c3, rbPin("1.0.0", d1)), rbPoint(c1, rbPin("0.9.0", ""))), rbPin("1.0.0", d1), "", "", []string{"commit 1111111 pinned ghcr.io/acme/web in prod by tag 0.9.0 only"}},
		{"nothing earlier", rbHistory(rbPoint(c5, now), rbPoint(c4, now)), now, "", "", []string{"web has run nothing but what it runs now (1.1.0, " + d2 + ") in prod", "nothing earlier to roll back to"}},
		{"only the seed, pinned by tag", rbHistory(rbPoint(c1, rbPin("0.9.0", ""))), rbPin("0.9.0", ""), "", "", []string{"(0.9.0, none pinned)", "the one commit that changed"}},
		{"no history", rbHistory(), now, "", "", []string{"apps/web/overlays/prod/kustomization.yaml has no history on main"}},
	}
	for _, tt := range tests {
		p, v, more := decideRestore(tt.h, tt.current, tt.target)
		if more {
			t.Errorf("%s: asks for more with every file read", tt.name)
			continue
		}
		if tt.want != "" {
			if !v.ok || p.Commit.SHA != tt.want {
				t.Errorf("%s: restores %q (%s), want %s", tt.name, p.Commit.SHA, v, tt.want)
			}
			continue
		}
		if v.ok {
			t.Errorf("%s: restores %s, want a refusal", tt.name, p.Commit.SHA)
			continue
		}
		for _, s := range tt.refusal {
			if !strings.Contains(v.reason, s) {
				t.Errorf("%s: refusal %q lacks %q", tt.name, v.reason, s)
			}
		}
	}
}

// The walk reads a commit's file only when the decision needs it, newest
// first, and never past the point it settles on.
func TestDecideRestoreReadsOnlyWhatItNeeds(t *testing.T) {
	full := rbHistory(rbPoint(c5, rbPin("1.1.0", d2)), rbPoint(c4, rbPin("1.1.0", d2)), rbPoint(c3, rbPin("1.0.0", d1)),
		rbPoint(c2, manifest.Pinned{}), rbPoint(c1, rbPin("0.9.0", "")))
	tests := []struct {
		target string
		reads  int
	}{{"", 3}, {d1, 3}, {d2, 1}, {"1.1.0", 1}, {c4[:7], 2}, {c1, 5}, {"2.0.0", 5}, {"abcdef0", 5}}
	for _, tt := range tests {
		h := full
		h.Points = nil
		for {
			_, _, more := decideRestore(h, rbPin("1.1.0", d2), tt.target)
			if !more {
				break
			}
			if len(h.Points) == len(full.Points) {
				t.Fatalf("target %q: asks for more than the history has", tt.target)
			}
			h.Points = full.Points[:len(h.Points)+1]
		}
		if len(h.Points) != tt.reads {
			t.Errorf("target %q: read %d files, want %d", tt.target, len(h.Points), tt.reads)
		}
	}
}

func TestRollbackScope(t *testing.T) {
	h := rbHistory()
	for i := range RollbackDepth {
		h.Commits = append(h.Commits, githubapp.Commit{SHA: strings.Repeat(string(rune('a'+i%6)), 40)})
	}
	if got := h.scope(); got != "the last 30 commits that changed apps/web/overlays/prod/kustomization.yaml on main" {
		t.Errorf("a walk cut at its limit says %q", got)
	}
}

func TestRollbackWords(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	r := rollback{
		app:   config.App{Name: "web"},
		stage: config.Stage{Name: "staging", Mode: config.AutoMerge},
		next:  []config.Stage{{Name: "preprod", Mode: config.PullRequest}},
		base:  "main", path: "apps/web/overlays/staging/kustomization.yaml",
		from:  rbPin("1.1.0", d2),
		want:  Want{Image: "ghcr.io/acme/web", Tag: "1.0.0", Digest: d1},
		point: restorePoint{Commit: githubapp.Commit{SHA: c3, Message: "web: promote 1.0.0 to staging\n\nmore", Date: at}, Pin: rbPin("1.0.0", d1)},
		hold:  &gate.Hold{By: "ann", Rollback: true},
	}
	if got := r.title(); got != "Roll back web in staging to 1.0.0" {
		t.Errorf("title %q", got)
	}
	body := r.body()
	for _, s := range []string{
		"| now in staging | `1.1.0` | `" + d2 + "` |",
		"| restored | `1.0.0` | `" + d1 + "` |",
		"what commit " + c3 + " pinned in staging (“web: promote 1.0.0 to staging”, 2026-03-04 05:06 UTC)",
		"every other stage keeps what it runs",
		"staging is held by @ann", "`/release web staging`",
		"leaves merging this PR to a person, although staging is an auto-merge stage",
		"nothing moves on from it to preprod",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q:\n%s", s, body)
		}
	}
	m, ok, err := ParseMarker(body)
	if err != nil || !ok || !m.Rollback || m.Digest != d1 || m.Tag != "1.0.0" || m.Stage != "staging" || m.From != "" {
		t.Errorf("marker %+v (%v, %v)", m, ok, err)
	}
	if msg := r.commitMessage(); !strings.HasPrefix(msg, "web: roll back staging to 1.0.0 (sha256:111111111111)") || !strings.Contains(msg, c3) {
		t.Errorf("commit message %q", msg)
	}

	r.hold, r.next, r.stage.Mode = nil, nil, config.Manual
	body = r.body()
	for _, s := range []string{"comment `/hold web staging` to stop that", "staging is the last stage"} {
		if !strings.Contains(body, s) {
			t.Errorf("unheld body lacks %q:\n%s", s, body)
		}
	}
	if strings.Contains(body, "auto-merge") {
		t.Errorf("a manual stage's rollback speaks of auto-merge:\n%s", body)
	}
}
