package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Driver names, as DB.Driver reports them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DefaultSQLitePath is the database Open uses for an empty URL.
const DefaultSQLitePath = "stagehand.db"

var (
	// ErrUnavailable: the database could not take or give the data
	// (closed, unreachable, locked). Callers answer 503 or retry.
	ErrUnavailable = errors.New("database unavailable")
	// ErrCannotOpen and ErrCannotMigrate are the two ways Open fails.
	ErrCannotOpen    = errors.New("cannot open the database")
	ErrCannotMigrate = errors.New("cannot migrate the database")
)

// DB is stagehand's database. It is safe for concurrent use.
type DB struct {
	driver string
	log    *slog.Logger

	sqlDB *sql.DB       // sqlite
	pool  *pgxpool.Pool // postgres
	// schema is PostgreSQL's current_schema() at Open, where River's tables
	// and ours live; empty for SQLite.
	schema string

	// keys are the in-process locks of SQLite (one replica only).
	keysMu sync.Mutex
	keys   map[string]chan struct{}
}

// Open connects to the database and applies stagehand's migrations. url
// is "" (SQLite at DefaultSQLitePath), a file path or "sqlite://PATH" for
// SQLite, or "postgres://…" / "postgresql://…" for PostgreSQL; pgx options
// such as search_path and pool_max_conns go in its query. Errors wrap
// ErrCannotOpen or ErrCannotMigrate.
func Open(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	driver, target, err := ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotOpen, err)
	}
	var d *DB
	switch driver {
	case SQLite:
		d, err = openSQLite(ctx, target, log)
	default:
		d, err = openPostgres(ctx, target, log)
	}
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("%w: %w", ErrCannotMigrate, err)
	}
	return d, nil
}

// ParseURL tells the driver from the URL and returns what that driver
// opens: a file path for SQLite, the URL itself for PostgreSQL.
func ParseURL(url string) (driver, target string, err error) {
	switch {
	case url == "":
		return SQLite, DefaultSQLitePath, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	case strings.HasPrefix(url, "sqlite://"):
		target = strings.TrimPrefix(url, "sqlite://")
	case strings.Contains(url, "://"):
		scheme, _, _ := strings.Cut(url, "://")
		return "", "", fmt.Errorf("unsupported database URL scheme %q: use a file path, sqlite://PATH or postgres://…", scheme)
	default:
		target = url
	}
	if target == "" {
		return "", "", errors.New("sqlite:// needs a file path")
	}
	// The SQLite driver reads "?" as the start of its own options.
	if strings.ContainsAny(target, "?#") {
		return "", "", fmt.Errorf("SQLite path %q contains '?' or '#'", target)
	}
	return SQLite, target, nil
}

// Driver is SQLite or Postgres.
func (d *DB) Driver() string { return d.driver }

// Logger is the logger the database was opened with.
func (d *DB) Logger() *slog.Logger { return d.log }

// SQL is the SQLite handle (nil on PostgreSQL), for River's driver.
func (d *DB) SQL() *sql.DB { return d.sqlDB }

// Pool is the PostgreSQL pool (nil on SQLite), for River's driver.
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// Schema is PostgreSQL's schema of the tables; "" on SQLite.
func (d *DB) Schema() string { return d.schema }

// Table names one of River's tables as River placed it.
func (d *DB) Table(name string) string {
	if d.schema == "" {
		return name
	}
	return pgx.Identifier{d.schema, name}.Sanitize()
}

// Close closes the database. Stop its users first.
func (d *DB) Close() error {
	if d.pool != nil {
		d.pool.Close()
		return nil
	}
	return d.sqlDB.Close()
}

// Querier runs SQL written with ? placeholders on either driver. The SQL
// is kept to what SQLite and PostgreSQL both accept (ON CONFLICT … DO
// UPDATE, RETURNING, BIGINT and TEXT columns, times as Unix nanoseconds).
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	QueryRow(ctx context.Context, query string, args ...any) Scanner
	// Query calls each for every row, in order; an error from each stops
	// the loop and is returned. each must not use the database: SQLite
	// has one connection, and the rows hold it until Query returns.
	Query(ctx context.Context, each func(row Scanner) error, query string, args ...any) error
}

// Scanner is a row.
type Scanner interface{ Scan(dest ...any) error }

// Tx is a transaction of either driver; River inserts jobs in it too.
type Tx interface {
	Querier
	// Raw is the driver's own transaction: *sql.Tx or pgx.Tx.
	Raw() any
}

// q runs statements outside a transaction.
func (d *DB) q() Querier {
	if d.pool != nil {
		return pgQuerier{d.pool}
	}
	return sqlQuerier{d.sqlDB}
}

// Exec runs a statement outside a transaction.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return d.q().Exec(ctx, query, args...)
}

// QueryRow runs a one-row query outside a transaction.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) Scanner {
	return d.q().QueryRow(ctx, query, args...)
}

// Query runs a query outside a transaction; see Querier.
func (d *DB) Query(ctx context.Context, each func(row Scanner) error, query string, args ...any) error {
	return d.q().Query(ctx, each, query, args...)
}

// InTx runs fn in a transaction and commits unless fn fails.
func (d *DB) InTx(ctx context.Context, fn func(tx Tx) error) error {
	if d.pool != nil {
		tx, err := d.pool.Begin(ctx)
		if err != nil {
			return err
		}
		if err := fn(&pgTx{pgQuerier{tx}, tx}); err != nil {
			// Rollback on a dead connection fails too; fn's error says more.
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return err
		}
		return tx.Commit(ctx)
	}
	tx, err := d.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(&sqlTx{sqlQuerier{tx}, tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// IsNoRows reports "no row" from either driver.
func IsNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows)
}
