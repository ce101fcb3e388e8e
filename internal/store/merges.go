package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Merge is a stagehand PR merged into the base branch: from then on the
// stage runs Tag@Digest.
type Merge struct {
	App, Stage, Image, Tag, Digest string
	PR                             int
	MergeSHA, MergedBy             string
	At                             time.Time
	// PushedAt is when the registry said the image was pushed; zero when
	// it did not say, or the image was promoted from another stage.
	PushedAt time.Time
	// Group is the group whose PR moved the app with its other members;
	// "" for the app's own PR.
	Group string
}

// RecordMerge records m; recording the same PR again changes nothing (jobs
// run at least once, and stagehand hears of its own merges twice) and says
// added=false.
func (s *Store) RecordMerge(ctx context.Context, m Merge) (added bool, err error) {
	n, err := s.db.Exec(ctx, `INSERT INTO stagehand_stage_history
		(repo, app, stage, pr, image, tag, digest, merge_sha, merged_by, merged_at, pushed_at, group_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo, app, stage, pr) DO NOTHING`,
		s.repo, m.App, m.Stage, int64(m.PR), m.Image, m.Tag, m.Digest, m.MergeSHA, m.MergedBy, db.Nanos(m.At), db.Nanos(m.PushedAt), m.Group)
	if err != nil {
		return false, fmt.Errorf("%w: record %s/%s merged (PR #%d): %w", db.ErrUnavailable, m.App, m.Stage, m.PR, err)
	}
	if n == 0 && m.MergedBy != "" && m.MergedBy != MergedByStagehand {
		// stagehand records its own merges at once, before GitHub has said
		// which login (the App's bot) made them; GitHub's news names it.
		if _, err := s.db.Exec(ctx, `UPDATE stagehand_stage_history SET merged_by = ?
			WHERE repo = ? AND app = ? AND stage = ? AND pr = ? AND merged_by = ?`,
			m.MergedBy, s.repo, m.App, m.Stage, int64(m.PR), MergedByStagehand); err != nil {
			return false, fmt.Errorf("%w: record who merged %s/%s (PR #%d): %w", db.ErrUnavailable, m.App, m.Stage, m.PR, err)
		}
	}
	return n == 1, nil
}

// MergedByStagehand stands for the App's own login in a merge stagehand
// made, until GitHub's news of the merge names the login.
const MergedByStagehand = "stagehand"

// LastMerge returns the newest merge of app in stage; ok is false when
// there is none.
func (s *Store) LastMerge(ctx context.Context, app, stage string) (m Merge, ok bool, err error) {
	var pr, at, pushed int64
	err = s.db.QueryRow(ctx, `SELECT pr, image, tag, digest, merge_sha, merged_by, merged_at, pushed_at, group_name
		FROM stagehand_stage_history WHERE (? = '' OR repo = ?) AND app = ? AND stage = ?
		ORDER BY merged_at DESC, pr DESC LIMIT 1`, s.with(app, stage)...).Scan(&pr, &m.Image, &m.Tag, &m.Digest, &m.MergeSHA, &m.MergedBy, &at, &pushed, &m.Group)
	if db.IsNoRows(err) {
		return Merge{}, false, nil
	}
	if err != nil {
		return Merge{}, false, fmt.Errorf("%w: read %s/%s history: %w", db.ErrUnavailable, app, stage, err)
	}
	m.App, m.Stage, m.PR, m.At, m.PushedAt = app, stage, int(pr), db.Time(at), db.Time(pushed)
	return m, true, nil
}

// Merges lists what was merged into the stages of app ("" for every app),
// newest first; at equal times the higher PR comes first. limit <= 0 means
// 20; at most 1000 are returned.
func (s *Store) Merges(ctx context.Context, app string, limit int) ([]Merge, error) {
	cond, args := s.scope()
	query := `SELECT app, stage, pr, image, tag, digest, merge_sha, merged_by, merged_at, pushed_at, group_name
		FROM stagehand_stage_history WHERE ` + cond
	if app != "" {
		query += ` AND app = ?`
		args = append(args, app)
	}
	query += ` ORDER BY merged_at DESC, pr DESC, stage LIMIT ?`
	args = append(args, listLimit(limit))
	out := []Merge{}
	err := s.db.Query(ctx, func(row db.Scanner) error {
		m, err := scanMerge(row)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: list history of %q: %w", db.ErrUnavailable, app, err)
	}
	return out, nil
}

// scanMerge reads a row of app, stage, pr, image, tag, digest, merge_sha,
// merged_by, merged_at, pushed_at and group_name.
func scanMerge(row db.Scanner) (Merge, error) {
	var (
		m              Merge
		pr, at, pushed int64
	)
	err := row.Scan(&m.App, &m.Stage, &pr, &m.Image, &m.Tag, &m.Digest, &m.MergeSHA, &m.MergedBy, &at, &pushed, &m.Group)
	m.PR, m.At, m.PushedAt = int(pr), db.Time(at), db.Time(pushed)
	return m, err
}

// LastMerges lists the newest merge of every app in every stage, in one
// query: what the dashboard shows as "since when, and by which PR".
func (s *Store) LastMerges(ctx context.Context) ([]Merge, error) {
	out := []Merge{}
	err := s.db.Query(ctx, func(row db.Scanner) error {
		m, err := scanMerge(row)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	}, `SELECT app, stage, pr, image, tag, digest, merge_sha, merged_by, merged_at, pushed_at, group_name FROM (
		SELECT app, stage, pr, image, tag, digest, merge_sha, merged_by, merged_at, pushed_at, group_name,
			ROW_NUMBER() OVER (PARTITION BY repo, app, stage ORDER BY merged_at DESC, pr DESC) AS n
		FROM stagehand_stage_history WHERE (? = '' OR repo = ?)) newest WHERE n = 1 ORDER BY app, stage`, s.with()...)
	if err != nil {
		return nil, fmt.Errorf("%w: list the last merges: %w", db.ErrUnavailable, err)
	}
	return out, nil
}
