package queue

import (
	"context"
	"fmt"
	"time"
)

// Action is one entry of the audit log: something done or refused.
type Action struct {
	ID         int64     `json:"id"` // assigned by RecordAction
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"` // a login, or "stagehand"
	Kind       string    `json:"kind"`  // promote, rollback, hold, release, chain, push, link
	App        string    `json:"app"`
	Stage      string    `json:"stage"`
	FromTag    string    `json:"from_tag,omitempty"`
	FromDigest string    `json:"from_digest,omitempty"`
	ToTag      string    `json:"to_tag,omitempty"`
	ToDigest   string    `json:"to_digest,omitempty"`
	PR         int       `json:"pr,omitempty"`
	Result     string    `json:"result"` // opened, merged, refused, …
	Reason     string    `json:"reason,omitempty"`
	Source     string    `json:"source"` // comment, link, cli, webhook, chain
}

// RecordAction appends a to the audit log and returns its id; a.ID is
// ignored. Ids count up from 1 in the order records commit, on either
// driver. Database failures wrap ErrUnavailable.
func (s *Store) RecordAction(ctx context.Context, a Action) (id int64, err error) {
	err = s.inTx(ctx, func(tx dbTx) error {
		// The counter row stays locked until commit, so concurrent
		// recorders, on any replica, take turns and never share an id.
		err := tx.queryRow(ctx, `INSERT INTO stagehand_counters (name, value) VALUES ('actions', 1)
			ON CONFLICT (name) DO UPDATE SET value = stagehand_counters.value + 1
			RETURNING value`).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO stagehand_actions
			(id, acted_at, actor, kind, app, stage, from_tag, from_digest, to_tag, to_digest, pr, result, reason, source)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, unixNanos(a.At), a.Actor, a.Kind, a.App, a.Stage, a.FromTag, a.FromDigest, a.ToTag, a.ToDigest,
			int64(a.PR), a.Result, a.Reason, a.Source)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%w: record %s of %s/%s: %w", ErrUnavailable, a.Kind, a.App, a.Stage, err)
	}
	return id, nil
}

// Actions lists the audit log of app ("" for every app), newest At first
// and, at equal times, the later record first. limit <= 0 means 20; at
// most 1000 are returned. Database failures wrap ErrUnavailable.
func (s *Store) Actions(ctx context.Context, app string, limit int) ([]Action, error) {
	query := `SELECT id, acted_at, actor, kind, app, stage, from_tag, from_digest, to_tag, to_digest, pr, result, reason, source
		FROM stagehand_actions`
	args := []any{}
	if app != "" {
		query += ` WHERE app = ?`
		args = append(args, app)
	}
	query += ` ORDER BY acted_at DESC, id DESC LIMIT ?`
	args = append(args, listLimit(limit))

	out := []Action{}
	err := s.query(ctx, func(row scanner) error {
		var (
			a      Action
			at, pr int64
		)
		if err := row.Scan(&a.ID, &at, &a.Actor, &a.Kind, &a.App, &a.Stage, &a.FromTag, &a.FromDigest,
			&a.ToTag, &a.ToDigest, &pr, &a.Result, &a.Reason, &a.Source); err != nil {
			return err
		}
		a.At, a.PR = fromUnixNanos(at), int(pr)
		out = append(out, a)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: list actions: %w", ErrUnavailable, err)
	}
	return out, nil
}
