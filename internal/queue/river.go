package queue

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// riverClient is what the Queue uses of a River client, whichever the
// driver: River's client is generic over its transaction type.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	ID() string
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	// insertTx inserts jobs in one of the database's transactions.
	insertTx(ctx context.Context, tx db.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

type clientOf[TTx any] struct {
	*river.Client[TTx]
}

func (c clientOf[TTx]) insertTx(ctx context.Context, tx db.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return c.InsertManyTx(ctx, tx.Raw().(TTx), params)
}

// newRiverClient builds River's client on d; for SQLite it returns the
// driver too, whose listener Nudge wakes.
func newRiverClient(d *db.DB, cfg *river.Config) (riverClient, *sqliteDriver, error) {
	cfg.Schema = d.Schema()
	if d.Pool() != nil {
		c, err := river.NewClient(riverpgxv5.New(d.Pool()), cfg)
		if err != nil {
			return nil, nil, err
		}
		return clientOf[pgx.Tx]{c}, nil, nil
	}
	driver := newSQLiteDriver(riversqlite.New(d.SQL()))
	c, err := river.NewClient[*sql.Tx](driver, cfg)
	if err != nil {
		return nil, nil, err
	}
	return clientOf[*sql.Tx]{c}, driver, nil
}
