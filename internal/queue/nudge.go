package queue

import (
	"context"
	"errors"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// River hears of new jobs by notification. PostgreSQL delivers River's
// NOTIFY when the inserting transaction commits, and workers fetch at once.
// River's SQLite driver writes notifications to an outbox table instead and
// polls it every 50 ms, so accepted work would wait that long for a worker.
// The queue is the one writer of an SQLite database (one replica), so it
// knows when it committed jobs: sqliteDriver's listener polls the outbox at
// once when Nudge says so, and on its own schedule otherwise.

// sqliteDriver is River's SQLite driver with a listener that can be woken.
type sqliteDriver struct {
	*riversqlite.Driver
	wake chan struct{}
}

func newSQLiteDriver(d *riversqlite.Driver) *sqliteDriver {
	return &sqliteDriver{Driver: d, wake: make(chan struct{}, 1)}
}

func (d *sqliteDriver) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &wakeListener{Listener: d.Driver.GetListener(params), wake: d.wake}
}

// nudge wakes the listener; it never blocks, and wakes that come together
// make one poll.
func (d *sqliteDriver) nudge() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// wakeListener is a polling listener that polls at once when woken.
type wakeListener struct {
	riverdriver.Listener
	wake <-chan struct{}
}

func (l *wakeListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		waitCtx, cancel := context.WithCancel(ctx)
		woken := make(chan struct{})
		go func() {
			select {
			case <-l.wake:
				close(woken)
				cancel()
			case <-waitCtx.Done():
			}
		}()
		n, err := l.Listener.WaitForNotification(waitCtx)
		cancel()
		select {
		case <-woken:
			if n != nil {
				return n, err
			}
			if ctx.Err() == nil && errors.Is(err, context.Canceled) {
				continue // woken in the wait: poll now
			}
		default:
		}
		return n, err
	}
}

// Nudge makes the workers look for jobs at once rather than at the next
// poll of River's notifications; call it after committing a transaction
// that inserted jobs with SubmitTx. It never blocks, and does nothing where
// River is notified by the database.
func (q *Queue) Nudge() {
	if q.sqlite != nil {
		q.sqlite.nudge()
	}
}
