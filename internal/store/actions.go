package store

import (
	"context"
	"fmt"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Action is one entry of the audit log: something done or refused.
type Action struct {
	ID                                   int64 // assigned by RecordAction
	At                                   time.Time
	Actor                                string // a login, "link", or "stagehand"
	Kind                                 string // push, promote, chain, rollback, hold, release, reconsider
	App, Stage                           string
	FromTag, FromDigest, ToTag, ToDigest string
	PR                                   int
	Result                               string // opened, merged, refused, failed, …
	Reason                               string
	Source                               string // push, reconcile, comment, link, cli, chain, soak, release
	Group                                string // the group the app moved, or was refused, with; "" for none
}

// RecordAction appends a to the audit log and returns its id; a.ID is
// ignored. Ids count up from 1 in the order records commit, on either
// driver.
func (s *Store) RecordAction(ctx context.Context, a Action) (id int64, err error) {
	err = s.db.InTx(ctx, func(tx db.Tx) error {
		// The counter row stays locked until commit, so concurrent
		// recorders, on any replica, take turns and never share an id.
		err := tx.QueryRow(ctx, `INSERT INTO stagehand_counters (name, value) VALUES ('actions', 1)
			ON CONFLICT (name) DO UPDATE SET value = stagehand_counters.value + 1
			RETURNING value`).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO stagehand_actions
			(id, repo, acted_at, actor, kind, app, stage, from_tag, from_digest, to_tag, to_digest, pr, result, reason, source, group_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, s.repo, db.Nanos(a.At), a.Actor, a.Kind, a.App, a.Stage, a.FromTag, a.FromDigest, a.ToTag, a.ToDigest,
			int64(a.PR), a.Result, a.Reason, a.Source, a.Group)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%w: record %s of %s/%s: %w", db.ErrUnavailable, a.Kind, a.App, a.Stage, err)
	}
	return id, nil
}

// Actions lists the audit log of app ("" for every app), newest At first
// and, at equal times, the later record first. limit <= 0 means 20; at
// most 1000 are returned.
func (s *Store) Actions(ctx context.Context, app string, limit int) ([]Action, error) {
	cond, args := s.scope()
	query := `SELECT id, acted_at, actor, kind, app, stage, from_tag, from_digest, to_tag, to_digest, pr, result, reason, source, group_name
		FROM stagehand_actions WHERE ` + cond
	if app != "" {
		query += ` AND app = ?`
		args = append(args, app)
	}
	query += ` ORDER BY acted_at DESC, id DESC LIMIT ?`
	args = append(args, listLimit(limit))

	out := []Action{}
	err := s.db.Query(ctx, func(row db.Scanner) error {
		var (
			a      Action
			at, pr int64
		)
		if err := row.Scan(&a.ID, &at, &a.Actor, &a.Kind, &a.App, &a.Stage, &a.FromTag, &a.FromDigest,
			&a.ToTag, &a.ToDigest, &pr, &a.Result, &a.Reason, &a.Source, &a.Group); err != nil {
			return err
		}
		a.At, a.PR = db.Time(at), int(pr)
		out = append(out, a)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: list actions: %w", db.ErrUnavailable, err)
	}
	return out, nil
}
