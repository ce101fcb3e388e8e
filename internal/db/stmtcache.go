package db

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"
)

// SQLite compiles every statement it runs; modernc's driver compiles a
// query again each time it is run unprepared, which is how River and most
// of stagehand run theirs. Measured under a burst of deliveries, compiling
// was about a sixth of the process's CPU time: the same few dozen texts,
// compiled thousands of times a second. So each connection keeps the
// statements it compiled, by text, and runs them again (the driver resets
// a prepared statement instead of finalizing it).
//
// A statement is lent to one query at a time: while rows of it are open
// (a query nested inside another's loop over the same text), the second
// runs unprepared, as before.

// stmtCacheSize bounds the statements one connection keeps. Group commits
// write multi-row statements whose text varies with the group's size, so
// the cache is a least-recently-used list, not a grow-only map.
const stmtCacheSize = 256

// sqliteConn is what database/sql uses of modernc's connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// preparedStmt is what the cache runs of modernc's statement.
type preparedStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// fullRows is everything modernc's rows tell database/sql.
type fullRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// stmtConnector opens connections of driver d to dsn that keep their
// statements.
type stmtConnector struct {
	d   driver.Driver
	dsn string
	// wal says the database is in WAL mode, where a relaxed commit is
	// safe (relaxed.go); set once the mode is known.
	wal *atomic.Bool
}

func (c stmtConnector) Driver() driver.Driver { return c.d }

func (c stmtConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.d.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok { // another driver version: run as it is
		return conn, nil
	}
	return &stmtConn{sqliteConn: inner, byText: map[string]*list.Element{}, lru: list.New(), sync: syncFull, wal: c.wal}, nil
}

// stmtConn is a connection that keeps its statements. database/sql uses a
// connection from one goroutine at a time, so it needs no lock.
type stmtConn struct {
	sqliteConn
	byText map[string]*list.Element // of *cachedStmt
	lru    *list.List               // most recently used first
	// sync is the connection's synchronous level and inTx whether a
	// transaction is open (relaxed.go).
	sync string
	inTx bool
	wal  *atomic.Bool
}

type cachedStmt struct {
	text string
	stmt preparedStmt
	busy bool // rows of it are open
}

// lend returns the kept statement for text, compiling it the first time;
// nil when it is lent out already or cannot be kept.
func (c *stmtConn) lend(ctx context.Context, text string) *cachedStmt {
	if e, ok := c.byText[text]; ok {
		s := e.Value.(*cachedStmt)
		if s.busy {
			return nil
		}
		c.lru.MoveToFront(e)
		return s
	}
	st, err := c.sqliteConn.PrepareContext(ctx, text)
	if err != nil {
		return nil // the unprepared run reports the error
	}
	ps, ok := st.(preparedStmt)
	if !ok {
		_ = st.Close()
		return nil
	}
	s := &cachedStmt{text: text, stmt: ps}
	c.byText[text] = c.lru.PushFront(s)
	for c.lru.Len() > stmtCacheSize {
		old := c.lru.Back()
		victim := old.Value.(*cachedStmt)
		if victim.busy { // its rows close it (keptRows.Close)
			victim.stmt = closeLater{victim.stmt}
		} else {
			_ = victim.stmt.Close()
		}
		c.lru.Remove(old)
		delete(c.byText, victim.text)
	}
	return s
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.syncFor(ctx); err != nil {
		return nil, err
	}
	s := c.lend(ctx, query)
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.syncFor(ctx); err != nil {
		return nil, err
	}
	s := c.lend(ctx, query)
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	r, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	fr, ok := r.(fullRows)
	if !ok {
		// Rows that cannot be watched for their end make the statement
		// unsafe to lend again: forget it once these are read.
		c.forget(s)
		return closeWith{Rows: r, stmt: s.stmt}, nil
	}
	s.busy = true
	return &keptRows{fullRows: fr, s: s}, nil
}

// forget drops s from the cache without closing it.
func (c *stmtConn) forget(s *cachedStmt) {
	if e, ok := c.byText[s.text]; ok && e.Value.(*cachedStmt) == s {
		c.lru.Remove(e)
		delete(c.byText, s.text)
	}
}

func (c *stmtConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).stmt.Close())
	}
	c.lru.Init()
	clear(c.byText)
	errs = append(errs, c.sqliteConn.Close())
	return errors.Join(errs...)
}

// keptRows hands the statement back when closed.
type keptRows struct {
	fullRows
	s *cachedStmt
}

func (r *keptRows) Close() error {
	err := r.fullRows.Close() // resets the statement for its next use
	if cl, ok := r.s.stmt.(closeLater); ok {
		return errors.Join(err, cl.preparedStmt.Close())
	}
	r.s.busy = false
	return err
}

// closeLater marks a statement evicted while lent: its rows close it.
type closeLater struct{ preparedStmt }

// closeWith closes a statement with the rows that were its last use.
type closeWith struct {
	driver.Rows
	stmt driver.Stmt
}

func (r closeWith) Close() error {
	return errors.Join(r.Rows.Close(), r.stmt.Close())
}
