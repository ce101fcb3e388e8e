package db

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// minPoolConns leaves room for River's listener, producer, completer and
// maintenance, the workers' key locks and concurrent Accepts; pgxpool's
// default (4 on a small machine) starves them. pool_max_conns in the URL
// wins.
const minPoolConns = 48

func openPostgres(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url) // its errors redact the password
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotOpen, err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, minPoolConns)
	}
	where := cfg.ConnConfig.Host + ":" + strconv.Itoa(int(cfg.ConnConfig.Port)) + "/" + cfg.ConnConfig.Database
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres %s: %w", ErrCannotOpen, where, err)
	}
	var schema *string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w: postgres %s: %w", ErrCannotOpen, where, err)
	}
	if schema == nil {
		pool.Close()
		return nil, fmt.Errorf("%w: postgres %s: search_path names no existing schema", ErrCannotOpen, where)
	}
	return &DB{driver: Postgres, log: log, pool: pool, schema: *schema}, nil
}

// pgQuerier runs statements written with ? placeholders on a pool or a
// transaction.
type pgQuerier struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

func (q pgQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgQuerier) QueryRow(ctx context.Context, query string, args ...any) Scanner {
	return q.db.QueryRow(ctx, rebind(query), args...)
}

func (q pgQuerier) Query(ctx context.Context, each func(row Scanner) error, query string, args ...any) error {
	rows, err := q.db.Query(ctx, rebind(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

type pgTx struct {
	pgQuerier
	tx pgx.Tx
}

func (t *pgTx) Raw() any { return t.tx }

// rebind turns ? placeholders into PostgreSQL's $1, $2, …; stagehand's SQL
// has no ? anywhere else.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
