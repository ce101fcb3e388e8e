package promote

import (
	"time"

	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// Result says how a request ended for one app and stage.
type Result string

const (
	Opened       Result = "opened"        // a new PR was opened
	Updated      Result = "updated"       // the living PR now proposes the new image
	Unchanged    Result = "unchanged"     // the open PR already proposes it
	AlreadyThere Result = "already-there" // the stage runs this digest; no PR
	Merged       Result = "merged"        // opened or updated, then merged
	Refused      Result = "refused"       // a rule said no, for the reason given
	Ignored      Result = "ignored"       // not for stagehand (tag not accepted, an older tag)
	Planned      Result = "planned"       // a dry run: this is what would be proposed
	Manual       Result = "manual"        // the next stage is manual: Reason says how to promote
	Waiting      Result = "waiting"       // a soak time is not over, or a freeze window not open; it is asked again at Until
	HoldPlaced   Result = "held"          // the stage is held
	HoldLifted   Result = "released"      // the stage is released
	Failed       Result = "failed"        // GitHub or the registry failed; the work is retried
	Gathered     Result = "gathered"      // a push waits for its group's other pushes, to move with them
	Split        Result = "split"         // one request per stage after From; Each holds their outcomes
)

// Outcome is what happened to a request, for people (replies, pages, the
// CLI, logs) and for records and metrics.
type Outcome struct {
	Request Request
	App     string
	Stage   string
	Result  Result
	Code    Code
	// Reason explains a refusal, an ignored request, a wait, or why a PR
	// waits for checks.
	Reason string
	From   manifest.Pinned // what the stage pinned before
	To     Want            // what was proposed
	Path   string          // the stage's file
	Before []byte          // its content on the base branch
	After  []byte          // its content as proposed
	// Reformatted is set when kyaml could not keep the file's formatting.
	Reformatted bool
	PR          int
	PRURL       string
	HeadSHA     string
	MergeSHA    string
	Until       time.Time
	// Forced says which freeze window a person's --force went through.
	Forced string
	// Then is what releasing a stage went on to do with the promotion its
	// hold had stopped.
	Then *Outcome
	// Published is what publishing the PR did (Opened, Updated or
	// Unchanged), also when it was then merged.
	Published Result
	// Gates are the rules a person's promotion was checked against.
	Gates []Gate
	// Group is the group a group's request moved (App is its name then);
	// Members are its apps' own outcomes: From, To, Path, Before and After
	// are theirs, and those that moved have the group's result.
	Group   string
	Members []Outcome
	// Each are the outcomes of the requests a Split request became, one
	// per stage.
	Each []Outcome
}

// Done reports whether the stage now has, or is about to get, the image.
func (o Outcome) Done() bool {
	switch o.Result {
	case Opened, Updated, Unchanged, AlreadyThere, Merged, Planned:
		return true
	}
	return false
}

// outcome starts the outcome of a plan. A group's members that are to
// move have no result yet: apply gives them the group's (settleMembers).
func (p Plan) outcome() Outcome {
	o := Outcome{Request: p.Request, App: p.Request.App, Stage: p.Stage.Name, Code: p.Code, Reason: p.Reason,
		From: p.From, To: p.Want, Path: p.Path, Before: p.Before, After: p.After, Reformatted: p.Reformatted,
		Until: p.Until, Gates: p.Gates, Forced: p.Forced}
	if p.Group != nil {
		o.Group = p.Group.Name
		for _, m := range p.Members {
			mo := m.outcome()
			mo.Stage = p.Stage.Name
			switch m.Verdict {
			case Nothing:
				mo.Result = AlreadyThere
			case Ignore:
				mo.Result = Ignored
			case Refuse:
				mo.Result = Refused
			}
			o.Members = append(o.Members, mo)
		}
	}
	return o
}

// Planned is what a dry run shows of a plan: the outcome it would have,
// Planned for a proposal, a group's apps included.
func (p Plan) Planned() Outcome {
	o := p.outcome()
	switch p.Verdict {
	case Propose:
		o.Result = Planned
	case Nothing:
		o.Result = AlreadyThere
	default:
		o.Result = Refused
	}
	o.settleMembers()
	return o
}

// settleMembers gives the group's result to the members that moved with
// it, or would have: their outcome is the group's.
func (o *Outcome) settleMembers() {
	for i := range o.Members {
		m := &o.Members[i]
		if m.Result != "" {
			continue
		}
		m.Result, m.PR, m.PRURL, m.HeadSHA, m.MergeSHA, m.Until = o.Result, o.PR, o.PRURL, o.HeadSHA, o.MergeSHA, o.Until
		if m.Reason == "" {
			m.Reason = o.Reason
		}
	}
}

// moving are the members whose change a group's proposal carries: those
// the rules let write their file.
func (o Outcome) moving() []Outcome {
	var out []Outcome
	for _, m := range o.Members {
		if m.After != nil {
			out = append(out, m)
		}
	}
	return out
}
