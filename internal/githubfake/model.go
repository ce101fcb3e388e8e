package githubfake

import "time"

// conversation is what a pull request and a plain issue share under their
// issue number: labels and comments.
type conversation struct {
	Number    int
	Labels    []string // names, in the order added
	Comments  []int64  // comment ids
	UpdatedAt time.Time
}

// pull is a pull request's state. Number is also its issue number.
type pull struct {
	conversation
	ID        int64
	Title     string
	Body      string
	State     string // open, closed
	Draft     bool
	User      string
	Head      string // branch names
	Base      string
	HeadSHA   string // frozen once closed; open PRs follow the branch
	BaseSHA   string
	Merged    bool
	MergedAt  time.Time
	MergedBy  string
	MergeSHA  string
	CreatedAt time.Time
	ClosedAt  time.Time
}

// issue is a plain issue, one that is not a pull request; it takes its
// number from the sequence pull requests use.
type issue struct {
	conversation
	ID        int64
	Title     string
	Body      string
	State     string // open, closed
	User      string
	CreatedAt time.Time
	ClosedAt  time.Time
}

type label struct {
	ID    int64
	Name  string
	Color string
}

type comment struct {
	ID        int64
	Issue     int
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// reaction is one person's (or the App's) emoji on an issue comment.
type reaction struct {
	ID        int64
	Comment   int64
	User      string
	Content   string // +1, -1, laugh, confused, heart, hooray, rocket, eyes
	CreatedAt time.Time
}

// collaborator is a person with a role on the repository.
type collaborator struct {
	Login string // as set, for rendering
	Role  string // admin, maintain, write, triage, read
}

// teamKey names one person in one team; all parts lower case, as GitHub
// compares logins and slugs without case.
type teamKey struct{ Org, Team, Login string }

// commitStatus is one POST /statuses/{sha}.
type commitStatus struct {
	ID          int64
	SHA         string
	State       string // error, failure, pending, success
	Context     string
	Description *string
	TargetURL   *string
	Creator     string
	CreatedAt   time.Time
}

// checkRun is a check run as a CI App (SetCheckRun) or an App through
// the API reports it.
type checkRun struct {
	ID          int64
	SHA         string
	Name        string
	App         int64  // the App that made it; 0 for SetCheckRun's CI
	Status      string // queued, in_progress, completed
	Conclusion  string // set when completed
	StartedAt   time.Time
	CompletedAt time.Time
	ExternalID  string
	DetailsURL  string
	Output      *checkOutput // nil until one is given
}

// checkOutput is a check run's report; annotations accumulate over
// updates, as GitHub appends them.
type checkOutput struct {
	Title, Summary, Text string
	Annotations          []Annotation
}

// protection is a branch's classic protection rule.
type protection struct {
	Contexts []string // required status checks
}
