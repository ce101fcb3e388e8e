package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// migrations are stagehand's own tables, one entry per schema version; never
// edit an entry, append one.
//
// Pending tables hold the newest payload per key (image, commit SHA). seq
// counts arrivals and done_seq the arrival last handled, so a row waits while
// seq > done_seq; gen is the generation a new job for the key carries (see
// pending.go). updated_at lets old rows be pruned.
var migrations = [][]string{
	{
		`CREATE TABLE stagehand_deliveries (
			id TEXT PRIMARY KEY,
			source TEXT NOT NULL,
			accepted_at BIGINT NOT NULL
		)`,
		`CREATE INDEX stagehand_deliveries_accepted_at ON stagehand_deliveries (accepted_at)`,
		`CREATE TABLE stagehand_pending_pushes (
			image TEXT PRIMARY KEY,
			payload TEXT NOT NULL,
			seq BIGINT NOT NULL,
			done_seq BIGINT NOT NULL,
			gen BIGINT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		`CREATE TABLE stagehand_pending_checks (
			sha TEXT PRIMARY KEY,
			payload TEXT NOT NULL,
			seq BIGINT NOT NULL,
			done_seq BIGINT NOT NULL,
			gen BIGINT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
	},
	{
		// One row per stagehand PR merged into the base branch: the
		// deployment history of each app and stage. Jobs run at least once,
		// so (app, stage, pr) keeps a redelivered merge from counting twice.
		`CREATE TABLE stagehand_stage_history (
			app TEXT NOT NULL,
			stage TEXT NOT NULL,
			pr BIGINT NOT NULL,
			image TEXT NOT NULL,
			tag TEXT NOT NULL,
			digest TEXT NOT NULL,
			merge_sha TEXT NOT NULL,
			merged_by TEXT NOT NULL,
			merged_at BIGINT NOT NULL,
			PRIMARY KEY (app, stage, pr)
		)`,
	},
	{
		// The promotion workflow's state (holds.go, actions.go, links.go).
		// Booleans are BIGINT 0/1 and times Unix nanoseconds, as above.
		`CREATE TABLE stagehand_holds (
			app TEXT NOT NULL,
			stage TEXT NOT NULL,
			held_by TEXT NOT NULL,
			reason TEXT NOT NULL,
			held_at BIGINT NOT NULL,
			by_rollback BIGINT NOT NULL,
			PRIMARY KEY (app, stage)
		)`,
		// Audit log ids come from stagehand_counters, not from SQLite's
		// AUTOINCREMENT or PostgreSQL's identity columns, which share no
		// syntax: the migration runner runs the same DDL on both.
		`CREATE TABLE stagehand_counters (
			name TEXT PRIMARY KEY,
			value BIGINT NOT NULL
		)`,
		`CREATE TABLE stagehand_actions (
			id BIGINT PRIMARY KEY,
			acted_at BIGINT NOT NULL,
			actor TEXT NOT NULL,
			kind TEXT NOT NULL,
			app TEXT NOT NULL,
			stage TEXT NOT NULL,
			from_tag TEXT NOT NULL,
			from_digest TEXT NOT NULL,
			to_tag TEXT NOT NULL,
			to_digest TEXT NOT NULL,
			pr BIGINT NOT NULL,
			result TEXT NOT NULL,
			reason TEXT NOT NULL,
			source TEXT NOT NULL
		)`,
		`CREATE INDEX stagehand_actions_acted_at ON stagehand_actions (acted_at, id)`,
		`CREATE INDEX stagehand_actions_app_acted_at ON stagehand_actions (app, acted_at, id)`,
		`CREATE INDEX stagehand_stage_history_merged_at ON stagehand_stage_history (merged_at)`,
		`CREATE INDEX stagehand_stage_history_app_merged_at ON stagehand_stage_history (app, merged_at)`,
		`CREATE TABLE stagehand_used_links (
			id TEXT PRIMARY KEY,
			used_at BIGINT NOT NULL
		)`,
	},
}

// migrate applies River's migrations and then stagehand's. On PostgreSQL,
// replicas starting together take turns under an advisory lock.
func (s *Store) migrate(ctx context.Context) error {
	if s.pool != nil {
		release, err := s.lockPostgres(ctx, s.lockKey("migrate"), 5*time.Minute)
		if err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		defer release()
	}
	if err := s.migrateRiver(ctx); err != nil {
		return fmt.Errorf("river: %w", err)
	}
	if err := s.migrateStagehand(ctx); err != nil {
		return fmt.Errorf("stagehand: %w", err)
	}
	return nil
}

func (s *Store) migrateRiver(ctx context.Context) error {
	cfg := &rivermigrate.Config{Logger: riverLogger(s.log), Schema: s.schema}
	if s.pool != nil {
		m, err := rivermigrate.New(riverpgxv5.New(s.pool), cfg)
		if err != nil {
			return err
		}
		s.migrator = m
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	m, err := rivermigrate.New(riversqlite.New(s.sqlDB), cfg)
	if err != nil {
		return err
	}
	s.migrator = m
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

func (s *Store) migrateStagehand(ctx context.Context) error {
	if _, err := s.db().exec(ctx, `CREATE TABLE IF NOT EXISTS stagehand_schema_migrations (
		version BIGINT PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return err
	}
	current, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	for v := current + 1; v <= len(migrations); v++ {
		err := s.inTx(ctx, func(tx dbTx) error {
			for _, stmt := range migrations[v-1] {
				if _, err := tx.exec(ctx, stmt); err != nil {
					return err
				}
			}
			_, err := tx.exec(ctx, `INSERT INTO stagehand_schema_migrations (version, applied_at) VALUES (?, ?)`,
				int64(v), time.Now().UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("version %d: %w", v, err)
		}
		s.log.Info("queue database migrated", "version", v, "driver", s.driver)
	}
	return nil
}

func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	var v int64
	err := s.db().queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM stagehand_schema_migrations`).Scan(&v)
	return int(v), err
}
