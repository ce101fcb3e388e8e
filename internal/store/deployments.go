package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Deployment states: what a stagehand merge into a stage became.
const (
	DeployVerifying = "verifying" // the stage's verify contexts are not all green yet
	DeployHealthy   = "healthy"   // every verify context was success
	DeployFailed    = "failed"    // a verify context failed or errored
	DeployTimedOut  = "timed-out" // verify_timeout passed first
	DeployDone      = "deployed"  // the stage has no verify: merged is deployed
)

// Deployment is one stagehand merge of an app into a stage as it rolls
// out: the GitHub deployment made for it and the stage's health gate.
type Deployment struct {
	App, Stage  string
	PR          int
	Tag, Digest string
	MergeSHA    string
	Group       string // the group whose PR moved the app; "" for its own
	State       string // one of the Deploy* states
	MergedAt    time.Time
	// Deadline is when a verifying deployment times out; zero without verify.
	Deadline time.Time
	// DoneAt is when the state was settled (verify went green, failed or
	// timed out); zero while verifying.
	DoneAt time.Time
	// Context, TargetURL and Description name the status that failed.
	Context, TargetURL, Description string
	// GitHubID is the GitHub deployment's id; 0 until it is made.
	GitHubID int64
}

// StartDeployment records d unless its merge is recorded already (jobs run
// at least once, and stagehand hears of its own merges twice); added says
// whether it was new.
func (s *Store) StartDeployment(ctx context.Context, d Deployment) (added bool, err error) {
	n, err := s.db.Exec(ctx, `INSERT INTO stagehand_deployments
		(repo, app, stage, pr, tag, digest, merge_sha, group_name, state, merged_at, deadline, done_at, context, target_url, description, deployment_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo, app, stage, pr) DO NOTHING`,
		s.repo, d.App, d.Stage, int64(d.PR), d.Tag, d.Digest, d.MergeSHA, d.Group, d.State, db.Nanos(d.MergedAt), db.Nanos(d.Deadline),
		db.Nanos(d.DoneAt), d.Context, d.TargetURL, d.Description, d.GitHubID)
	if err != nil {
		return false, fmt.Errorf("%w: record the deployment of %s/%s (PR #%d): %w", db.ErrUnavailable, d.App, d.Stage, d.PR, err)
	}
	return n == 1, nil
}

// SetGitHubDeployment records the GitHub deployment made for a merge.
func (s *Store) SetGitHubDeployment(ctx context.Context, app, stage string, pr int, id int64) error {
	_, err := s.db.Exec(ctx, `UPDATE stagehand_deployments SET deployment_id = ? WHERE repo = ? AND app = ? AND stage = ? AND pr = ?`, id, s.repo, app, stage, int64(pr))
	if err != nil {
		return fmt.Errorf("%w: record the GitHub deployment of %s/%s (PR #%d): %w", db.ErrUnavailable, app, stage, pr, err)
	}
	return nil
}

// SettleDeployment moves a verifying deployment to d's state, DoneAt and
// failed status; settled is false when it was settled already (by another
// replica, or an earlier try), which then changes nothing.
func (s *Store) SettleDeployment(ctx context.Context, d Deployment) (settled bool, err error) {
	n, err := s.db.Exec(ctx, `UPDATE stagehand_deployments SET state = ?, done_at = ?, context = ?, target_url = ?, description = ?
		WHERE repo = ? AND app = ? AND stage = ? AND pr = ? AND state = ?`,
		d.State, db.Nanos(d.DoneAt), d.Context, d.TargetURL, d.Description, s.repo, d.App, d.Stage, int64(d.PR), DeployVerifying)
	if err != nil {
		return false, fmt.Errorf("%w: settle the deployment of %s/%s (PR #%d): %w", db.ErrUnavailable, d.App, d.Stage, d.PR, err)
	}
	return n == 1, nil
}

const deploymentColumns = `app, stage, pr, tag, digest, merge_sha, group_name, state, merged_at, deadline, done_at, context, target_url, description, deployment_id`

