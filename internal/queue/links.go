package queue

import (
	"context"
	"fmt"
	"time"
)

// UseLink records that the one-click link id was used at at. first is true
// for exactly one caller per id, across concurrent callers and replicas;
// every later use gets false. Database failures wrap ErrUnavailable.
func (s *Store) UseLink(ctx context.Context, id string, at time.Time) (first bool, err error) {
	// The primary key decides: of racing inserts one adds the row, the
	// others change nothing.
	n, err := s.db().exec(ctx, `INSERT INTO stagehand_used_links (id, used_at) VALUES (?, ?)
		ON CONFLICT (id) DO NOTHING`, id, unixNanos(at))
	if err != nil {
		// The id stays out of the error: a link may carry it as its secret.
		return false, fmt.Errorf("%w: use link: %w", ErrUnavailable, err)
	}
	return n == 1, nil
}
