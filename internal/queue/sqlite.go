package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver
)

// sqlitePragmas make the file safe to share with River: WAL lets readers run
// beside the writer, busy_timeout waits out another process (a backup, the
// sqlite3 shell) instead of failing, and synchronous=FULL syncs every commit
// so an accepted delivery survives a power cut, not just a crash.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"

func openSQLite(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	db, err := sql.Open("sqlite", path+"?"+sqlitePragmas)
	if err != nil {
		return nil, fmt.Errorf("%w: sqlite %s: %w", ErrCannotOpen, path, err)
	}
	// One connection, as River's SQLite driver advises: SQLite allows one
	// writer, and River's concurrent work otherwise meets SQLITE_BUSY. It is
	// kept open for good so the pragmas and page cache persist.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w: sqlite %s: %w", ErrCannotOpen, path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		// Some filesystems (network mounts) refuse WAL; it still works, slower.
		log.Warn("SQLite queue database is not in WAL mode", "path", path, "journal_mode", mode)
	}
	return &Store{
		driver:   DriverSQLite,
		log:      log,
		sqlDB:    db,
		handlers: make(chan struct{}, 1),
	}, nil
}

// lockSQLite takes the in-process handler lock, waiting at most wait. SQLite
// is for one replica, so a process-wide lock is enough.
func (s *Store) lockSQLite(ctx context.Context, wait time.Duration) (func(), error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case s.handlers <- struct{}{}:
		return func() { <-s.handlers }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, errLockBusy
	}
}

// sqlQuerier runs statements on a *sql.DB or *sql.Tx.
type sqlQuerier struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func (q sqlQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) queryRow(ctx context.Context, query string, args ...any) scanner {
	return q.db.QueryRowContext(ctx, query, args...)
}

type sqlTx struct {
	sqlQuerier
	tx *sql.Tx
}

func (t *sqlTx) commit(context.Context) error   { return t.tx.Commit() }
func (t *sqlTx) rollback(context.Context) error { return t.tx.Rollback() }
