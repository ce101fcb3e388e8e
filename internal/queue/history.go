package queue

import (
	"context"
	"fmt"
	"time"
)

// StageDone is a stagehand PR merged into the base branch: from then on the
// stage runs Tag@Digest.
type StageDone struct {
	App      string    `json:"app"`
	Stage    string    `json:"stage"`
	Image    string    `json:"image"`
	Tag      string    `json:"tag"`
	Digest   string    `json:"digest"`
	PR       int       `json:"pr"`
	MergeSHA string    `json:"merge_sha"`
	MergedBy string    `json:"merged_by"`
	At       time.Time `json:"merged_at"`
}

// StageDone records d; recording the same PR again changes nothing.
func (s *Store) StageDone(ctx context.Context, d StageDone) error {
	_, err := s.db().exec(ctx, `INSERT INTO stagehand_stage_history
		(app, stage, pr, image, tag, digest, merge_sha, merged_by, merged_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app, stage, pr) DO NOTHING`,
		d.App, d.Stage, int64(d.PR), d.Image, d.Tag, d.Digest, d.MergeSHA, d.MergedBy, d.At.UnixNano())
	if err != nil {
		return fmt.Errorf("record %s/%s done (PR #%d): %w", d.App, d.Stage, d.PR, err)
	}
	return nil
}

// LastDone returns the newest record of app in stage; ok is false when
// there is none.
func (s *Store) LastDone(ctx context.Context, app, stage string) (d StageDone, ok bool, err error) {
	var pr, at int64
	err = s.db().queryRow(ctx, `SELECT pr, image, tag, digest, merge_sha, merged_by, merged_at
		FROM stagehand_stage_history WHERE app = ? AND stage = ?
		ORDER BY merged_at DESC LIMIT 1`, app, stage).Scan(&pr, &d.Image, &d.Tag, &d.Digest, &d.MergeSHA, &d.MergedBy, &at)
	if isNoRows(err) {
		return StageDone{}, false, nil
	}
	if err != nil {
		return StageDone{}, false, fmt.Errorf("read %s/%s history: %w", app, stage, err)
	}
	d.App, d.Stage, d.PR, d.At = app, stage, int(pr), time.Unix(0, at)
	return d, true, nil
}
