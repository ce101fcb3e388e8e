package queue

import (
	"context"
	"fmt"
)

// History lists what was merged into the stages of app ("" for every app),
// newest first; at equal times the higher PR comes first. limit <= 0 means
// 20; at most 1000 are returned. Database failures wrap ErrUnavailable.
func (s *Store) History(ctx context.Context, app string, limit int) ([]StageDone, error) {
	query := `SELECT app, stage, pr, image, tag, digest, merge_sha, merged_by, merged_at
		FROM stagehand_stage_history`
	args := []any{}
	if app != "" {
		query += ` WHERE app = ?`
		args = append(args, app)
	}
	query += ` ORDER BY merged_at DESC, pr DESC, stage LIMIT ?`
	args = append(args, listLimit(limit))

	out := []StageDone{}
	err := s.query(ctx, func(row scanner) error {
		var (
			d      StageDone
			pr, at int64
		)
		if err := row.Scan(&d.App, &d.Stage, &pr, &d.Image, &d.Tag, &d.Digest, &d.MergeSHA, &d.MergedBy, &at); err != nil {
			return err
		}
		d.PR, d.At = int(pr), fromUnixNanos(at)
		out = append(out, d)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: list history of %q: %w", ErrUnavailable, app, err)
	}
	return out, nil
}
