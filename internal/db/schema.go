package db

import (
	"context"
	"fmt"
	"strings"
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
	{
		// Pushes of one image that arrived since its job last took them,
		// one row per tag: a burst is decided on all of them, by the app's
		// tag policy, not by which arrived last (queue/pending.go).
		`CREATE TABLE stagehand_push_arrivals (
			image TEXT NOT NULL,
			tag TEXT NOT NULL,
			seq BIGINT NOT NULL,
			payload TEXT NOT NULL,
			PRIMARY KEY (image, tag)
		)`,
		// Where a hold was placed (an issue or PR number, 0 for none) and
		// the one note stagehand keeps there about what the hold stopped.
		`ALTER TABLE stagehand_holds ADD COLUMN origin_issue BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE stagehand_holds ADD COLUMN note_comment BIGINT NOT NULL DEFAULT 0`,
		// When the registry said a merged image was pushed (0 when it did
		// not): a pattern policy never moves a stage to an image pushed
		// before the one it runs.
		`ALTER TABLE stagehand_stage_history ADD COLUMN pushed_at BIGINT NOT NULL DEFAULT 0`,
		// The newest automatic promotion a hold refused, per app and stage:
		// releasing the stage proposes it at once.
		`CREATE TABLE stagehand_held_requests (
			app TEXT NOT NULL,
			stage TEXT NOT NULL,
			request TEXT NOT NULL,
			held_at BIGINT NOT NULL,
			PRIMARY KEY (app, stage)
		)`,
		// Requests made through the queue (links, the CLI) and how they
		// ended, so that whoever made one can wait for its outcome.
		`CREATE TABLE stagehand_requests (
			id TEXT PRIMARY KEY,
			kind TEXT NOT NULL,
			app TEXT NOT NULL,
			stage TEXT NOT NULL,
			actor TEXT NOT NULL,
			source TEXT NOT NULL,
			state TEXT NOT NULL,
			result TEXT NOT NULL,
			code TEXT NOT NULL,
			reason TEXT NOT NULL,
			pr BIGINT NOT NULL,
			pr_url TEXT NOT NULL,
			created_at BIGINT NOT NULL,
			done_at BIGINT NOT NULL
		)`,
		`CREATE INDEX stagehand_requests_created_at ON stagehand_requests (created_at)`,
		// Running jobs and the last sign of life of the worker running each:
		// a job whose worker stopped beating is rescued within seconds, not
		// after River's job timeout (queue/lease.go).
		`CREATE TABLE stagehand_job_leases (
			job_id BIGINT PRIMARY KEY,
			owner TEXT NOT NULL,
			beat_at BIGINT NOT NULL
		)`,
	},
	{
		// Grouped releases: the newest push of each member of a group
		// waiting for the group's window to close, and which group's PR
		// a merge or an action belongs to ('' for an app's own).
		`CREATE TABLE stagehand_group_candidates (
			group_name TEXT NOT NULL,
			app TEXT NOT NULL,
			request TEXT NOT NULL,
			offered_at BIGINT NOT NULL,
			PRIMARY KEY (group_name, app)
		)`,
		`ALTER TABLE stagehand_stage_history ADD COLUMN group_name TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE stagehand_actions ADD COLUMN group_name TEXT NOT NULL DEFAULT ''`,
	},
	{
		// What each stagehand merge into a stage became: its GitHub
		// deployment, and the stage's health gate (verify) from waiting
		// to healthy, failed or timed out (store/deployments.go).
		`CREATE TABLE stagehand_deployments (
			app TEXT NOT NULL,
			stage TEXT NOT NULL,
			pr BIGINT NOT NULL,
			tag TEXT NOT NULL,
			digest TEXT NOT NULL,
			merge_sha TEXT NOT NULL,
			group_name TEXT NOT NULL,
			state TEXT NOT NULL,
			merged_at BIGINT NOT NULL,
			deadline BIGINT NOT NULL,
			done_at BIGINT NOT NULL,
			context TEXT NOT NULL,
			target_url TEXT NOT NULL,
			description TEXT NOT NULL,
			deployment_id BIGINT NOT NULL,
			PRIMARY KEY (app, stage, pr)
		)`,
		`CREATE INDEX stagehand_deployments_state ON stagehand_deployments (state)`,
	},
	// Every config repository the App is installed on is served: the
	// records of each carry its owner/name. Rows written before belong to
	// no repository ('') until stagehand gives them to the one it served
	// (store.Claim). Tables keyed by app are rebuilt with the repository
	// in their key (SQLite cannot change a primary key in place).
	append(append(append(append(append(
		rekey("stagehand_holds", `app TEXT NOT NULL, stage TEXT NOT NULL, held_by TEXT NOT NULL, reason TEXT NOT NULL,
			held_at BIGINT NOT NULL, by_rollback BIGINT NOT NULL, origin_issue BIGINT NOT NULL, note_comment BIGINT NOT NULL`,
			"app, stage, held_by, reason, held_at, by_rollback, origin_issue, note_comment", "app, stage"),
		rekey("stagehand_held_requests", `app TEXT NOT NULL, stage TEXT NOT NULL, request TEXT NOT NULL, held_at BIGINT NOT NULL`,
			"app, stage, request, held_at", "app, stage")...),
		rekey("stagehand_stage_history", `app TEXT NOT NULL, stage TEXT NOT NULL, pr BIGINT NOT NULL, image TEXT NOT NULL,
			tag TEXT NOT NULL, digest TEXT NOT NULL, merge_sha TEXT NOT NULL, merged_by TEXT NOT NULL, merged_at BIGINT NOT NULL,
			pushed_at BIGINT NOT NULL, group_name TEXT NOT NULL`,
			"app, stage, pr, image, tag, digest, merge_sha, merged_by, merged_at, pushed_at, group_name", "app, stage, pr")...),
		rekey("stagehand_group_candidates", `group_name TEXT NOT NULL, app TEXT NOT NULL, request TEXT NOT NULL, offered_at BIGINT NOT NULL`,
			"group_name, app, request, offered_at", "group_name, app")...),
		rekey("stagehand_deployments", `app TEXT NOT NULL, stage TEXT NOT NULL, pr BIGINT NOT NULL, tag TEXT NOT NULL,
			digest TEXT NOT NULL, merge_sha TEXT NOT NULL, group_name TEXT NOT NULL, state TEXT NOT NULL, merged_at BIGINT NOT NULL,
			deadline BIGINT NOT NULL, done_at BIGINT NOT NULL, context TEXT NOT NULL, target_url TEXT NOT NULL,
			description TEXT NOT NULL, deployment_id BIGINT NOT NULL`,
			"app, stage, pr, tag, digest, merge_sha, group_name, state, merged_at, deadline, done_at, context, target_url, description, deployment_id",
			"app, stage, pr")...),
		`CREATE INDEX stagehand_stage_history_merged_at ON stagehand_stage_history (merged_at)`,
		`CREATE INDEX stagehand_stage_history_app_merged_at ON stagehand_stage_history (repo, app, merged_at)`,
		`CREATE INDEX stagehand_deployments_state ON stagehand_deployments (state)`,
		`ALTER TABLE stagehand_actions ADD COLUMN repo TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE stagehand_requests ADD COLUMN repo TEXT NOT NULL DEFAULT ''`,
	),
}

