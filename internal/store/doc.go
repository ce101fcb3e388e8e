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
	"github.com/stagehand-dev/stagehand/internal/db"
)

// Store reads and writes the records in the database.
type Store struct {
	db *db.DB
}

// New returns a Store over an open database.
func New(d *db.DB) *Store { return &Store{db: d} }

// listLimit bounds a listing: limit <= 0 means defaultListLimit, and no
// caller gets more than maxListLimit rows at once.
func listLimit(limit int) int64 {
	const defaultListLimit, maxListLimit = 20, 1000
	if limit <= 0 {
		return defaultListLimit
	}
	return int64(min(limit, maxListLimit))
}
