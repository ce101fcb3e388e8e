package command

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/stagehand-dev/stagehand/internal/config"
)

// verbs maps a comment's first word to the command it starts.
var verbs = map[string]Kind{
	"/promote":   KindPromote,
	"/rollback":  KindRollback,
	"/hold":      KindHold,
	"/release":   KindRelease,
	"/stagehand": KindHelp,
}

// Parse decides what to do with a comment body made in context c. Only the
// first line counts (after leading blank lines and spaces); the rest of the
// comment is free text.
func Parse(body string, c Context) Result {
	k, rest, ok := screen(body, c)
	if !ok {
		return Result{}
	}
	switch k {
	case KindPromote:
		return parsePromote(rest, c)
	case KindRollback:
		return parseRollback(rest)
	case KindHold:
		return parseHold(rest)
	case KindRelease:
		return parseRelease(rest)
	}
	return parseHelp(rest)
}

// screen is the cheap first pass: is this a new comment by a person whose
// first line starts with one of our verbs? It returns the verb's kind and
// the rest of the line.
func screen(body string, c Context) (Kind, string, bool) {
	if c.Action != "created" {
		return "", "", false
	}
	if strings.EqualFold(c.AuthorType, "Bot") || c.BotLogin != "" && strings.EqualFold(c.Author, c.BotLogin) {
		return "", "", false
	}
	verb, rest := cutWord(firstLine(body))
	k, ok := verbs[verb]
	return k, rest, ok
}

// firstLine is the first line with text, trimmed, "\r\n" or "\n" ended.
func firstLine(body string) string {
	body = strings.TrimLeftFunc(body, unicode.IsSpace)
	line, _, _ := strings.Cut(body, "\n")
	return strings.TrimSpace(line)
}

// run is a Run result.
func run(c Command) Result { return Result{Verdict: Run, Command: c} }

// flagIn returns a reply problem for the first flag among ws, or "".
func flagIn(ws []string) string {
	for _, w := range ws {
		if isFlag(w) {
			return fmt.Sprintf("unknown flag %s; it takes no flags", code(w))
		}
	}
	return ""
}

// namesIn returns a reply problem for an invalid app or stage, or "".
// Empty names are not checked: the caller knows whether they may be empty.
func namesIn(app, stage string) string {
	if app != "" {
		if p := checkName("app", app); p != "" {
			return p
		}
	}
	if stage != "" {
		return checkName("stage", stage)
	}
	return ""
}

func unexpected(w, want string) string {
	return fmt.Sprintf("unexpected %s; expected %s", code(w), want)
}

// parsePromote reads "[<app>] [to <stage>|all] [--force]". On a
// stagehand pull request the missing parts come from the pull request's
// marker, and `to all` means every stage after the pull request's.
func parsePromote(rest string, c Context) Result {
	cmd := Command{Kind: KindPromote}
	w, force, p := cutForce(words(rest))
	if p != "" {
		return reply(cmd, p)
	}
	r := parsePromoteWords(w, c)
	if r.Verdict == Run {
		r.Command.Force = force
	}
	return r
}

// cutForce takes /promote's one flag, --force, out of its words, wherever
// it stands; any other flag, or --force twice, is a problem.
func cutForce(ws []string) (rest []string, force bool, problem string) {
	for _, w := range ws {
		switch {
		case w == "--force" && force:
			return nil, false, "`--force` is given twice"
		case w == "--force":
			force = true
		case isFlag(w):
			return nil, false, fmt.Sprintf("unknown flag %s; the only flag is `--force`", code(w))
		default:
			rest = append(rest, w)
		}
	}
	return rest, force, ""
}