// rekey rebuilds table with a repo column first in its primary key; the
// rows it had get an empty repo. Its indexes go with it: the caller makes them
// again.
func rekey(table, columns, names, key string) []string {
	return []string{
		`CREATE TABLE ` + table + `_rekeyed (repo TEXT NOT NULL, ` + columns + `, PRIMARY KEY (repo, ` + key + `))`,
		`INSERT INTO ` + table + `_rekeyed (repo, ` + names + `) SELECT '', ` + names + ` FROM ` + table,
		`DROP TABLE ` + table,
		`ALTER TABLE ` + table + `_rekeyed RENAME TO ` + table,
	}
}

// migrate applies River's migrations and then stagehand's. On PostgreSQL,
// replicas starting together take turns under an advisory lock.
func (d *DB) migrate(ctx context.Context) error {
	if d.pool != nil {
		release, err := d.lockPostgres(ctx, d.lockKey("migrate"), 5*time.Minute)
		if err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		defer release()
	}
	if err := d.migrateRiver(ctx, rivermigrate.DirectionUp); err != nil {
		return fmt.Errorf("river: %w", err)
	}
	if err := d.migrateStagehand(ctx); err != nil {
		return fmt.Errorf("stagehand: %w", err)
	}
	return nil
}

func (d *DB) migrateRiver(ctx context.Context, dir rivermigrate.Direction) error {
	cfg := &rivermigrate.Config{Logger: RiverLogger(d.log), Schema: d.schema}
	if d.pool != nil {
		m, err := rivermigrate.New(riverpgxv5.New(d.pool), cfg)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, dir, nil)
		return err
	}
	m, err := rivermigrate.New(riversqlite.New(d.sqlDB), cfg)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, dir, nil)
	return err
}

func (d *DB) validateRiver(ctx context.Context) (*rivermigrate.ValidateResult, error) {
	cfg := &rivermigrate.Config{Logger: RiverLogger(d.log), Schema: d.schema}
	if d.pool != nil {
		m, err := rivermigrate.New(riverpgxv5.New(d.pool), cfg)
		if err != nil {
			return nil, err
		}
		return m.Validate(ctx, nil)
	}
	m, err := rivermigrate.New(riversqlite.New(d.sqlDB), cfg)
	if err != nil {
		return nil, err
	}
	return m.Validate(ctx, nil)
}

func (d *DB) migrateStagehand(ctx context.Context) error {
	if _, err := d.Exec(ctx, `CREATE TABLE IF NOT EXISTS stagehand_schema_migrations (
		version BIGINT PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return err
	}
	current, err := d.schemaVersion(ctx)
	if err != nil {
		return err
	}
	for v := current + 1; v <= len(migrations); v++ {
		err := d.InTx(ctx, func(tx Tx) error {
			for _, stmt := range migrations[v-1] {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO stagehand_schema_migrations (version, applied_at) VALUES (?, ?)`,
				int64(v), time.Now().UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("version %d: %w", v, err)
		}
		d.log.Info("database migrated", "version", v, "driver", d.driver)
	}
	return nil
}

func (d *DB) schemaVersion(ctx context.Context) (int, error) {
	var v int64
	err := d.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM stagehand_schema_migrations`).Scan(&v)
	return int(v), err
}

// Ready reports whether the database answers and carries every migration,
// River's and stagehand's (for /readyz).
func (d *DB) Ready(ctx context.Context) error {
	res, err := d.validateRiver(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !res.OK {
		return fmt.Errorf("river migrations missing: %s", strings.Join(res.Messages, "; "))
	}
	version, err := d.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if version != len(migrations) {
		return fmt.Errorf("stagehand schema at version %d, want %d", version, len(migrations))
	}
	return nil
}
