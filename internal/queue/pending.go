package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Pending rows coalesce work per key (an image, a commit) so that at most
// one job waits for it.
//
// River's unique jobs must count "running" as a unique state, so "one job
// per image" alone would swallow a push that arrives while that image's job
// runs. Instead a job's args carry the key and a generation: Accept records
// the arrival and inserts a job for the row's current gen (a duplicate of a
// waiting job is skipped), and a job that takes the work bumps gen, so
// anything arriving after the take gets a job of its own, at once — also
// while an older job of the key waits to retry.
//
// The work stays in the tables until the handler succeeded (done), so a
// process killed mid-call loses nothing: the job is rescued, and its retry
// takes the rows again.
//
// Pushes keep one arrival per tag (stagehand_push_arrivals): the handler
// gets them all and picks the newest by the app's policy, whatever the
// order they came in. Checks keep the newest payload per commit.
type pendingTable struct {
	table, key string
}

var (
	pendingPushes = pendingTable{table: "stagehand_pending_pushes", key: "image"}
	pendingChecks = pendingTable{table: "stagehand_pending_checks", key: "sha"}
)

// taken is what a job took: the arrivals up to seq.
type taken struct {
	key     string
	seq     int64
	payload []byte // checks: the newest payload
}

// put records an arrival for key and returns its sequence number and the
// generation the job that handles it must carry. payload is stored in the
// row for checks; pushes keep theirs in the arrivals table.
func (t pendingTable) put(ctx context.Context, q db.Querier, key string, payload []byte, now time.Time) (seq, gen int64, err error) {
	query := fmt.Sprintf(`INSERT INTO %[1]s (%[2]s, payload, seq, done_seq, gen, updated_at) VALUES (?, ?, 1, 0, 0, ?)
		ON CONFLICT (%[2]s) DO UPDATE SET payload = excluded.payload, seq = %[1]s.seq + 1, updated_at = excluded.updated_at
		RETURNING seq, gen`, t.table, t.key)
	err = q.QueryRow(ctx, query, key, string(payload), now.UnixNano()).Scan(&seq, &gen)
	return seq, gen, err
}

// take marks what waits for key as taken and moves the key to the next
// generation; ok is false when nothing waits (an earlier job handled it).
func (t pendingTable) take(ctx context.Context, q db.Querier, key string) (taken, bool, error) {
	query := fmt.Sprintf(`UPDATE %s SET gen = gen + 1 WHERE %s = ? AND seq > done_seq RETURNING seq, payload`, t.table, t.key)
	var (
		payload string
		tk      = taken{key: key}
	)
	err := q.QueryRow(ctx, query, key).Scan(&tk.seq, &payload)
	if db.IsNoRows(err) {
		return taken{}, false, nil
	}
	if err != nil {
		return taken{}, false, err
	}
	tk.payload = []byte(payload)
	return tk, true, nil
}

// done records that what was taken is handled; newer arrivals keep waiting.
func (t pendingTable) done(ctx context.Context, q db.Querier, tk taken, now time.Time) error {
	query := fmt.Sprintf(`UPDATE %s SET done_seq = ?, updated_at = ? WHERE %s = ? AND done_seq < ?`, t.table, t.key)
	_, err := q.Exec(ctx, query, tk.seq, now.UnixNano(), tk.key, tk.seq)
	return err
}

// waiting lists the keys with work not yet done, with their generation.
func (t pendingTable) waiting(ctx context.Context, q db.Querier) (map[string]int64, error) {
	out := map[string]int64{}
	err := q.Query(ctx, func(row db.Scanner) error {
		var key string
		var gen int64
		if err := row.Scan(&key, &gen); err != nil {
			return err
		}
		out[key] = gen
		return nil
	}, fmt.Sprintf(`SELECT %s, gen FROM %s WHERE seq > done_seq`, t.key, t.table))
	return out, err
}

// prune deletes rows untouched since before; no job of theirs is alive by
// then, so restarting their generation at 0 is safe.
func (t pendingTable) prune(ctx context.Context, q db.Querier, before time.Time) (int64, error) {
	return q.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE updated_at < ? AND seq = done_seq`, t.table), before.UnixNano())
}

// arrivals are the pushes of image up to seq, oldest arrival first.
func arrivals(ctx context.Context, q db.Querier, image string, seq int64) ([]Push, error) {
	var out []Push
	err := q.Query(ctx, func(row db.Scanner) error {
		var payload string
		if err := row.Scan(&payload); err != nil {
			return err
		}
		var p Push
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			return fmt.Errorf("stored push unreadable: %w", err)
		}
		out = append(out, p)
		return nil
	}, `SELECT payload FROM stagehand_push_arrivals WHERE image = ? AND seq <= ? ORDER BY seq`, image, seq)
	return out, err
}

// pushesDone forgets the arrivals of image a job handled.
func pushesDone(ctx context.Context, d *db.DB, tk taken, now time.Time) error {
	if d.Driver() == db.Postgres {
		// One statement, atomic by itself, rather than a transaction of two:
		// a round trip instead of four. A concurrent Accept's newer arrival
		// of a tag is kept either way: the delete waits for its row and
		// reads its seq again.
		_, err := d.Exec(ctx, `WITH arrivals AS (DELETE FROM stagehand_push_arrivals WHERE image = ? AND seq <= ?)
			UPDATE stagehand_pending_pushes SET done_seq = ?, updated_at = ? WHERE image = ? AND done_seq < ?`,
			tk.key, tk.seq, tk.seq, now.UnixNano(), tk.key, tk.seq)
		return err
	}
	return d.InTx(ctx, func(tx db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM stagehand_push_arrivals WHERE image = ? AND seq <= ?`, tk.key, tk.seq); err != nil {
			return err
		}
		return pendingPushes.done(ctx, tx, tk, now)
	})
}
