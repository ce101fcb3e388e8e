// Package store keeps stagehand's records of the config repositories it
// works on: holds, what each stage was merged with (the deployment
// history), the audit log of actions and refusals, single-use links, the
// promotions a hold stopped, the pushes of a group's members that wait for
// the group's window, and the outcome of requests made through the queue. They are the project's domain records, not queue internals; the
// public API's JSON types are defined apart from them (internal/api), so
// storage can change without breaking clients.
//
// Every method wraps database failures in db.ErrUnavailable.
package store

import (
	"context"
	"fmt"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Store reads and writes the records in the database: of one config
// repository (ForRepo), or, unscoped, of every one: it reads them all (one
// repository's, when stagehand serves one), and what it writes belongs to
// none, as rows written before stagehand served several did, until Claim
// gives them to one.
type Store struct {
	db   *db.DB
	repo string // "owner/name"; "" reads every repository's records
}

// New returns a Store over an open database.
func New(d *db.DB) *Store { return &Store{db: d} }

// ForRepo returns a Store of the records of one config repository.
func (s *Store) ForRepo(repo string) *Store { return &Store{db: s.db, repo: repo} }

// Repo is the config repository the Store is scoped to; "" for none.
func (s *Store) Repo() string { return s.repo }

// scope is the condition that keeps a query to the Store's repository
// (every repository unscoped), with its arguments.
func (s *Store) scope() (string, []any) {
	return `(? = '' OR repo = ?)`, []any{s.repo, s.repo}
}

// where prefixes args with the scope's arguments.
func (s *Store) with(args ...any) []any {
	return append([]any{s.repo, s.repo}, args...)
}

// scopedTables hold one config repository's records per row.
var scopedTables = []string{"stagehand_holds", "stagehand_held_requests", "stagehand_stage_history",
	"stagehand_actions", "stagehand_requests", "stagehand_group_candidates", "stagehand_deployments"}

// Claim gives the records that belong to no repository (written before
// stagehand served several, or by an unscoped Store) to repo: the one
// config repository stagehand served then. It returns how many rows moved.
func (s *Store) Claim(ctx context.Context, repo string) (int64, error) {
	var moved int64
	err := s.db.InTx(ctx, func(tx db.Tx) error {
		for _, t := range scopedTables {
			n, err := tx.Exec(ctx, `UPDATE `+t+` SET repo = ? WHERE repo = ''`, repo)
			if err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			moved += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%w: give the records to %s: %w", db.ErrUnavailable, repo, err)
	}
	return moved, nil
}

// listLimit bounds a listing: limit <= 0 means defaultListLimit, and no
// caller gets more than maxListLimit rows at once.
func listLimit(limit int) int64 {
	const defaultListLimit, maxListLimit = 20, 1000
	if limit <= 0 {
		return defaultListLimit
	}
	return int64(min(limit, maxListLimit))
}
