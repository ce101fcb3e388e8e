package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// minPoolConns leaves room for River's listener, producer, completer and
// maintenance, the handler lock and concurrent Accepts; pgxpool's default
// (4 on a small machine) starves them. pool_max_conns in the URL wins.
const minPoolConns = 16

func openPostgres(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
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
	return &Store{
		driver: DriverPostgres,
		log:    log,
		pool:   pool,
		schema: *schema,
	}, nil
}

// Advisory lock keys, per schema so that two stagehands sharing a database
// in different schemas don't wait on each other.
func (s *Store) lockKey(purpose string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("stagehand:" + s.schema + ":" + purpose))
	return int64(h.Sum64()) //nolint:gosec // a key, any 64 bits do
}

// lockPostgres takes a transaction-level advisory lock, waiting at most wait,
// and holds it until release. Being transaction-scoped, the lock cannot leak
// onto a pooled connection: a rollback, a broken connection or a dead
// process all release it.
func (s *Store) lockPostgres(ctx context.Context, key int64, wait time.Duration) (func(), error) {
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tx, err := s.pool.Begin(waitCtx)
	if err == nil {
		_, err = tx.Exec(waitCtx, "SELECT pg_advisory_xact_lock($1)", key)
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(waitCtx.Err(), context.DeadlineExceeded) {
			return nil, errLockBusy
		}
		return nil, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		// If this fails pgx closes the connection, which ends the lock too.
		_ = tx.Rollback(ctx)
	}, nil
}

// pgQuerier runs statements written with ? placeholders on a pool or a
// transaction.
type pgQuerier struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (q pgQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgQuerier) queryRow(ctx context.Context, query string, args ...any) scanner {
	return q.db.QueryRow(ctx, rebind(query), args...)
}

type pgTx struct {
	pgQuerier
	tx pgx.Tx
}

func (t *pgTx) commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t *pgTx) rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }

// rebind turns ? placeholders into PostgreSQL's $1, $2, …; the package's
// SQL has no ? anywhere else.
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
