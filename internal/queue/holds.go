package queue

import (
	"context"
	"fmt"
	"time"
)

// Hold stops promotions of App into Stage, automatic and manual, until it
// is released.
type Hold struct {
	App      string    `json:"app"`
	Stage    string    `json:"stage"`
	By       string    `json:"by"` // the login that placed it, or "stagehand"
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
	Rollback bool      `json:"rollback,omitempty"` // a rollback placed it
}

// PlaceHold holds h.App in h.Stage. Holding a held stage replaces the hold's
// By, Reason, At and Rollback: the hold is the latest one placed.
// Database failures wrap ErrUnavailable.
func (s *Store) PlaceHold(ctx context.Context, h Hold) error {
	_, err := s.db().exec(ctx, `INSERT INTO stagehand_holds (app, stage, held_by, reason, held_at, by_rollback)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (app, stage) DO UPDATE SET held_by = excluded.held_by, reason = excluded.reason,
			held_at = excluded.held_at, by_rollback = excluded.by_rollback`,
		h.App, h.Stage, h.By, h.Reason, unixNanos(h.At), boolInt(h.Rollback))
	if err != nil {
		return fmt.Errorf("%w: hold %s/%s: %w", ErrUnavailable, h.App, h.Stage, err)
	}
	return nil
}

// ReleaseHold lifts the hold on app in stage; released is false when there
// was none. Database failures wrap ErrUnavailable.
func (s *Store) ReleaseHold(ctx context.Context, app, stage string) (released bool, err error) {
	n, err := s.db().exec(ctx, `DELETE FROM stagehand_holds WHERE app = ? AND stage = ?`, app, stage)
	if err != nil {
		return false, fmt.Errorf("%w: release %s/%s: %w", ErrUnavailable, app, stage, err)
	}
	return n > 0, nil
}

// HoldOn returns the hold on app in stage; ok is false when there is none.
// Database failures wrap ErrUnavailable.
func (s *Store) HoldOn(ctx context.Context, app, stage string) (h Hold, ok bool, err error) {
	var at, rollback int64
	err = s.db().queryRow(ctx, `SELECT held_by, reason, held_at, by_rollback
		FROM stagehand_holds WHERE app = ? AND stage = ?`, app, stage).Scan(&h.By, &h.Reason, &at, &rollback)
	if isNoRows(err) {
		return Hold{}, false, nil
	}
	if err != nil {
		return Hold{}, false, fmt.Errorf("%w: read hold on %s/%s: %w", ErrUnavailable, app, stage, err)
	}
	h.App, h.Stage, h.At, h.Rollback = app, stage, fromUnixNanos(at), rollback != 0
	return h, true, nil
}