func scanDeployment(row db.Scanner) (Deployment, error) {
	var (
		d                          Deployment
		pr, merged, deadline, done int64
	)
	if err := row.Scan(&d.App, &d.Stage, &pr, &d.Tag, &d.Digest, &d.MergeSHA, &d.Group, &d.State, &merged, &deadline, &done,
		&d.Context, &d.TargetURL, &d.Description, &d.GitHubID); err != nil {
		return Deployment{}, err
	}
	d.PR, d.MergedAt, d.Deadline, d.DoneAt = int(pr), db.Time(merged), db.Time(deadline), db.Time(done)
	return d, nil
}

// LastDeployment is the newest deployment of app in stage; ok is false
// when there is none.
func (s *Store) LastDeployment(ctx context.Context, app, stage string) (d Deployment, ok bool, err error) {
	err = s.db.Query(ctx, func(row db.Scanner) error {
		d, err = scanDeployment(row)
		ok = err == nil
		return err
	}, `SELECT `+deploymentColumns+` FROM stagehand_deployments WHERE (? = '' OR repo = ?) AND app = ? AND stage = ?
		ORDER BY merged_at DESC, pr DESC LIMIT 1`, s.with(app, stage)...)
	if err != nil {
		return Deployment{}, false, fmt.Errorf("%w: read the deployment of %s/%s: %w", db.ErrUnavailable, app, stage, err)
	}
	return d, ok, nil
}

// LastDeployments is the newest deployment of every app in every stage,
// by app and stage, in one query: what the dashboard shows of the health
// gates.
func (s *Store) LastDeployments(ctx context.Context) ([]Deployment, error) {
	out := []Deployment{}
	err := s.db.Query(ctx, func(row db.Scanner) error {
		d, err := scanDeployment(row)
		if err == nil {
			out = append(out, d)
		}
		return err
	}, `SELECT `+deploymentColumns+` FROM (
		SELECT `+deploymentColumns+`, ROW_NUMBER() OVER (PARTITION BY repo, app, stage ORDER BY merged_at DESC, pr DESC) AS n
		FROM stagehand_deployments WHERE (? = '' OR repo = ?)) newest WHERE n = 1 ORDER BY app, stage`, s.with()...)
	if err != nil {
		return nil, fmt.Errorf("%w: list the last deployments: %w", db.ErrUnavailable, err)
	}
	return out, nil
}

// Verifying lists the deployments whose health gate is still open, oldest
// first: what a status event or a reconcile looks at.
func (s *Store) Verifying(ctx context.Context) ([]Deployment, error) {
	var out []Deployment
	err := s.db.Query(ctx, func(row db.Scanner) error {
		d, err := scanDeployment(row)
		if err == nil {
			out = append(out, d)
		}
		return err
	}, `SELECT `+deploymentColumns+` FROM stagehand_deployments WHERE (? = '' OR repo = ?) AND state = ? ORDER BY merged_at, app, stage LIMIT 1000`, s.with(DeployVerifying)...)
	if err != nil {
		return nil, fmt.Errorf("%w: list the deployments being verified: %w", db.ErrUnavailable, err)
	}
	return out, nil
}

// GroupDeployments lists the deployments of group's PR pr into stage, one
// per app it moved, by app.
func (s *Store) GroupDeployments(ctx context.Context, group, stage string, pr int) ([]Deployment, error) {
	var out []Deployment
	err := s.db.Query(ctx, func(row db.Scanner) error {
		d, err := scanDeployment(row)
		if err == nil {
			out = append(out, d)
		}
		return err
	}, `SELECT `+deploymentColumns+` FROM stagehand_deployments WHERE (? = '' OR repo = ?) AND group_name = ? AND stage = ? AND pr = ? ORDER BY app`, s.with(group, stage, int64(pr))...)
	if err != nil {
		return nil, fmt.Errorf("%w: list the deployments of group %s in %s (PR #%d): %w", db.ErrUnavailable, group, stage, pr, err)
	}
	return out, nil
}