func parsePromoteWords(w []string, c Context) Result {
	cmd := Command{Kind: KindPromote}
	var app, stage string
	switch {
	case len(w) > 3:
		return reply(cmd, "too many words; it takes at most an app and `to <stage>`")
	case len(w) == 0:
	case len(w) == 1 && w[0] == "to":
		return reply(cmd, "`to` needs a stage after it")
	case len(w) == 1:
		app = w[0]
	case len(w) == 2 && w[0] == "to":
		stage = w[1]
	case len(w) == 2 && w[1] == "to":
		return reply(cmd, "`to` needs a stage after it")
	case len(w) == 2:
		return reply(cmd, fmt.Sprintf("unexpected %s; put `to` before the stage", code(w[1])))
	case w[1] != "to":
		return reply(cmd, unexpected(w[1], "`to`"))
	default:
		app, stage = w[0], w[2]
	}
	if p := namesIn(app, stage); p != "" {
		return reply(cmd, p)
	}
	// A pull request whose marker does not hold valid names supplies none.
	onPR := c.OnStagehandPR && config.ValidName(c.App) && config.ValidName(c.Stage)
	if stage == config.AllStages {
		switch {
		case !onPR:
			return reply(cmd, fmt.Sprintf("`to all` means every stage after a stagehand pull request's stage, so it works only on one; here, name the stage: `/promote %s to <stage>`", orPlaceholder(app)))
		case app != "" && app != c.App:
			return reply(cmd, fmt.Sprintf("this pull request promotes `%s`, not `%s`; to promote `%s`, write `/promote %s to <stage>`", c.App, app, app, app))
		}
		return run(Command{Kind: KindPromote, App: c.App, FromStage: c.Stage, All: true})
	}
	switch {
	case app != "" && stage != "":
		return run(Command{Kind: KindPromote, App: app, Stage: stage})
	case !onPR && app == "" && stage == "":
		return reply(cmd, "missing app and stage; only on a stagehand pull request can they be left out")
	case !onPR && app == "":
		return reply(cmd, fmt.Sprintf("missing app; only on a stagehand pull request can it be left out: write `/promote <app> to %s`", stage))
	case !onPR:
		return reply(cmd, fmt.Sprintf("missing stage; `/promote %s` alone names no stage here: write `/promote %s to <stage>`", app, app))
	case app != "" && app != c.App:
		return reply(cmd, fmt.Sprintf("this pull request promotes `%s`, not `%s`; to promote `%s`, write `/promote %s to <stage>`", c.App, app, app, app))
	case stage != "":
		return run(Command{Kind: KindPromote, App: c.App, Stage: stage})
	}
	return run(Command{Kind: KindPromote, App: c.App, FromStage: c.Stage})
}

// parseRollback reads "<app> <stage> [to <tag|digest|commit>]".
func parseRollback(rest string) Result {
	cmd := Command{Kind: KindRollback}
	w := words(rest)
	if p := flagIn(w); p != "" {
		return reply(cmd, p)
	}
	switch {
	case len(w) == 0:
		return reply(cmd, "missing app and stage")
	case len(w) == 1:
		return reply(cmd, "missing stage")
	case len(w) == 3 && w[2] == "to":
		return reply(cmd, "`to` needs a tag, digest or commit after it")
	case len(w) > 4:
		return reply(cmd, "too many words; it takes an app, a stage and optionally `to <tag|digest|commit>`")
	case len(w) > 2 && w[2] != "to":
		return reply(cmd, unexpected(w[2], "`to`"))
	}
	if p := namesIn(w[0], w[1]); p != "" {
		return reply(cmd, p)
	}
	cmd.App, cmd.Stage = w[0], w[1]
	if len(w) == 4 {
		if p := checkTarget(w[3]); p != "" {
			return reply(Command{Kind: KindRollback}, p)
		}
		cmd.Target = w[3]
	}
	return run(cmd)
}

// parseHold reads "<app> <stage> [reason…]"; the reason is the rest of the
// line as written, trimmed.
func parseHold(rest string) Result {
	cmd := Command{Kind: KindHold}
	app, rest := cutWord(rest)
	stage, rest := cutWord(rest)
	reason := strings.TrimSpace(rest)
	first, _ := cutWord(reason)
	if p := flagIn([]string{app, stage, first}); p != "" {
		return reply(cmd, p)
	}
	switch {
	case app == "":
		return reply(cmd, "missing app and stage")
	case stage == "":
		return reply(cmd, "missing stage")
	}
	if p := namesIn(app, stage); p != "" {
		return reply(cmd, p)
	}
	return run(Command{Kind: KindHold, App: app, Stage: stage, Reason: reason})
}

// parseRelease reads "<app> <stage>".
func parseRelease(rest string) Result {
	cmd := Command{Kind: KindRelease}
	w := words(rest)
	if p := flagIn(w); p != "" {
		return reply(cmd, p)
	}
	switch {
	case len(w) == 0:
		return reply(cmd, "missing app and stage")
	case len(w) == 1:
		return reply(cmd, "missing stage")
	case len(w) > 2:
		return reply(cmd, "too many words; it takes an app and a stage")
	}
	if p := namesIn(w[0], w[1]); p != "" {
		return reply(cmd, p)
	}
	return run(Command{Kind: KindRelease, App: w[0], Stage: w[1]})
}

// parseHelp reads "/stagehand help" and nothing else.
func parseHelp(rest string) Result {
	cmd := Command{Kind: KindHelp}
	w := words(rest)
	if p := flagIn(w); p != "" {
		return reply(cmd, p)
	}
	switch {
	case len(w) == 0:
		return reply(cmd, "missing `help`")
	case w[0] != "help":
		return reply(cmd, fmt.Sprintf("unknown word %s; the only one is `help`", code(w[0])))
	case len(w) > 1:
		return reply(cmd, "too many words; write just `/stagehand help`")
	}
	return run(cmd)
}

// orPlaceholder is app, or <app> when the comment named none.
func orPlaceholder(app string) string {
	if app == "" {
		return "<app>"
	}
	return app
}
