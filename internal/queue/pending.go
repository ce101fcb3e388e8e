package queue

import (
	"context"
	"fmt"
	"time"
)

// A pending table coalesces work per key: the newest payload wins and at
// most one job waits for it.
//
// River's unique jobs must count "running" as a unique state, so "one job
// per image" alone would swallow a push that arrives while that image's job
// runs. Instead a job's args carry the key and a generation: Accept stores
// the payload and inserts a job for the row's current gen (duplicates of a
// waiting job are skipped), and a job that takes the payload bumps gen, so
// anything arriving after the take gets a job of its own.
//
// The payload stays in the row until the handler succeeded (done), so a
// process killed mid-call loses nothing: River rescues the job, and the retry
// takes the row again. After a failure, release gives the generation back
// when nothing newer arrived, so later arrivals wait for the retrying job
// instead of adding another.
type pendingTable struct {
	table, key string
}

var (
	pendingPushes = pendingTable{table: "stagehand_pending_pushes", key: "image"}
	pendingChecks = pendingTable{table: "stagehand_pending_checks", key: "sha"}
)

// taken is a payload a job took from a pending table.
type taken struct {
	key     string
	payload []byte
	seq     int64 // the arrival taken
	gen     int64 // the generation before the take: the taker's own, usually
}

// put stores payload as the newest for key and returns the generation the
// job that will handle it must carry.
func (t pendingTable) put(ctx context.Context, q querier, key string, payload []byte, now time.Time) (gen int64, err error) {
	query := fmt.Sprintf(`INSERT INTO %[1]s (%[2]s, payload, seq, done_seq, gen, updated_at) VALUES (?, ?, 1, 0, 0, ?)
		ON CONFLICT (%[2]s) DO UPDATE SET payload = excluded.payload, seq = %[1]s.seq + 1, updated_at = excluded.updated_at
		RETURNING gen`, t.table, t.key)
	err = q.queryRow(ctx, query, key, string(payload), now.UnixNano()).Scan(&gen)
	return gen, err
}

// take returns the waiting payload of key, if any, and moves the key to the
// next generation.
func (t pendingTable) take(ctx context.Context, q querier, key string) (taken, bool, error) {
	query := fmt.Sprintf(`UPDATE %s SET gen = gen + 1 WHERE %s = ? AND seq > done_seq RETURNING payload, seq, gen`,
		t.table, t.key)
	var (
		payload string
		tk      = taken{key: key}
	)
	err := q.queryRow(ctx, query, key).Scan(&payload, &tk.seq, &tk.gen)
	if isNoRows(err) {
		return taken{}, false, nil
	}
	if err != nil {
		return taken{}, false, err
	}
	tk.payload = []byte(payload)
	tk.gen--
	return tk, true, nil
}

// done records that the taken arrival was handled; a newer one keeps waiting.
func (t pendingTable) done(ctx context.Context, q querier, tk taken, now time.Time) error {
	query := fmt.Sprintf(`UPDATE %s SET done_seq = ?, updated_at = ? WHERE %s = ? AND done_seq < ?`, t.table, t.key)
	_, err := q.exec(ctx, query, tk.seq, now.UnixNano(), tk.key, tk.seq)
	return err
}

// release follows a failed handler call: the payload still waits, and if
// nothing arrived since the take, the key returns to the taker's generation
// so that arrivals before its retry join it.
func (t pendingTable) release(ctx context.Context, q querier, tk taken) error {
	query := fmt.Sprintf(`UPDATE %s SET gen = ? WHERE %s = ? AND seq = ? AND gen = ?`, t.table, t.key)
	_, err := q.exec(ctx, query, tk.gen, tk.key, tk.seq, tk.gen+1)
	return err
}

// prune deletes rows untouched since before; no job of theirs is alive by
// then, so restarting their generation at 0 is safe.
func (t pendingTable) prune(ctx context.Context, q querier, before time.Time) (int64, error) {
	return q.exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE updated_at < ?`, t.table), before.UnixNano())
}
