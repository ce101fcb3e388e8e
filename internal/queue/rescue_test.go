package queue

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
)

// Jobs a dead process left running are run again when the next process
// starts (SQLite: one replica, so every running job is an orphan).
func TestJobsLeftRunningAreRescuedAtStart(t *testing.T) {
	if url := os.Getenv(hangChildEnv); url != "" {
		hangInHandler(url)
		return
	}
	t.Parallel()
	url := freshSQLite(t)
	killChildInJob(t, "TestJobsLeftRunningAreRescuedAtStart", url)
	log, _ := newLogger()
	h := &fakeHandler{}
	start := time.Now()
	startQueue(t, url, h, testOptions(log))
	eventually(t, "the orphaned push to run again", func() bool { return len(h.pushCalls()) == 1 })
	if got := tags(h.pushCalls()[0]); len(got) != 1 || got[0] != "4" {
		t.Errorf("the restarted process got %v", got)
	}
	t.Logf("the orphan ran %s after the restart", time.Since(start).Round(time.Millisecond))
}

// A replica that dies (SIGKILL, a lost machine) leaves its jobs to another
// within seconds: its lease goes stale and the other replica runs the job
// again. PostgreSQL only: SQLite serves one replica, whose restart rescues
// what it left (above).
func TestDeadReplicasJobMovesWithinSeconds(t *testing.T) {
	if url := os.Getenv(hangChildEnv); url != "" {
		hangInHandler(url)
		return
	}
	t.Parallel()
	url := freshPostgres(t)
	killChildInJob(t, "TestDeadReplicasJobMovesWithinSeconds", url)
	killed := time.Now()
	log, _ := newLogger()
	alive := &fakeHandler{}
	startQueue(t, url, alive, deadOptions(log))
	eventually(t, "the live replica to run the dead one's job", func() bool { return len(alive.pushCalls()) == 1 })
	took := time.Since(killed)
	if got := tags(alive.pushCalls()[0]); len(got) != 1 || got[0] != "4" {
		t.Errorf("the live replica got %v", got)
	}
	t.Logf("the job moved %s after the kill (leases stale after %s)", took.Round(time.Millisecond), deadOptions(log).LeaseStale)
}

// killChildInJob runs test (this binary) as a child process on the queue at
// url, waits until the child's handler is working a push, and kills the
// child with SIGKILL, as a crash or a lost machine would.
func killChildInJob(t *testing.T, test, url string) {
	t.Helper()
	killChildAfter(t, test, hangChildEnv, url, "entered")
}

// killChildAfter runs test (this binary) as a child process with env set
// to url, waits until the child prints line, and kills it with SIGKILL.
func killChildAfter(t *testing.T, test, env, url, line string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+url)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	said := false
	for !said && lines.Scan() {
		said = lines.Text() == line
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if !said {
		t.Fatalf("the child never said %q", line)
	}
}

const hangChildEnv = "STAGEHAND_QUEUE_HANG_CHILD_URL"

func deadOptions(log *slog.Logger) Options {
	o := testOptions(log)
	o.LeaseBeat, o.LeaseStale = 200*time.Millisecond, 2*time.Second
	return o
}

// hangInHandler is the child: a replica whose handler is working a push
// when the parent kills it.
func hangInHandler(url string) {
	ctx := context.Background()
	d, err := db.Open(ctx, url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	h := &fakeHandler{pushes: func(ctx context.Context, _ []Push, _ int) error {
		fmt.Println("entered")
		select {}
	}}
	log, _ := newLogger()
	q, err := New(d, h, deadOptions(log))
	if err == nil {
		err = q.Start(ctx)
	}
	if err == nil {
		_, err = q.Accept(ctx, Delivery{ID: "d", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "4"}}})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	select {}
}

// A job that runs longer than LeaseStale on a live replica keeps its
// lease (written at the first beat, not when the job starts, and kept
// fresh while River records its end), so no replica runs it again: it
// runs once. (A request, as pushes wait for their image's lock and would
// find their work taken.)
func TestLongJobOnALiveReplicaIsNotRescued(t *testing.T) {
	t.Parallel()
	url := freshPostgres(t)
	log, logs := newLogger()
	opts := deadOptions(log)
	entered := make(chan struct{}, 4)
	defer func() {
		if t.Failed() {
			t.Log(logs)
		}
	}()
	slow := &fakeHandler{request: func(ctx context.Context, _ []byte, _ int) error {
		entered <- struct{}{}
		select {
		case <-time.After(2 * opts.LeaseStale):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	_, q := startQueue(t, url, slow, opts)
	if err := q.Submit(context.Background(), "long", "a long request", []byte(`{}`), time.Time{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, entered, "the slow replica to start the job")
	other := &fakeHandler{}
	startQueue(t, url, other, opts)
	eventually(t, "the job to finish", func() bool { return depth(t, q) == 0 })
	requests := func(h *fakeHandler) int {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.requests)
	}
	if n := requests(other); n != 0 {
		t.Errorf("the other replica ran the live replica's job %d times", n)
	}
	if n := requests(slow); n != 1 {
		t.Errorf("the job ran %d times on its replica, want 1", n)
	}
}
