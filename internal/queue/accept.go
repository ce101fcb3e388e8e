package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Accept stores the work of d durably: its id (a duplicate id returns
// duplicate=true and writes nothing else), the pending rows and River's
// jobs. Once it returns nil the work survives a crash; answer the sender
// 2xx only then. Database failures wrap db.ErrUnavailable (answer 503); an
// incomplete Delivery wraps ErrInvalid.
//
// Deliveries accepted at the same moment share one transaction, and so one
// sync to disk (group commit): the first to come commits what has queued
// up behind the transaction before it, so a lone delivery waits for
// nobody, and a crowd costs a sync per group, not per delivery.
func (q *Queue) Accept(ctx context.Context, d Delivery) (duplicate bool, err error) {
	if err := d.validate(); err != nil {
		return false, err
	}
	c := &acceptCall{d: d, now: time.Now(), done: make(chan struct{}), lead: make(chan struct{})}
	q.group.mu.Lock()
	q.group.waiting = append(q.group.waiting, c)
	leading := !q.group.busy
	q.group.busy = true
	q.group.mu.Unlock()
	if !leading {
		select {
		case <-c.done:
			return c.duplicate, c.err
		case <-c.lead:
		}
	}
	q.commitGroup(ctx)
	<-c.done
	return c.duplicate, c.err
}

// acceptCall is one Accept waiting for its group's commit.
type acceptCall struct {
	d         Delivery
	now       time.Time
	duplicate bool
	err       error
	done      chan struct{} // closed once committed or failed
	lead      chan struct{} // closed when this call is to commit the next group
}

// acceptGroup is the group commit's state: the calls waiting, and whether
// a commit is under way.
type acceptGroup struct {
	mu      sync.Mutex
	busy    bool
	waiting []*acceptCall
}

// maxGroup bounds a group, so that one transaction stays short.
const maxGroup = 256

// commitGroup commits the calls waiting (at most maxGroup) in one
// transaction, then hands the lead to the next waiting call, if any, so
// that no caller commits other people's groups for ever.
func (q *Queue) commitGroup(ctx context.Context) {
	q.group.mu.Lock()
	n := min(len(q.group.waiting), maxGroup)
	group := q.group.waiting[:n:n]
	q.group.waiting = q.group.waiting[n:]
	q.group.mu.Unlock()

	// The group is others' work too: the leader's sender hanging up does
	// not cancel it. It is synced before anyone is told it is stored.
	ctx, cancel := context.WithTimeout(db.Durable(context.WithoutCancel(ctx)), 30*time.Second)
	defer cancel()
	// Workers are woken only when a job was inserted: an arrival for an
	// image whose job waits already joins that job, and a fetch would
	// find nothing (at thousands of deliveries a second, most arrive so).
	nudge, err := q.acceptTx(ctx, group)
	if err != nil && len(group) > 1 {
		// One delivery's trouble is not the others': each on its own.
		for _, c := range group {
			var fresh bool
			fresh, c.err = q.acceptTx(ctx, []*acceptCall{c})
			nudge = nudge || fresh
		}
	} else {
		for _, c := range group {
			c.err = err
		}
	}
	for _, c := range group {
		if c.err != nil {
			c.duplicate, c.err = false, fmt.Errorf("%w: accept delivery %s: %w", db.ErrUnavailable, c.d.ID, c.err)
		}
		close(c.done)
	}
	if nudge {
		q.Nudge()
	}

	q.group.mu.Lock()
	defer q.group.mu.Unlock()
	if len(q.group.waiting) == 0 {
		q.group.busy = false
		return
	}
	close(q.group.waiting[0].lead)
}

// acceptTx stores the group's deliveries in one transaction and sets each
// call's duplicate. It writes set by set, not delivery by delivery: one
// statement for the delivery ids, one for the images' pending rows, one
// for the arrivals, one for River's jobs, so that a group costs a few round
// trips to the database whatever its size. inserted says whether a job
// was inserted rather than skipped as the duplicate of one waiting.
func (q *Queue) acceptTx(ctx context.Context, group []*acceptCall) (inserted bool, err error) {
	err = q.db.InTx(ctx, func(tx db.Tx) error {
		fresh, err := insertDeliveries(ctx, tx, group)
		if err != nil {
			return err
		}
		var (
			pushes []Push
			jobs   []river.InsertManyParams
			seen   = map[river.JobArgs]bool{} // deliveries of one commit share its waiting job
		)
		for _, c := range group {
			if c.duplicate = !fresh[c]; c.duplicate {
				continue
			}
			pushes = append(pushes, c.d.pushes(c.now)...)
			more, err := q.stage(ctx, tx, c.d, c.now)
			if err != nil {
				return err
			}
			for _, j := range more {
				if _, ok := j.Args.(checksArgs); ok { // comparable, and unique by its args
					if seen[j.Args] {
						continue
					}
					seen[j.Args] = true
				}
				jobs = append(jobs, j)
			}
		}
		pushJobs, err := stagePushes(ctx, tx, pushes, time.Now())
		if err != nil {
			return err
		}
		jobs = append(pushJobs, jobs...)
		if len(jobs) == 0 {
			return nil
		}
		res, err := q.client.insertTx(ctx, tx, jobs)
		for _, r := range res {
			inserted = inserted || !r.UniqueSkippedAsDuplicate
		}
		return err
	})
	return inserted && err == nil, err
}

// rowsPerStatement bounds a multi-row statement, well within both drivers'
// limits on parameters.
const rowsPerStatement = 500

// rows is n copies of one row of a multi-row VALUES list.
func rows(n int, row string) string {
	return strings.Repeat(row+", ", n-1) + row
}

// insertDeliveries records the group's delivery ids and returns the calls
// whose id is new: the first call of each id not seen before.
func insertDeliveries(ctx context.Context, tx db.Tx, group []*acceptCall) (map[*acceptCall]bool, error) {
	first := map[string]*acceptCall{}
	var calls []*acceptCall
	for _, c := range group {
		if _, ok := first[c.d.ID]; !ok {
			first[c.d.ID] = c
			calls = append(calls, c)
		}
	}
	fresh := map[*acceptCall]bool{}
	for chunk := range slices.Chunk(calls, rowsPerStatement) {
		var args []any
		for _, c := range chunk {
			args = append(args, c.d.ID, c.d.Source, c.now.UnixNano())
		}
		err := tx.Query(ctx, func(row db.Scanner) error {
			var id string
			if err := row.Scan(&id); err != nil {
				return err
			}
			fresh[first[id]] = true
			return nil
		}, `INSERT INTO stagehand_deliveries (id, source, accepted_at) VALUES `+rows(len(chunk), "(?, ?, ?)")+`
			ON CONFLICT (id) DO NOTHING RETURNING id`, args...)
		if err != nil {
			return nil, fmt.Errorf("record delivery ids: %w", err)
		}
	}
	return fresh, nil
}

// stagePushes records the arrivals of pushes (in their order of arrival)
// and returns a job per image, for the generation of its pending row
// (pending.go). Images are written in sorted order, so that concurrent
// transactions lock their rows in one order.
func stagePushes(ctx context.Context, tx db.Tx, pushes []Push, now time.Time) ([]river.InsertManyParams, error) {
	if len(pushes) == 0 {
		return nil, nil
	}
	byImage := map[string][]int{} // image → indexes into pushes, in arrival order
	for i, p := range pushes {
		byImage[p.key()] = append(byImage[p.key()], i)
	}
	images := slices.Sorted(maps.Keys(byImage))
	gens := map[string]int64{}
	for chunk := range slices.Chunk(images, rowsPerStatement) {
		var args []any
		for _, image := range chunk {
			args = append(args, image, int64(len(byImage[image])), now.UnixNano())
		}
		// Each arrival takes the next sequence number of its image.
		err := tx.Query(ctx, func(row db.Scanner) error {
			var (
				image    string
				last, gn int64
			)
			if err := row.Scan(&image, &last, &gn); err != nil {
				return err
			}
			idx := byImage[image]
			for i, at := range idx {
				pushes[at].Seq = last - int64(len(idx)) + int64(i) + 1
			}
			gens[image] = gn
			return nil
		}, `INSERT INTO stagehand_pending_pushes (image, payload, seq, done_seq, gen, updated_at) VALUES `+rows(len(chunk), "(?, '', ?, 0, 0, ?)")+`
			ON CONFLICT (image) DO UPDATE SET seq = stagehand_pending_pushes.seq + excluded.seq, updated_at = excluded.updated_at
			RETURNING image, seq, gen`, args...)
		if err != nil {
			return nil, fmt.Errorf("pending pushes: %w", err)
		}
	}

	// One arrival per tag: the last.
	type key struct{ image, tag string }
	last := map[key]Push{}
	for _, p := range pushes {
		last[key{p.key(), p.Tag}] = p
	}
	arrivals := slices.SortedFunc(maps.Values(last), func(a, b Push) int {
		return cmp.Or(strings.Compare(a.key(), b.key()), strings.Compare(a.Tag, b.Tag))
	})
	for chunk := range slices.Chunk(arrivals, rowsPerStatement) {
		var args []any
		for _, p := range chunk {
			payload, err := json.Marshal(p)
			if err != nil {
				return nil, err
			}
			args = append(args, p.key(), p.Tag, p.Seq, string(payload))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO stagehand_push_arrivals (image, tag, seq, payload) VALUES `+rows(len(chunk), "(?, ?, ?, ?)")+`
			ON CONFLICT (image, tag) DO UPDATE SET seq = excluded.seq, payload = excluded.payload`, args...); err != nil {
			return nil, fmt.Errorf("push arrivals: %w", err)
		}
	}

	jobs := make([]river.InsertManyParams, 0, len(images))
	for _, image := range images {
		jobs = append(jobs, river.InsertManyParams{Args: pushArgs{Image: image, Gen: gens[image]}})
	}
	return jobs, nil
}

// stage writes d's pending rows other than pushes' (stagePushes writes
// those for the whole group) and returns the jobs to insert.
func (q *Queue) stage(ctx context.Context, tx db.Tx, d Delivery, now time.Time) ([]river.InsertManyParams, error) {
	var jobs []river.InsertManyParams
	if c := d.Checks; c != nil {
		payload, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		_, gen, err := pendingChecks.put(ctx, tx, c.SHA, payload, now)
		if err != nil {
			return nil, fmt.Errorf("pending checks %s: %w", c.SHA, err)
		}
		jobs = append(jobs, river.InsertManyParams{Args: checksArgs{SHA: c.SHA, Gen: gen}})
	}
	if pr := d.PRClosed; pr != nil {
		jobs = append(jobs, river.InsertManyParams{Args: newPRClosedArgs(*pr)})
	}
	if c := d.Comment; c != nil {
		jobs = append(jobs, river.InsertManyParams{Args: commentArgs{Comment: *c}})
	}
	if e := d.IssueEdited; e != nil {
		jobs = append(jobs, river.InsertManyParams{Args: issueEditArgs{IssueEdited: *e}})
	}
	if d.InstallationChanged {
		jobs = append(jobs, river.InsertManyParams{Args: installationArgs{}})
	}
	if c := d.ConfigChanged; c != nil {
		woken, err := wake(ctx, tx)
		if err != nil {
			return nil, fmt.Errorf("wake the waiting work: %w", err)
		}
		jobs = append(jobs, river.InsertManyParams{Args: configArgs{SHA: c.SHA, Repo: c.Repo}})
		jobs = append(jobs, woken...)
	}
	return jobs, nil
}

// wake returns a job for every image and commit whose work waits: a push
// held back by a broken config waits, snoozed, for a minute or more, but
// a job of the current generation (pending.go) runs at once and takes the
// work over; the snoozed one finds nothing left when it wakes. A key whose
// job of this generation waits already is skipped by River's uniqueness.
func wake(ctx context.Context, tx db.Tx) ([]river.InsertManyParams, error) {
	var jobs []river.InsertManyParams
	for _, t := range []pendingTable{pendingPushes, pendingChecks} {
		keys, err := t.waiting(ctx, tx)
		if err != nil {
			return nil, err
		}
		// Sorted, as Accept's other inserts are, so that concurrent
		// transactions take River's unique keys in one order.
		for _, key := range slices.Sorted(maps.Keys(keys)) {
			var args river.JobArgs = pushArgs{Image: key, Gen: keys[key]}
			if t == pendingChecks {
				args = checksArgs{SHA: key, Gen: keys[key]}
			}
			jobs = append(jobs, river.InsertManyParams{Args: args})
		}
	}
	return jobs, nil
}

// ReconcileSoon queues a reconcile to run at once (one waits at most),
// besides the periodic one: when a new config starts using images whose
// pushes may have been ignored.
func (q *Queue) ReconcileSoon(ctx context.Context) error {
	err := q.db.InTx(ctx, func(tx db.Tx) error {
		_, err := q.client.insertTx(ctx, tx, []river.InsertManyParams{{Args: reconcileArgs{}}})
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: queue a reconcile: %w", db.ErrUnavailable, err)
	}
	q.Nudge()
	return nil
}

// Submit queues a request (payload as its maker encoded it) for
// Handler.Request, at once or at a given time; with an id, submitting it
// again while the first is not finished does nothing. Use SubmitTx to
// record the request in the same transaction.
//
// Made by a person (a link, a button, the CLI) it is synced before Submit
// returns; made inside a job (a chain, a soak's end) it is synced with
// the rest of what the job wrote, when the job ends.
func (q *Queue) Submit(ctx context.Context, id, summary string, payload []byte, at time.Time) error {
	err := q.db.InTx(ctx, func(tx db.Tx) error { return q.SubmitTx(ctx, tx, id, summary, payload, at) })
	if err != nil {
		return fmt.Errorf("%w: submit %s: %w", db.ErrUnavailable, summary, err)
	}
	q.Nudge()
	return nil
}

// SubmitTx is Submit inside the caller's transaction.
func (q *Queue) SubmitTx(ctx context.Context, tx db.Tx, id, summary string, payload []byte, at time.Time) error {
	args := requestArgs{ID: id, Summary: summary, Payload: payload}
	if id == "" {
		// Without an id every submission is its own; the time tells two apart.
		args.ID = fmt.Sprintf("%s@%d", summary, time.Now().UnixNano())
	}
	opts := &river.InsertOpts{}
	if !at.IsZero() {
		opts.ScheduledAt = at.UTC().Truncate(time.Millisecond)
	}
	res, err := q.client.insertTx(ctx, tx, []river.InsertManyParams{{Args: args, InsertOpts: opts}})
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Job != nil && !r.UniqueSkippedAsDuplicate && r.Job.State == rivertype.JobStateScheduled {
			q.wakeAt(r.Job.ID, r.Job.ScheduledAt)
		}
	}
	return nil
}
