package githubfake

import "time"

// pull is a pull request's state. Number is also its issue number.
type pull struct {
	Number    int
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
	Labels    []string // names, in the order added
	Comments  []int64  // comment ids
	Merged    bool
	MergedAt  time.Time
	MergedBy  string
	MergeSHA  string
	CreatedAt time.Time
	UpdatedAt time.Time
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
}

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

// checkRun is a check run as a CI App would report it.
type checkRun struct {
	ID          int64
	SHA         string
	Name        string
	Status      string // queued, in_progress, completed
	Conclusion  string // set when completed
	StartedAt   time.Time
	CompletedAt time.Time
}

// protection is a branch's classic protection rule.
type protection struct {
	Contexts []string // required status checks
}
