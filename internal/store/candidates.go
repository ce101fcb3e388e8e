package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Candidate is the newest push of a group's member that waits for the
// group's window to close, to be proposed with the other members' pushes
// in one pull request. Request is the push as its maker encoded it; the
// store does not read it.
type Candidate struct {
	Group, App string
	Request    []byte
	At         time.Time // when it was offered: the window counts from the newest
}

// OfferCandidate keeps c as app's push waiting for its group, replacing
// the one kept before: the caller decides which is newer.
func (s *Store) OfferCandidate(ctx context.Context, c Candidate) error {
	_, err := s.db.Exec(ctx, `INSERT INTO stagehand_group_candidates (repo, group_name, app, request, offered_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (repo, group_name, app) DO UPDATE SET request = excluded.request, offered_at = excluded.offered_at`,
		s.repo, c.Group, c.App, string(c.Request), db.Nanos(c.At))
	if err != nil {
		return fmt.Errorf("%w: keep the push of %s for group %s: %w", db.ErrUnavailable, c.App, c.Group, err)
	}
	return nil
}

// Candidates lists the pushes waiting for group, by app.
func (s *Store) Candidates(ctx context.Context, group string) ([]Candidate, error) {
	var out []Candidate
	err := s.db.Query(ctx, func(row db.Scanner) error {
		var (
			c   = Candidate{Group: group}
			req string
			at  int64
		)
		if err := row.Scan(&c.App, &req, &at); err != nil {
			return err
		}
		c.Request, c.At = []byte(req), db.Time(at)
		out = append(out, c)
		return nil
	}, `SELECT app, request, offered_at FROM stagehand_group_candidates WHERE (? = '' OR repo = ?) AND group_name = ? ORDER BY app`, s.with(group)...)
	if err != nil {
		return nil, fmt.Errorf("%w: list the pushes waiting for group %s: %w", db.ErrUnavailable, group, err)
	}
	return out, nil
}

// DropCandidate forgets c once its group's run has used it; a newer push
// of the app offered meanwhile stays.
func (s *Store) DropCandidate(ctx context.Context, c Candidate) error {
	_, err := s.db.Exec(ctx, `DELETE FROM stagehand_group_candidates WHERE repo = ? AND group_name = ? AND app = ? AND request = ? AND offered_at = ?`,
		s.repo, c.Group, c.App, string(c.Request), db.Nanos(c.At))
	if err != nil {
		return fmt.Errorf("%w: drop the push of %s for group %s: %w", db.ErrUnavailable, c.App, c.Group, err)
	}
	return nil
}
