package db

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
)

// openTestSQLite opens a fresh SQLite database with one table t(k, v).
func openTestSQLite(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "cache.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := d.Exec(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return d
}

// The kept statements answer as fresh ones would: the same text run
// again with other arguments, a query of the same text nested inside a
// loop over its own rows, a failing statement and the one after it, and
// more distinct texts than the cache keeps, some evicted while their rows
// are still open.
func TestKeptStatementsAnswerAsFreshOnes(t *testing.T) {
	ctx := context.Background()
	d := openTestSQLite(t)

	const insert = `INSERT INTO t (k, v) VALUES (?, ?)`
	for k := range 10 {
		if _, err := d.Exec(ctx, insert, k, fmt.Sprint("v", k)); err != nil {
			t.Fatal(err)
		}
	}
	// A duplicate key fails, and the statement still works afterwards.
	if _, err := d.Exec(ctx, insert, 3, "again"); err == nil {
		t.Fatal("inserting key 3 twice succeeded")
	}
	if _, err := d.Exec(ctx, insert, 10, "v10"); err != nil {
		t.Fatalf("the insert after a failed one: %v", err)
	}

	// Nested: for each k, the same text again for k's neighbour. SQLite
	// has one connection; a transaction's queries share it.
	const get = `SELECT k, v FROM t WHERE k >= ? ORDER BY k LIMIT 2`
	var pairs []string
	err := d.InTx(ctx, func(tx Tx) error {
		return tx.Query(ctx, func(row Scanner) error {
			var k int
			var v string
			if err := row.Scan(&k, &v); err != nil {
				return err
			}
			var inner []string
			err := tx.Query(ctx, func(row Scanner) error {
				var k2 int
				var v2 string
				if err := row.Scan(&k2, &v2); err != nil {
					return err
				}
				inner = append(inner, v2)
				return nil
			}, get, k+5)
			pairs = append(pairs, fmt.Sprint(v, inner))
			return err
		}, get, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[v0[v5 v6] v1[v6 v7]]"; fmt.Sprint(pairs) != want {
		t.Errorf("nested queries of one text read %v, want %v", pairs, want)
	}

	// More texts than the cache keeps, while rows of the first are open:
	// it is evicted, and its rows still read to their end.
	n := 0
	err = d.InTx(ctx, func(tx Tx) error {
		return tx.Query(ctx, func(row Scanner) error {
			if n == 0 {
				for i := range stmtCacheSize + 10 {
					var got int
					if err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT %d + k FROM t WHERE k = ?`, i), 1).Scan(&got); err != nil {
						return err
					}
					if got != i+1 {
						return fmt.Errorf("SELECT %d + 1 = %d", i, got)
					}
				}
			}
			n++
			return nil
		}, `SELECT k FROM t ORDER BY k`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 11 {
		t.Errorf("the evicted statement's rows read %d rows, want 11", n)
	}
	// The evicted text compiles again and answers.
	var count int
	if err := d.QueryRow(ctx, `SELECT k FROM t ORDER BY k`).Scan(&count); err != nil || count != 0 {
		t.Errorf("the evicted text run again: %d, %v", count, err)
	}
	// The connection keeps what it compiled.
	if _, err := d.Exec(ctx, insert, 11, "v11"); err != nil {
		t.Fatal(err)
	}
	conn, err := d.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Raw(func(c any) error {
		sc, ok := c.(*stmtConn)
		if !ok {
			return fmt.Errorf("the connection is a %T, not one that keeps statements", c)
		}
		if _, kept := sc.byText[insert]; !kept {
			return fmt.Errorf("the insert just run is not kept")
		}
		if len(sc.byText) > stmtCacheSize {
			return fmt.Errorf("%d statements kept, more than %d", len(sc.byText), stmtCacheSize)
		}
		return nil
	})
	_ = conn.Close()
	if err != nil {
		t.Error(err)
	}

	// A transaction rolled back leaves nothing, through kept statements too.
	tx := func(tx Tx) error {
		if _, err := tx.Exec(ctx, insert, 99, "gone"); err != nil {
			return err
		}
		return fmt.Errorf("roll back")
	}
	if err := d.InTx(ctx, tx); err == nil {
		t.Fatal("the transaction did not fail")
	}
	if err := d.QueryRow(ctx, `SELECT count(*) FROM t WHERE k = 99`).Scan(&count); err != nil || count != 0 {
		t.Errorf("after the rollback k=99 counts %d (%v), want 0", count, err)
	}
}
