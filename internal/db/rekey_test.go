package db

import (
	"context"
	"testing"
)

// TestRekeyKeepsRows: a database from before stagehand served several
// config repositories keeps every record through the migration that keys
// them by repository; their repo is empty until one claims them.
// Not parallel: it runs the migrations of that time by shortening the
// list, which the parallel tests never see.
func TestRekeyKeepsRows(t *testing.T) {
	ctx := context.Background()
	all := migrations
	t.Cleanup(func() { migrations = all })
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.fresh(t)
			migrations = all[:6]
			d, err := Open(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{
				`INSERT INTO stagehand_holds (app, stage, held_by, reason, held_at, by_rollback, origin_issue, note_comment) VALUES ('web', 'prod', 'ann', 'incident', 1, 0, 7, 0)`,
				`INSERT INTO stagehand_held_requests (app, stage, request, held_at) VALUES ('web', 'prod', '{}', 1)`,
				`INSERT INTO stagehand_stage_history (app, stage, pr, image, tag, digest, merge_sha, merged_by, merged_at, pushed_at, group_name) VALUES ('web', 'prod', 3, 'img', '1.0', 'sha256:x', 'abc', 'ann', 1, 0, '')`,
				`INSERT INTO stagehand_group_candidates (group_name, app, request, offered_at) VALUES ('shop', 'web', '{}', 1)`,
				`INSERT INTO stagehand_deployments (app, stage, pr, tag, digest, merge_sha, group_name, state, merged_at, deadline, done_at, context, target_url, description, deployment_id) VALUES ('web', 'prod', 3, '1.0', 'sha256:x', 'abc', '', 'verifying', 1, 2, 0, '', '', '', 0)`,
			} {
				if _, err := d.Exec(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			_ = d.Close()

			migrations = all
			d, err = Open(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.Ready(ctx); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"stagehand_holds", "stagehand_held_requests", "stagehand_stage_history", "stagehand_group_candidates", "stagehand_deployments"} {
				var n int64
				if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE repo = ''`).Scan(&n); err != nil || n != 1 {
					t.Errorf("%s: %d rows of no repository (%v), want the one from before", table, n, err)
				}
			}
			var reason string
			if err := d.QueryRow(ctx, `SELECT reason FROM stagehand_holds WHERE repo = '' AND app = 'web' AND stage = 'prod'`).Scan(&reason); err != nil || reason != "incident" {
				t.Errorf("the hold's reason = %q, %v", reason, err)
			}
			// The same app and stage in another repository is another row.
			if _, err := d.Exec(ctx, `INSERT INTO stagehand_holds (repo, app, stage, held_by, reason, held_at, by_rollback, origin_issue, note_comment) VALUES ('acme/b', 'web', 'prod', 'bob', '', 1, 0, 0, 0)`); err != nil {
				t.Errorf("a second repository's hold on web/prod: %v", err)
			}
		})
	}
}
