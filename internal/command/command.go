package command

// Kind names a command.
type Kind string

// The commands stagehand knows.
const (
	KindPromote  Kind = "promote"
	KindRollback Kind = "rollback"
	KindHold     Kind = "hold"
	KindRelease  Kind = "release"
	KindHelp     Kind = "help"
)

// Command is one parsed command. Names are valid app and stage names
// whenever Parse returns it with Verdict Run.
type Command struct {
	Kind  Kind
	App   string
	Stage string
	// FromStage is set, and Stage left empty, for a bare /promote (or
	// /promote <app>) on a stagehand pull request: promote App to the stage
	// after FromStage, which only the config can name.
	FromStage string
	// All is `/promote [<app>] to all` on a stagehand pull request: promote
	// App to every stage after FromStage (Stage is empty then).
	All bool
	// Target is /rollback's "to" value: a tag, a sha256 digest or a commit
	// SHA (see TargetKind). Empty means the digest the stage ran before.
	Target string
	// Reason is /hold's free text: the rest of the first line, trimmed.
	Reason string
	// Force is /promote's --force: promote inside a freeze window. The
	// plan decides who may.
	Force bool
}

// Mutates reports whether running c changes a stage or its state, so the
// caller asks for write permission. Help only talks.
func (c Command) Mutates() bool {
	switch c.Kind {
	case KindPromote, KindRollback, KindHold, KindRelease:
		return true
	}
	return false
}

// TargetStage is the stage c changes: the stage promoted to, rolled back,
// held or released. It is "" for help, and for a promotion given by
// FromStage (to all, or to the stage after), whose targets only the config
// can resolve.
func (c Command) TargetStage() string {
	if c.Kind == KindHelp {
		return ""
	}
	return c.Stage
}

// TargetKind says what a rollback Target names.
type TargetKind int

const (
	// TargetNone: no target; roll back to the previous digest.
	TargetNone TargetKind = iota
	// TargetDigest: a sha256 digest.
	TargetDigest
	// TargetTag: an image tag that cannot be a commit SHA.
	TargetTag
	// TargetTagOrCommit: 7–40 lower-case hex digits, which is both a valid
	// tag (build numbers such as 20240611 are common) and an abbreviated
	// commit SHA; the caller tries whichever its history knows.
	TargetTagOrCommit
)

// TargetKind classifies c.Target.
func (c Command) TargetKind() TargetKind {
	switch {
	case c.Target == "":
		return TargetNone
	case digestRE.MatchString(c.Target):
		return TargetDigest
	case commitRE.MatchString(c.Target):
		return TargetTagOrCommit
	}
	return TargetTag
}

// Context is what the caller knows about where a comment was made.
type Context struct {
	// OnStagehandPR: the comment is on a pull request stagehand opened, and
	// App and Stage come from its marker.
	OnStagehandPR bool
	App, Stage    string
	// Author is the commenter's login; AuthorType is "Bot" for bots.
	Author, AuthorType string
	// Action is the issue_comment action; only "created" is acted on, so
	// editing or deleting an old comment never runs it again.
	Action string
	// BotLogin is the App's own login, such as "stagehand[bot]".
	BotLogin string
}

// Verdict is what the caller should do with a comment.
type Verdict int

const (
	// Ignore: not a command; say nothing. The zero value, so a Result
	// nobody filled in does nothing.
	Ignore Verdict = iota
	// Reply: meant for stagehand but wrong; post Result.Reply.
	Reply
	// Run: check permission, then run Result.Command (for help, post Help()).
	Run
)

func (v Verdict) String() string {
	switch v {
	case Ignore:
		return "ignore"
	case Reply:
		return "reply"
	case Run:
		return "run"
	}
	return "verdict(?)"
}

// Result is Parse's decision. For Run, Command is complete; for Reply, it
// holds only the Kind the reply is about, and Reply is the text to post.
type Result struct {
	Verdict Verdict
	Command Command
	Reply   string
}
