package queue

import (
	"context"
	"sync"
	"time"
)

// River moves scheduled jobs to the workers every five seconds, which is
// nothing to a soak time of half an hour and much to a group's window of
// two seconds. A job submitted to run within dueSoon is therefore made
// available at its time by the process that submitted it, and picked up at
// the next poll; should that process be gone, River's scheduler moves it
// as before.
const dueSoon = time.Minute

// dueTimers are the wakes this process has armed, stopped with the queue.
type dueTimers struct {
	mu      sync.Mutex
	stopped bool
	timers  map[int64]*time.Timer
}

// wakeAt makes job id available at at, if it is still scheduled then.
func (q *Queue) wakeAt(id int64, at time.Time) {
	d := time.Until(at)
	if d <= 0 || d > dueSoon {
		return
	}
	q.due.mu.Lock()
	defer q.due.mu.Unlock()
	if q.due.stopped || q.due.timers[id] != nil {
		return
	}
	if q.due.timers == nil {
		q.due.timers = map[int64]*time.Timer{}
	}
	q.due.timers[id] = time.AfterFunc(d, func() {
		q.due.mu.Lock()
		delete(q.due.timers, id)
		q.due.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n, err := q.db.Exec(ctx, `UPDATE `+q.db.Table("river_job")+` SET state = 'available' WHERE id = ? AND state = 'scheduled'`, id)
		if err != nil {
			// River's scheduler moves it within seconds.
			q.log.Debug("could not wake a job due now", "job", id, "err", err)
			return
		}
		if n > 0 {
			q.Nudge()
		}
	})
}

// stopWakes stops the wakes not fired yet: River's scheduler moves their
// jobs, for whichever process works them.
func (q *Queue) stopWakes() {
	q.due.mu.Lock()
	defer q.due.mu.Unlock()
	q.due.stopped = true
	for id, t := range q.due.timers {
		t.Stop()
		delete(q.due.timers, id)
	}
}
