package db

import (
	"context"
	"errors"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrLockBusy: another holder kept the key for the whole wait.
var ErrLockBusy = errors.New("another worker holds the lock")

// Lock takes the lock named key, waiting at most wait, and holds it until
// release is called: across replicas on PostgreSQL, with a
// transaction-level advisory lock that a rollback, a broken connection or a
// dead process all release, so it cannot leak; within the process on SQLite,
// which serves one replica only. It fails with ErrLockBusy after wait.
func (d *DB) Lock(ctx context.Context, key string, wait time.Duration) (release func(), err error) {
	if d.pool != nil {
		return d.lockPostgres(ctx, d.lockKey(key), wait)
	}
	return d.lockLocal(ctx, key, wait)
}

// lockKey hashes a lock name, per schema so that two stagehands sharing a
// database in different schemas don't wait on each other.
func (d *DB) lockKey(name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("stagehand:" + d.schema + ":" + name))
	return int64(h.Sum64()) //nolint:gosec // a key, any 64 bits do
}

func (d *DB) lockPostgres(ctx context.Context, key int64, wait time.Duration) (func(), error) {
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	conn, err := d.pool.Acquire(waitCtx)
	if err == nil {
		// BEGIN and the lock in one round trip: a query without arguments
		// goes as one simple-protocol message, and key is a number made
		// here, not text from outside.
		_, err = conn.Exec(waitCtx, "BEGIN; SELECT pg_advisory_xact_lock("+strconv.FormatInt(key, 10)+")")
		if err != nil {
			endLockTx(ctx, conn)
		}
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(waitCtx.Err(), context.DeadlineExceeded) {
			return nil, ErrLockBusy
		}
		return nil, err
	}
	return func() { endLockTx(ctx, conn) }, nil
}

// endLockTx rolls the lock's transaction back, which ends the lock, and
// gives the connection back. If the rollback fails the connection is
// closed, which ends the lock too; the pool never lends a connection left
// in a transaction (it destroys it).
func endLockTx(ctx context.Context, conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
		_ = conn.Conn().Close(ctx)
	}
	conn.Release()
}

// lockLocal is a keyed mutex: one buffered channel per key, kept for the
// life of the process (keys name apps and stages, a bounded set).
func (d *DB) lockLocal(ctx context.Context, key string, wait time.Duration) (func(), error) {
	d.keysMu.Lock()
	ch, ok := d.keys[key]
	if !ok {
		ch = make(chan struct{}, 1)
		d.keys[key] = ch
	}
	d.keysMu.Unlock()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, ErrLockBusy
	}
}
