package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivermigrate"
)

// Driver names, as Store.Driver reports them.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// DefaultSQLitePath is the database Open uses for an empty URL.
const DefaultSQLitePath = "stagehand.db"

// Store is the queue's database: River's tables and stagehand's own.
// SQLite suits one replica; several replicas need PostgreSQL.
type Store struct {
	driver string
	log    *slog.Logger

	sqlDB *sql.DB       // sqlite
	pool  *pgxpool.Pool // postgres
	// schema is PostgreSQL's current_schema() at Open, where River's tables
	// and ours live; empty for SQLite.
	schema string

	// handlers serialises handler calls on SQLite, in this process only.
	handlers chan struct{}

	migrator interface {
		Validate(ctx context.Context, opts *rivermigrate.ValidateOpts) (*rivermigrate.ValidateResult, error)
	}
}

// Open connects to the queue database and migrates it. url is "" (SQLite at
// DefaultSQLitePath), a file path or "sqlite://PATH" for SQLite, or
// "postgres://…" / "postgresql://…" for PostgreSQL; pgx options such as
// search_path and pool_max_conns go in its query. Errors wrap ErrCannotOpen or
// ErrCannotMigrate.
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	driver, target, err := parseURL(url)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotOpen, err)
	}
	var s *Store
	switch driver {
	case DriverSQLite:
		s, err = openSQLite(ctx, target, log)
	default:
		s, err = openPostgres(ctx, target, log)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("%w: %w", ErrCannotMigrate, err)
	}
	return s, nil
}

// parseURL tells the driver from the URL and returns what that driver opens:
// a file path for SQLite, the URL itself for PostgreSQL.
func parseURL(url string) (driver, target string, err error) {
	switch {
	case url == "":
		return DriverSQLite, DefaultSQLitePath, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return DriverPostgres, url, nil
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
	return DriverSQLite, target, nil
}

// Driver is "sqlite" or "postgres".
func (s *Store) Driver() string { return s.driver }

// Close closes the database. Stop the Queue first.
func (s *Store) Close() error {
	if s.pool != nil {
		s.pool.Close()
		return nil
	}
	return s.sqlDB.Close()
}

// Ready reports whether the database answers and carries every migration,
// River's and stagehand's (for /readyz).
func (s *Store) Ready(ctx context.Context) error {
	res, err := s.migrator.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !res.OK {
		return fmt.Errorf("river migrations missing: %s", strings.Join(res.Messages, "; "))
	}
	version, err := s.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if version != len(migrations) {
		return fmt.Errorf("stagehand schema at version %d, want %d", version, len(migrations))
	}
	return nil
}

// db runs statements outside a transaction.
func (s *Store) db() querier {
	if s.pool != nil {
		return pgQuerier{s.pool}
	}
	return sqlQuerier{s.sqlDB}
}

// begin starts a transaction River can insert jobs in.
func (s *Store) begin(ctx context.Context) (dbTx, error) {
	if s.pool != nil {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return nil, err
		}
		return &pgTx{pgQuerier{tx}, tx}, nil
	}
	tx, err := s.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &sqlTx{sqlQuerier{tx}, tx}, nil
}

// inTx runs fn in a transaction and commits unless fn fails.
func (s *Store) inTx(ctx context.Context, fn func(tx dbTx) error) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		// Rollback on a dead connection fails too; fn's error says more.
		_ = tx.rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.commit(ctx)
}

// isNoRows reports "no row" from either driver.
func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows)
}
