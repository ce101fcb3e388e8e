package db

import (
	"context"
	"errors"
	"hash/fnv"
	"time"
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
	tx, err := d.pool.Begin(waitCtx)
	if err == nil {
		_, err = tx.Exec(waitCtx, "SELECT pg_advisory_xact_lock($1)", key)
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(waitCtx.Err(), context.DeadlineExceeded) {
			return nil, ErrLockBusy
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
