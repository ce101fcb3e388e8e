package queue

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
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
		driver := riverpgxv5.New(d.Pool())
		c, err := river.NewClient(driver, cfg)
		if err != nil {
			return nil, nil, err
		}
		return &pgClient{clientOf: clientOf[pgx.Tx]{c}, driver: driver, schema: cfg.Schema, sent: map[string]time.Time{}}, nil, nil
	}
	driver := newSQLiteDriver(riversqlite.New(d.SQL()))
	c, err := river.NewClient[*sql.Tx](driver, cfg)
	if err != nil {
		return nil, nil, err
	}
	return clientOf[*sql.Tx]{c}, driver, nil
}

// pgClient is River's client on PostgreSQL, whose inserts always end in a
// notification. River notifies a queue at most once per FetchCooldown: an
// insert that commits just after another (a push accepted as the previous
// push's job queues its next step) is not announced, and when the fetch the
// first notification caused ran before the second commit, the job waited
// for the next poll (up to 50 ms; most of stagehand's p99 per push).
// pgClient sends the notification River held back, in the same
// transaction, so it arrives when the job is visible.
type pgClient struct {
	clientOf[pgx.Tx]
	driver *riverpgxv5.Driver
	schema string

	mu   sync.Mutex
	sent map[string]time.Time // queue → when River last notified it, as far as we know
}

func (c *pgClient) insertTx(ctx context.Context, tx db.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	res, err := c.clientOf.insertTx(ctx, tx, params)
	if err != nil {
		return res, err
	}
	var payloads []string
	now := time.Now()
	seen := map[string]bool{}
	c.mu.Lock()
	for _, r := range res {
		// River announces jobs that are available now, once per queue
		// an insert touches.
		if r == nil || r.Job == nil || r.Job.State != rivertype.JobStateAvailable || seen[r.Job.Queue] {
			continue
		}
		queue := r.Job.Queue
		seen[queue] = true
		// River read its clock a moment before ours: within the margin
		// it may have held back, and a notification too many costs one
		// cheap fetch.
		if now.Sub(c.sent[queue]) < fetchCooldown+fetchCooldown/2 {
			payloads = append(payloads, insertPayload(queue))
			continue
		}
		c.sent[queue] = now // River notified
	}
	c.mu.Unlock()
	if len(payloads) == 0 {
		return res, nil
	}
	err = c.driver.UnwrapExecutor(tx.Raw().(pgx.Tx)).NotifyMany(ctx, &riverdriver.NotifyManyParams{
		Payload: payloads, Schema: c.schema, Topic: "river_insert",
	})
	return res, err
}

// insertPayload is River's insert notification for queue.
func insertPayload(queue string) string { return fmt.Sprintf(`{"queue": %q}`, queue) }
