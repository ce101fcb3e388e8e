package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Hold stops promotions of App into Stage, automatic and manual, until it
// is released.
type Hold struct {
	App, Stage string
	By         string // the login that placed it
	Reason     string
	At         time.Time
	Rollback   bool // a rollback placed it
	// Issue is the issue or pull request the hold was placed from (0 for
	// none): where stagehand tells of what the hold stops.
	Issue int
	// Note is stagehand's comment on Issue about what the hold stopped, 0
	// until there is one; it is edited, not repeated.
	Note int64
}

// PlaceHold holds h.App in h.Stage. Holding a held stage replaces the hold:
// it is the latest one placed (its note starts afresh).
func (s *Store) PlaceHold(ctx context.Context, h Hold) error {
	_, err := s.db.Exec(ctx, `INSERT INTO stagehand_holds (repo, app, stage, held_by, reason, held_at, by_rollback, origin_issue, note_comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo, app, stage) DO UPDATE SET held_by = excluded.held_by, reason = excluded.reason,
			held_at = excluded.held_at, by_rollback = excluded.by_rollback,
			origin_issue = excluded.origin_issue, note_comment = excluded.note_comment`,
		s.repo, h.App, h.Stage, h.By, h.Reason, db.Nanos(h.At), db.Bool(h.Rollback), int64(h.Issue), h.Note)
	if err != nil {
		return fmt.Errorf("%w: hold %s/%s: %w", db.ErrUnavailable, h.App, h.Stage, err)
	}
	return nil
}

// SetHoldNote records stagehand's note comment on a hold's issue.
func (s *Store) SetHoldNote(ctx context.Context, app, stage string, comment int64) error {
	_, err := s.db.Exec(ctx, `UPDATE stagehand_holds SET note_comment = ? WHERE repo = ? AND app = ? AND stage = ?`, comment, s.repo, app, stage)
	if err != nil {
		return fmt.Errorf("%w: note on the hold of %s/%s: %w", db.ErrUnavailable, app, stage, err)
	}
	return nil
}

// ReleaseHold lifts the hold on app in stage; released is false when there
// was none.
func (s *Store) ReleaseHold(ctx context.Context, app, stage string) (released bool, err error) {
	n, err := s.db.Exec(ctx, `DELETE FROM stagehand_holds WHERE repo = ? AND app = ? AND stage = ?`, s.repo, app, stage)
	if err != nil {
		return false, fmt.Errorf("%w: release %s/%s: %w", db.ErrUnavailable, app, stage, err)
	}
	return n > 0, nil
}

// HoldOn returns the hold on app in stage; ok is false when there is none.
func (s *Store) HoldOn(ctx context.Context, app, stage string) (h Hold, ok bool, err error) {
	var at, rollback, issue int64
	err = s.db.QueryRow(ctx, `SELECT held_by, reason, held_at, by_rollback, origin_issue, note_comment
		FROM stagehand_holds WHERE (? = '' OR repo = ?) AND app = ? AND stage = ?`, s.with(app, stage)...).Scan(&h.By, &h.Reason, &at, &rollback, &issue, &h.Note)
	if db.IsNoRows(err) {
		return Hold{}, false, nil
	}
	if err != nil {
		return Hold{}, false, fmt.Errorf("%w: read hold on %s/%s: %w", db.ErrUnavailable, app, stage, err)
	}
	h.App, h.Stage, h.At, h.Rollback, h.Issue = app, stage, db.Time(at), rollback != 0, int(issue)
	return h, true, nil
}

// Holds lists every hold on app's stages ("" for every app).
func (s *Store) Holds(ctx context.Context, app string) ([]Hold, error) {
	cond, args := s.scope()
	query := `SELECT app, stage, held_by, reason, held_at, by_rollback, origin_issue, note_comment FROM stagehand_holds WHERE ` + cond
	if app != "" {
		query += ` AND app = ?`
		args = append(args, app)
	}
	query += ` ORDER BY app, stage`
	var out []Hold
	err := s.db.Query(ctx, func(row db.Scanner) error {
		var (
			h                   Hold
			at, rollback, issue int64
		)
		if err := row.Scan(&h.App, &h.Stage, &h.By, &h.Reason, &at, &rollback, &issue, &h.Note); err != nil {
			return err
		}
		h.At, h.Rollback, h.Issue = db.Time(at), rollback != 0, int(issue)
		out = append(out, h)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: list holds: %w", db.ErrUnavailable, err)
	}
	return out, nil
}
