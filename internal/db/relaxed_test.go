package db

import (
	"context"
	"path/filepath"
	"testing"
)

// On SQLite a write is synced to disk (synchronous FULL, 2) unless its
// context is Relaxed (NORMAL, 1), outside a transaction and in one alike;
// Durable undoes Relaxed, and the level follows each write, whatever the
// one before it was.
func TestRelaxedWritesAloneSkipTheSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "stagehand.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	level := func(ctx context.Context, inTx bool) int64 {
		t.Helper()
		var n int64
		read := func(q Querier) error { return q.QueryRow(ctx, "PRAGMA synchronous").Scan(&n) }
		if inTx {
			err = d.InTx(ctx, func(tx Tx) error { return read(tx) })
		} else {
			err = read(d)
		}
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	relaxed := Relaxed(ctx)
	cases := []struct {
		name string
		ctx  context.Context
		want int64
	}{
		{"plain", ctx, 2},
		{"relaxed", relaxed, 1},
		{"plain after relaxed", ctx, 2},
		{"relaxed again", relaxed, 1},
		{"durable after relaxed", Durable(relaxed), 2},
		{"relaxed in a durable one's wake", Relaxed(Durable(relaxed)), 1},
	}
	for _, inTx := range []bool{false, true} {
		for _, tc := range cases {
			if got := level(tc.ctx, inTx); got != tc.want {
				t.Errorf("%s (in a transaction %t): synchronous = %d, want %d", tc.name, inTx, got, tc.want)
			}
		}
	}
	// Statements prepared through database/sql follow the same rule. (A
	// prepared PRAGMA answers with the level it was prepared at, so the
	// connection says what it set.)
	stmt, err := d.SQL().PrepareContext(ctx, "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	connLevel := func() (level string) {
		t.Helper()
		conn, err := d.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.Raw(func(dc any) error { level = dc.(*stmtConn).sync; return nil }); err != nil {
			t.Fatal(err)
		}
		return level
	}
	for _, tc := range cases {
		var one int64
		if err := stmt.QueryRowContext(tc.ctx).Scan(&one); err != nil {
			t.Fatal(err)
		}
		want := map[int64]string{1: syncNormal, 2: syncFull}[tc.want]
		if got := connLevel(); got != want {
			t.Errorf("%s (prepared): synchronous = %s, want %s", tc.name, got, want)
		}
	}
}
