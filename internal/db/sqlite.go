package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"modernc.org/sqlite"
)

// sqlitePragmas make the file safe to share with River: WAL lets readers run
// beside the writer, busy_timeout waits out another process (a backup, the
// sqlite3 shell) instead of failing, and synchronous=FULL syncs every commit
// so an accepted delivery survives a power cut, not just a crash (but for
// what a job writes until it ends: relaxed.go).
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"

func openSQLite(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	wal := new(atomic.Bool)
	sdb := sql.OpenDB(stmtConnector{d: &sqlite.Driver{}, dsn: path + "?" + sqlitePragmas, wal: wal})
	// One connection, as River's SQLite driver advises: SQLite allows one
	// writer, and River's concurrent work otherwise meets SQLITE_BUSY. It is
	// kept open for good so the pragmas and page cache persist.
	sdb.SetMaxOpenConns(1)
	sdb.SetMaxIdleConns(1)
	sdb.SetConnMaxLifetime(0)
	sdb.SetConnMaxIdleTime(0)

	var mode string
	if err := sdb.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("%w: sqlite %s: %w", ErrCannotOpen, path, err)
	}
	// Some filesystems (network mounts) refuse WAL; it still works, slower,
	// and every commit is synced: out of WAL mode a commit that is not
	// could leave the file corrupt after a power cut, not just behind.
	wal.Store(strings.EqualFold(mode, "wal"))
	if !wal.Load() {
		log.Warn("SQLite database is not in WAL mode", "path", path, "journal_mode", mode)
	}
	return &DB{driver: SQLite, log: log, sqlDB: sdb, keys: map[string]chan struct{}{}}, nil
}

// sqlQuerier runs statements on a *sql.DB or *sql.Tx.
type sqlQuerier struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

func (q sqlQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) QueryRow(ctx context.Context, query string, args ...any) Scanner {
	return q.db.QueryRowContext(ctx, query, args...)
}

func (q sqlQuerier) Query(ctx context.Context, each func(row Scanner) error, query string, args ...any) error {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

type sqlTx struct {
	sqlQuerier
	tx *sql.Tx
}

func (t *sqlTx) Raw() any { return t.tx }
