package promote

import "github.com/stagehand-dev/stagehand/internal/manifest"

// Result says how a proposal for one app and stage ended.
type Result string

const (
	Opened       Result = "opened"        // a new PR was opened
	Updated      Result = "updated"       // the living PR now proposes the new image
	Unchanged    Result = "unchanged"     // the open PR already proposes it
	AlreadyThere Result = "already-there" // the stage runs this digest; no PR
	Merged       Result = "merged"        // opened or updated, then merged
	Refused      Result = "refused"       // not done, for the reason given
	Ignored      Result = "ignored"       // not for stagehand (no app uses the image, tag not accepted)
	Planned      Result = "planned"       // a dry run: this is what would be proposed
	Manual       Result = "manual"        // the next stage is manual: nothing opened, Reason says how to promote
)

// Outcome is what happened to one app in one stage, for people (CLI, PR
// comments, logs) and for callers that chain further work.
type Outcome struct {
	App    string
	Stage  string
	Result Result
	// Reason explains a refusal, an ignored event, or why a PR waits.
	Reason string
	From   manifest.Pinned // what the stage pinned before
	To     Want            // what was proposed
	Path   string          // the kustomization file
	Before []byte          // its content on the base branch
	After  []byte          // its content as proposed
	// Reformatted is set when kyaml could not keep the file's formatting.
	Reformatted bool
	PR          int
	PRURL       string
	HeadSHA     string
	MergeSHA    string
}

// Done reports whether the stage now has, or is about to get, the image.
func (o Outcome) Done() bool {
	switch o.Result {
	case Opened, Updated, Unchanged, AlreadyThere, Merged, Planned:
		return true
	}
	return false
}
