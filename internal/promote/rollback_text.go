package promote

import (
	"fmt"
	"strings"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// rollback is everything the words of a rollback PR are made from.
type rollback struct {
	app      config.App
	stage    config.Stage
	next     []config.Stage // none for the last stage
	base     string
	path     string
	from     manifest.Pinned
	want     Want
	point    restorePoint
	hold     *gate.Hold // nil when the stage is not held
	reformat bool
}

func (r rollback) title() string {
	return fmt.Sprintf("Roll back %s in %s to %s", r.app.Name, r.stage.Name, r.want.Tag)
}

func (r rollback) commitMessage() string {
	return fmt.Sprintf("%s: roll back %s to %s (%s)\n\nRestores what commit %s pinned in %s.\nSet %s in %s.\n",
		r.app.Name, r.stage.Name, r.want.Tag, short(r.want.Digest), r.point.Commit.SHA, r.stage.Name,
		r.want.Image+":"+r.want.Tag+"@"+r.want.Digest, r.path)
}

func (r rollback) marker() Marker {
	return Marker{App: r.app.Name, Stage: r.stage.Name, Image: r.want.Image, Tag: r.want.Tag, Digest: r.want.Digest, Rollback: true}
}

func (r rollback) body() string {
	var b strings.Builder
	fromTag, fromDigest := pinnedString(r.from)
	fmt.Fprintf(&b, "stagehand rolls **%s** in **%s** back to `%s`, as a person asked.\n\n", r.app.Name, r.stage.Name, r.want.Tag)
	fmt.Fprintf(&b, "| | tag | digest |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| now in %s | `%s` | `%s` |\n", r.stage.Name, fromTag, fromDigest)
	fmt.Fprintf(&b, "| restored | `%s` | `%s` |\n\n", r.want.Tag, r.want.Digest)
	fmt.Fprintf(&b, "- **Image:** `%s`\n", r.want.Image)
	fmt.Fprintf(&b, "- **Restores:** what commit %s pinned in %s", r.point.Commit.SHA, r.stage.Name)
	if subject, _, _ := strings.Cut(r.point.Commit.Message, "\n"); subject != "" {
		fmt.Fprintf(&b, " (“%s”", subject)
		if !r.point.Commit.Date.IsZero() {
			fmt.Fprintf(&b, ", %s", r.point.Commit.Date.UTC().Format("2006-01-02 15:04 MST"))
		}
		b.WriteString(")")
	}
	b.WriteString(".\n")
	fmt.Fprintf(&b, "- **File:** `%s`, and no other: every other stage keeps what it runs.\n", r.path)
	if r.hold != nil {
		fmt.Fprintf(&b, "- **Held:** %s is held by @%s, so no promotion moves into it, automatically or by hand, until someone comments `/release %s %s`.\n", r.stage.Name, r.hold.By, r.app.Name, r.stage.Name)
	} else {
		fmt.Fprintf(&b, "- **Not held:** a promotion into %s would replace this PR; comment `/hold %s %s` to stop that.\n", r.stage.Name, r.app.Name, r.stage.Name)
	}
	if r.reformat {
		b.WriteString("- **Note:** kyaml could not keep this file's formatting exactly; please review the whole diff.\n")
	}
	fmt.Fprintf(&b, "\n**What happens next:** %s\n", r.next_())
	fmt.Fprintf(&b, "\n%s\n", r.marker())
	return b.String()
}

// next_ says who merges and what merging leads to.
func (r rollback) next_() string {
	s := "a rollback is a person's decision, so stagehand leaves merging this PR to a person"
	if r.stage.Mode == config.AutoMerge {
		s += fmt.Sprintf(", although %s is an auto-merge stage", r.stage.Name)
	}
	s += fmt.Sprintf(". Merging it deploys %s `%s` to %s.", r.app.Name, r.want.Tag, r.stage.Name)
	switch {
	case len(r.next) == 0:
		s += fmt.Sprintf(" %s is the last stage.", r.stage.Name)
	case r.hold != nil && r.hold.Rollback:
		s += fmt.Sprintf(" While %s stays held, nothing moves on from it to %s.", r.stage.Name, names(r.next))
	}
	return s
}
