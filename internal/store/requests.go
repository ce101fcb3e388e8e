package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Request states.
const (
	Queued = "queued" // waiting in the queue, or being worked
	Done   = "done"   // applied or refused: Result says which
)

// Request is a request made through the queue (a link confirmation, the
// CLI) and how it ended, for whoever waits for it.
type Request struct {
	ID                string
	Kind, App, Stage  string
	Actor, Source     string
	State             string
	Result, Reason    string
	Code              string // why a refusal refused, in a word (promote.Code)
	PR                int
	PRURL             string
	Created, Finished time.Time
}

// AddRequest records a new request as queued; adding an id again changes
// nothing and reports added=false.
func (s *Store) AddRequest(ctx context.Context, q db.Querier, r Request) (added bool, err error) {
	if q == nil {
		q = s.db
	}
	n, err := q.Exec(ctx, `INSERT INTO stagehand_requests
		(id, repo, kind, app, stage, actor, source, state, result, code, reason, pr, pr_url, created_at, done_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', '', 0, '', ?, 0)
		ON CONFLICT (id) DO NOTHING`,
		r.ID, s.repo, r.Kind, r.App, r.Stage, r.Actor, r.Source, Queued, db.Nanos(r.Created))
	if err != nil {
		return false, fmt.Errorf("%w: add request: %w", db.ErrUnavailable, err)
	}
	return n == 1, nil
}

// FinishRequest records how request r.ID ended: r's Result, Code, Reason,
// PR and PRURL.
func (s *Store) FinishRequest(ctx context.Context, r Request, at time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE stagehand_requests SET state = ?, result = ?, code = ?, reason = ?, pr = ?, pr_url = ?, done_at = ?
		WHERE id = ?`, Done, r.Result, r.Code, r.Reason, int64(r.PR), r.PRURL, db.Nanos(at), r.ID)
	if err != nil {
		return fmt.Errorf("%w: finish request: %w", db.ErrUnavailable, err)
	}
	return nil
}

// RequestByID returns request id; ok is false when there is none.
func (s *Store) RequestByID(ctx context.Context, id string) (r Request, ok bool, err error) {
	var pr, created, done int64
	err = s.db.QueryRow(ctx, `SELECT kind, app, stage, actor, source, state, result, code, reason, pr, pr_url, created_at, done_at
		FROM stagehand_requests WHERE id = ?`, id).Scan(&r.Kind, &r.App, &r.Stage, &r.Actor, &r.Source, &r.State,
		&r.Result, &r.Code, &r.Reason, &pr, &r.PRURL, &created, &done)
	if db.IsNoRows(err) {
		return Request{}, false, nil
	}
	if err != nil {
		return Request{}, false, fmt.Errorf("%w: read request: %w", db.ErrUnavailable, err)
	}
	r.ID, r.PR, r.Created, r.Finished = id, int(pr), db.Time(created), db.Time(done)
	return r, true, nil
}
