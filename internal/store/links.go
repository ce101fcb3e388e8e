package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// UseLink records that the one-click link id was used at at. first is true
// for exactly one caller per id, across concurrent callers and replicas;
// every later use gets false.
func (s *Store) UseLink(ctx context.Context, id string, at time.Time) (first bool, err error) {
	// The primary key decides: of racing inserts one adds the row, the
	// others change nothing.
	n, err := s.db.Exec(ctx, `INSERT INTO stagehand_used_links (id, used_at) VALUES (?, ?)
		ON CONFLICT (id) DO NOTHING`, id, db.Nanos(at))
	if err != nil {
		// The id stays out of the error: a link may carry it as its secret.
		return false, fmt.Errorf("%w: use link: %w", db.ErrUnavailable, err)
	}
	return n == 1, nil
}

// LinkUsed reports whether the link id was used, and when.
func (s *Store) LinkUsed(ctx context.Context, id string) (used bool, at time.Time, err error) {
	var n int64
	err = s.db.QueryRow(ctx, `SELECT used_at FROM stagehand_used_links WHERE id = ?`, id).Scan(&n)
	if db.IsNoRows(err) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("%w: read link: %w", db.ErrUnavailable, err)
	}
	return true, db.Time(n), nil
}

// Prune forgets what is older than before: used links (their tokens
// expired long before), and request outcomes.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	links, err := s.db.Exec(ctx, `DELETE FROM stagehand_used_links WHERE used_at < ?`, db.Nanos(before))
	if err != nil {
		return 0, fmt.Errorf("%w: prune used links: %w", db.ErrUnavailable, err)
	}
	reqs, err := s.db.Exec(ctx, `DELETE FROM stagehand_requests WHERE created_at < ?`, db.Nanos(before))
	if err != nil {
		return links, fmt.Errorf("%w: prune requests: %w", db.ErrUnavailable, err)
	}
	return links + reqs, nil
}
