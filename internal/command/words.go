package command

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

// Rollback targets: an OCI tag (registry.ValidTag), the one digest form
// stagehand pins, and an abbreviated or full commit SHA.
var (
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	commitRE = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
)

// words splits s at runs of white space.
func words(s string) []string { return strings.Fields(s) }

// cutWord returns the first word of s and what follows it, untrimmed.
func cutWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// isFlag reports whether w looks like an option: "-f", "--force". A lone
// dash, or "-1", is not one: it may open a hold reason ("- see #12").
// Names, stages and targets never start with a dash, so nothing valid is
// mistaken for a flag.
func isFlag(w string) bool {
	return len(w) >= 2 && w[0] == '-' && (w[1] == '-' || unicode.IsLetter(rune(w[1])))
}

// checkName returns why s is not a valid name of what ("app", "stage"), or "".
func checkName(what, s string) string {
	if config.ValidName(s) {
		return ""
	}
	msg := fmt.Sprintf("%s is not a valid %s name: use lower-case letters, digits and inner dashes", code(s), what)
	if fix := config.SuggestName(s); fix != "" {
		msg += fmt.Sprintf(" (try %s)", code(fix))
	}
	return msg
}

// checkTarget returns why s cannot be a rollback target, or "".
func checkTarget(s string) string {
	switch {
	case digestRE.MatchString(s), registry.ValidTag(s):
		return ""
	case strings.HasPrefix(strings.ToLower(s), "sha256:"):
		return fmt.Sprintf("%s is not a digest: write `sha256:` and 64 lower-case hex digits", code(s))
	}
	return fmt.Sprintf("%s is not a tag, digest or commit: a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`", code(s))
}

// maxEcho bounds how much of a user's word a reply repeats.
const maxEcho = 64

// code quotes a user's word for a Markdown reply: as inline code, so that
// an @mention or a link in it does nothing, shortened if long, with
// backticks replaced so the span cannot be broken out of.
func code(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > maxEcho {
		s = string([]rune(s)[:maxEcho]) + "…"
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}
