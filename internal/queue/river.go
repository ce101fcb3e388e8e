package queue

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// riverClient is what the Queue uses of a River client, whichever the
// driver: River's client is generic over its transaction type.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	// insertTx inserts jobs in one of the Store's transactions.
	insertTx(ctx context.Context, tx dbTx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

type clientOf[TTx any] struct {
	*river.Client[TTx]
	unwrap func(dbTx) TTx
}

func (c clientOf[TTx]) insertTx(ctx context.Context, tx dbTx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return c.InsertManyTx(ctx, c.unwrap(tx), params)
}

func (s *Store) newRiverClient(cfg *river.Config) (riverClient, error) {
	cfg.Schema = s.schema
	if s.pool != nil {
		c, err := river.NewClient(riverpgxv5.New(s.pool), cfg)
		if err != nil {
			return nil, err
		}
		return clientOf[pgx.Tx]{c, func(tx dbTx) pgx.Tx { return tx.(*pgTx).tx }}, nil
	}
	c, err := river.NewClient(riversqlite.New(s.sqlDB), cfg)
	if err != nil {
		return nil, err
	}
	return clientOf[*sql.Tx]{c, func(tx dbTx) *sql.Tx { return tx.(*sqlTx).tx }}, nil
}
