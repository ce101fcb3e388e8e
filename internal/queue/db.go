package queue

import (
	"context"
	"errors"
	"time"
)

// querier runs SQL written with ? placeholders on either driver. The SQL is
// kept to what SQLite and PostgreSQL both accept (ON CONFLICT … DO UPDATE,
// RETURNING, BIGINT and TEXT columns, times as Unix nanoseconds).
type querier interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	queryRow(ctx context.Context, query string, args ...any) scanner
}

type scanner interface{ Scan(dest ...any) error }

// dbTx is a transaction of either driver; River inserts jobs in it too.
type dbTx interface {
	querier
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
}

// errLockBusy: another handler call held the lock for the whole wait.
var errLockBusy = errors.New("another handler call is running")

// lockHandlers serialises handler calls: across replicas with PostgreSQL's
// advisory lock, within the process with SQLite (one replica only). It waits
// at most wait, then fails with errLockBusy.
func (s *Store) lockHandlers(ctx context.Context, wait time.Duration) (release func(), err error) {
	if s.pool != nil {
		return s.lockPostgres(ctx, s.lockKey("handlers"), wait)
	}
	return s.lockSQLite(ctx, wait)
}
