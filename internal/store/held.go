package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// HeldRequest is the newest automatic promotion a hold stopped: releasing
// the stage proposes it at once. Request is the request as its maker
// encoded it; the store does not read it.
type HeldRequest struct {
	App, Stage string
	Request    []byte
	At         time.Time
}

// KeepHeld remembers r as the promotion app's hold in stage stopped,
// replacing the one kept before: the caller decides which is newer.
func (s *Store) KeepHeld(ctx context.Context, r HeldRequest) error {
	_, err := s.db.Exec(ctx, `INSERT INTO stagehand_held_requests (repo, app, stage, request, held_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (repo, app, stage) DO UPDATE SET request = excluded.request, held_at = excluded.held_at`,
		s.repo, r.App, r.Stage, string(r.Request), db.Nanos(r.At))
	if err != nil {
		return fmt.Errorf("%w: keep the held promotion of %s/%s: %w", db.ErrUnavailable, r.App, r.Stage, err)
	}
	return nil
}

// Held returns the promotion kept for app in stage; ok is false when there
// is none.
func (s *Store) Held(ctx context.Context, app, stage string) (r HeldRequest, ok bool, err error) {
	var req string
	var at int64
	err = s.db.QueryRow(ctx, `SELECT request, held_at FROM stagehand_held_requests WHERE (? = '' OR repo = ?) AND app = ? AND stage = ?`, s.with(app, stage)...).Scan(&req, &at)
	if db.IsNoRows(err) {
		return HeldRequest{}, false, nil
	}
	if err != nil {
		return HeldRequest{}, false, fmt.Errorf("%w: read the held promotion of %s/%s: %w", db.ErrUnavailable, app, stage, err)
	}
	return HeldRequest{App: app, Stage: stage, Request: []byte(req), At: db.Time(at)}, true, nil
}

// DropHeld forgets the promotion kept for app in stage.
func (s *Store) DropHeld(ctx context.Context, app, stage string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM stagehand_held_requests WHERE repo = ? AND app = ? AND stage = ?`, s.repo, app, stage)
	if err != nil {
		return fmt.Errorf("%w: drop the held promotion of %s/%s: %w", db.ErrUnavailable, app, stage, err)
	}
	return nil
}
