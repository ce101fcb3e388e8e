package db

import (
	"context"
	"database/sql/driver"
	"fmt"
)

// Every commit to SQLite is synced to disk (synchronous=FULL) unless its
// context is Relaxed: River fetching and completing jobs, and everything a
// job writes, which the queue syncs once when the job ends (Sync) and
// before River records it done. Those commit with
// synchronous=NORMAL, which in WAL mode survives a crash of the process
// (the WAL is in the system's cache) and may be lost with the power, and
// only together with every commit after it: the WAL is replayed up to its
// first incomplete frame, and a FULL commit syncs the WAL, so every commit
// before it, relaxed or not, is on disk once it returns. After a power
// cut the database is then as it was a moment before, and at least as it
// was at the last durable commit: an accepted delivery (Accept's
// transaction is durable) is never lost; a job's lost writes go with its
// lost completion, and the job runs again, which at-least-once work
// allows for already.
//
// PostgreSQL commits every statement durably as before: River's
// statements there run on the pool directly, outside any transaction this
// package could relax.

type relaxedKey struct{}

// Relaxed marks ctx's writes as ones whose loss with the power only means
// work done again; see above. On PostgreSQL it changes nothing.
func Relaxed(ctx context.Context) context.Context {
	return context.WithValue(ctx, relaxedKey{}, true)
}

// Durable undoes Relaxed for ctx and what derives from it: its commits are
// synced (Sync, an accept's group).
func Durable(ctx context.Context) context.Context {
	return context.WithValue(ctx, relaxedKey{}, false)
}

func relaxed(ctx context.Context) bool {
	r, _ := ctx.Value(relaxedKey{}).(bool)
	return r
}

// syncFor sets the connection's synchronous level for what ctx is about to
// write outside a transaction, or for the transaction it begins (SQLite
// refuses to change it inside one). It runs a pragma only when the level
// changes. A failure to set FULL is returned, so that nothing durable runs
// relaxed.
func (c *stmtConn) syncFor(ctx context.Context) error {
	if c.inTx {
		return nil
	}
	want := syncFull
	if relaxed(ctx) && c.wal != nil && c.wal.Load() {
		want = syncNormal
	}
	if c.sync == want {
		return nil
	}
	if _, err := c.sqliteConn.ExecContext(ctx, "PRAGMA synchronous = "+want, nil); err != nil {
		return fmt.Errorf("set synchronous=%s: %w", want, err)
	}
	c.sync = want
	return nil
}

// Sync makes every commit before it durable. On SQLite it is one synced
// commit (of a counter): in WAL mode that syncs the log up to it, and so
// every relaxed commit before it. On PostgreSQL every commit is durable
// already, and it does nothing.
func (d *DB) Sync(ctx context.Context) error {
	if d.driver != SQLite {
		return nil
	}
	_, err := d.Exec(Durable(ctx), `INSERT INTO stagehand_counters (name, value) VALUES ('sync', 1)
		ON CONFLICT (name) DO UPDATE SET value = stagehand_counters.value + 1`)
	return err
}

const (
	syncFull   = "FULL"
	syncNormal = "NORMAL"
)

func (c *stmtConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.syncFor(ctx); err != nil {
		return nil, err
	}
	tx, err := c.sqliteConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return endTx{Tx: tx, c: c}, nil
}

// endTx notes the transaction's end on its connection.
type endTx struct {
	driver.Tx
	c *stmtConn
}

func (t endTx) Commit() error {
	defer func() { t.c.inTx = false }()
	return t.Tx.Commit()
}

func (t endTx) Rollback() error {
	defer func() { t.c.inTx = false }()
	return t.Tx.Rollback()
}

// PrepareContext returns statements that set the level when they run, as
// the connection's own Exec and Query do.
func (c *stmtConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ps, ok := st.(preparedStmt)
	if !ok {
		_ = st.Close()
		return nil, fmt.Errorf("sqlite: prepared statement %T runs no context", st)
	}
	return syncedStmt{preparedStmt: ps, c: c}, nil
}

type syncedStmt struct {
	preparedStmt
	c *stmtConn
}

func (s syncedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.c.syncFor(ctx); err != nil {
		return nil, err
	}
	return s.preparedStmt.ExecContext(ctx, args)
}

func (s syncedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.c.syncFor(ctx); err != nil {
		return nil, err
	}
	return s.preparedStmt.QueryContext(ctx, args)
}
