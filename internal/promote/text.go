package promote

import (
	"fmt"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// proposal is everything the words of a PR are made from.
type proposal struct {
	app      config.App
	stage    config.Stage
	next     []config.Stage // none for the last stage
	base     string
	path     string
	from     manifest.Pinned
	want     Want
	required []string // the base branch's required checks, for auto-merge stages
	reformat bool
	links    []stageLink // one-click promotions of this image to the stages next; none for none
	ships    ships       // what the image was built from, and what changed
}

func (p proposal) title() string {
	return fmt.Sprintf("Promote %s %s to %s", p.app.Name, p.want.Tag, p.stage.Name)
}

func (p proposal) commitMessage() string {
	return fmt.Sprintf("%s: promote %s (%s) to %s\n\n%s\nSet %s in %s.\n",
		p.app.Name, p.want.Tag, short(p.want.Digest), p.stage.Name,
		p.source(), p.want.Image+":"+p.want.Tag+"@"+p.want.Digest, p.path)
}

func (p proposal) source() string {
	if p.want.From == "" {
		return fmt.Sprintf("Pushed to the registry as %s:%s; stagehand resolved the digest from the registry.", p.want.Image, p.want.Tag)
	}
	return fmt.Sprintf("Promoted from %s, exactly as %s pins it on %s.", p.want.From, p.want.From, p.base)
}

func (p proposal) marker() Marker {
	return Marker{App: p.app.Name, Stage: p.stage.Name, Image: p.want.Image, Tag: p.want.Tag, Digest: p.want.Digest, From: p.want.From, PushedAt: p.want.PushedAt}
}

func (p proposal) body() string {
	var b strings.Builder
	fromTag, fromDigest := pinnedString(p.from)
	fmt.Fprintf(&b, "stagehand proposes **%s** `%s` for **%s**.\n\n", p.app.Name, p.want.Tag, p.stage.Name)
	fmt.Fprintf(&b, "| | tag | digest |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| now in %s | `%s` | `%s` |\n", p.stage.Name, fromTag, fromDigest)
	fmt.Fprintf(&b, "| proposed | `%s` | `%s` |\n\n", p.want.Tag, p.want.Digest)
	fmt.Fprintf(&b, "- **Image:** `%s`\n", p.want.Image)
	fmt.Fprintf(&b, "- **Source:** %s\n", p.source())
	fmt.Fprintf(&b, "- **File:** `%s`", p.path)
	if t := p.app.Target(p.stage.Name); !t.IsKustomization() {
		fmt.Fprintf(&b, " (at `%s`)", t.Tag+t.Image)
	} else if !p.from.Found {
		fmt.Fprintf(&b, " (adds an `images:` entry for `%s`)", p.want.Image)
	}
	b.WriteString("\n")
	if p.reformat {
		b.WriteString("- **Note:** kyaml could not keep this file's formatting exactly; please review the whole diff.\n")
	}
	b.WriteString(p.ships.text())
	fmt.Fprintf(&b, "\n**What happens next:** %s\n", p.next_())
	for _, l := range p.links {
		fmt.Fprintf(&b, "\n**Promote to %s after merging:** %s\n", l.stage, l.url)
	}
	if len(p.links) > 0 {
		fmt.Fprintf(&b, "The link works only once this PR is merged, because it promotes exactly the digest %s then pins on %s; it works once and for a limited time, and a `/promote` comment does the same any time.\n", p.stage.Name, p.base)
	}
	fmt.Fprintf(&b, "\n%s\n", p.marker())
	return b.String()
}

// stageLink is a one-click link that promotes to stage.
type stageLink struct{ stage, url string }

// nextLinks are the one-click links that promote this proposal's image on
// to each stage after it, one per stage, leaving out those there is none
// to make for: no link maker, the last stage, a next stage that is not
// manual (the merge itself moves the image there, so a link would only
// race it), or a next stage with approvers when the link pages have no
// sign-in (signIn false), since a bearer link cannot tell an approver from
// anyone else who can read the PR.
func (p proposal) nextLinks(links func(app, from, to, digest string) string, signIn bool) []stageLink {
	if links == nil {
		return nil
	}
	var out []stageLink
	for _, next := range p.next {
		if next.Mode != config.Manual || (len(next.Approvers) > 0 && !signIn) {
			continue
		}
		if url := links(p.app.Name, p.stage.Name, next.Name, p.want.Digest); url != "" {
			out = append(out, stageLink{next.Name, url})
		}
	}
	return out
}

// next_ says what merging this PR leads to; named so as not to clash with
// the next field.
func (p proposal) next_() string {
	return whatNext(p.stage, p.next, p.base, p.required, fmt.Sprintf("%s `%s`", p.app.Name, p.want.Tag), "this same image (same digest) for %s")
}

// whatNext says what merging a PR into stage leads to: what deploys what
// the PR moves; same, given the next stage's name, what stagehand then
// proposes there.
func whatNext(stage config.Stage, next []config.Stage, base string, required []string, what, same string) string {
	var now string
	switch stage.Mode {
	case config.AutoMerge:
		if len(required) == 0 {
			now = fmt.Sprintf("%s is an auto-merge stage and %s requires no checks, so stagehand merges this PR at once.", stage.Name, base)
		} else {
			now = fmt.Sprintf("%s is an auto-merge stage: stagehand merges this PR as soon as %s's required checks (%s) pass on it, and never while one is missing or failing.", stage.Name, base, strings.Join(required, ", "))
		}
	default:
		now = fmt.Sprintf("merging this PR deploys %s to %s.", what, stage.Name)
	}
	var auto, manual []string
	for _, n := range next {
		if n.Mode == config.Manual {
			manual = append(manual, n.Name)
		} else {
			auto = append(auto, n.Name)
		}
	}
	switch {
	case len(next) == 0:
		return now + fmt.Sprintf(" %s is the last stage.", stage.Name)
	case len(manual) == 1 && len(next) == 1:
		return now + fmt.Sprintf(" Then %s is next; it is a manual stage, so nothing moves there until someone promotes it, and stagehand says here how.", manual[0])
	}
	if len(auto) > 0 {
		now += " Once it is merged, stagehand proposes " + fmt.Sprintf(same, strings.Join(auto, " and ")) + "."
	}
	if len(manual) > 0 {
		now += fmt.Sprintf(" %s %s next too, manual: nothing moves there until someone promotes it, and stagehand says here how.",
			strings.Join(manual, " and "), map[bool]string{true: "is", false: "are"}[len(manual) == 1])
	}
	return now
}

func staleComment(stage string, current manifest.Pinned) string {
	return fmt.Sprintf("Closing: %s already runs `%s@%s` on the base branch, so this PR has nothing left to do.", stage, current.Tag, current.Digest)
}
