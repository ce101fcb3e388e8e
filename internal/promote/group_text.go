package promote

import (
	"fmt"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
)

// groupProposal is everything the words of a group's PR are made from.
type groupProposal struct {
	group    config.Group
	stage    config.Stage
	next     []config.Stage // none for the last stage
	base     string
	from     string // the stage the images come from; "" for pushes
	apps     []Plan // the apps that move, each with its file, its pin now and its image
	required []string
}

func (g groupProposal) title() string {
	if len(g.apps) > 3 {
		return fmt.Sprintf("Promote %s (%d apps) to %s", g.group.Name, len(g.apps), g.stage.Name)
	}
	parts := make([]string, len(g.apps))
	for i, a := range g.apps {
		parts[i] = a.App.Name + " " + a.Want.Tag
	}
	return fmt.Sprintf("Promote %s (%s) to %s", g.group.Name, strings.Join(parts, ", "), g.stage.Name)
}

func (g groupProposal) count() string {
	if len(g.apps) == 1 {
		return "1 app"
	}
	return fmt.Sprintf("%d apps", len(g.apps))
}

func (g groupProposal) commitMessage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: promote %s to %s\n\n%s\n\n", g.group.Name, g.count(), g.stage.Name, g.source())
	for _, a := range g.apps {
		fmt.Fprintf(&b, "Set %s:%s@%s in %s.\n", a.Want.Image, a.Want.Tag, a.Want.Digest, a.Path)
	}
	return b.String()
}

func (g groupProposal) source() string {
	if g.from == "" {
		return fmt.Sprintf("Pushed to the registry within group %s's window of %s; stagehand resolved each digest from the registry.", g.group.Name, g.group.Window)
	}
	return fmt.Sprintf("Promoted from %s, exactly as %s pins each on %s.", g.from, g.from, g.base)
}

func (g groupProposal) pins() []MemberPin {
	out := make([]MemberPin, len(g.apps))
	for i, a := range g.apps {
		out[i] = MemberPin{App: a.App.Name, Image: a.Want.Image, Tag: a.Want.Tag, Digest: a.Want.Digest, From: a.Want.From, PushedAt: a.Want.PushedAt}
	}
	return out
}

func (g groupProposal) marker() Marker {
	return Marker{Group: g.group.Name, Stage: g.stage.Name, Apps: g.pins()}
}

// body lists every app that moves, a line each: a PR body holds at most
// 65536 characters, and a group at most MaxGroupApps apps.
func (g groupProposal) body() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stagehand proposes group **%s** for **%s**: %s move together, in this one pull request.\n\n", g.group.Name, g.stage.Name, g.count())
	fmt.Fprintf(&b, "| app | now in %s | proposed | digest |\n|---|---|---|---|\n", g.stage.Name)
	var reformatted []string
	for _, a := range g.apps {
		fromTag, _ := pinnedString(a.From)
		fmt.Fprintf(&b, "| %s | `%s` | `%s` | `%s` |\n", a.App.Name, fromTag, a.Want.Tag, a.Want.Digest)
		if a.Reformatted {
			reformatted = append(reformatted, "`"+a.Path+"`")
		}
	}
	fmt.Fprintf(&b, "\n- **Source:** %s\n", g.source())
	fmt.Fprintf(&b, "- **Files:** each app's file for %s, all in one commit.\n", g.stage.Name)
	if len(reformatted) > 0 {
		fmt.Fprintf(&b, "- **Note:** kyaml could not keep the formatting of %s exactly; please review the whole diff.\n", strings.Join(reformatted, ", "))
	}
	fmt.Fprintf(&b, "\n**What happens next:** %s\n", whatNext(g.stage, g.next, g.base, g.required,
		"these "+g.count(), "these same images (same digests) for %s, again as one pull request"))
	fmt.Fprintf(&b, "\n%s\n", g.marker())
	return b.String()
}

// sameGroupPR says whether pr is the group's PR into stage and proposes
// exactly pins.
func sameGroupPR(pr *githubapp.PullRequest, group, stage string, pins []MemberPin) bool {
	m, ok, err := ParseMarker(pr.Body)
	if err != nil || !ok || m.Group != group || m.Stage != stage || len(m.Apps) != len(pins) {
		return false
	}
	for i, p := range pins {
		if q := m.Apps[i]; q.App != p.App || q.Tag != p.Tag || q.Digest != p.Digest {
			return false
		}
	}
	return true
}

// groupManualNote tells, on a group's merged PR whose next stage is
// manual, how to promote the group there.
func groupManualNote(p Plan) string {
	var moved []string
	for _, m := range p.Members {
		if m.Want.Tag != "" {
			moved = append(moved, fmt.Sprintf("%s `%s`", m.App.Name, m.Want.Tag))
		}
	}
	if len(moved) > 10 {
		moved = append(moved[:10], fmt.Sprintf("and %d more", len(moved)-10))
	}
	return fmt.Sprintf("Group %s is now in %s (%s). %s.", p.Group.Name, p.Request.From, strings.Join(moved, ", "), p.Reason)
}
