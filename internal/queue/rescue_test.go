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
	t.Parallel()
	url := freshSQLite(t)
	log, _ := newLogger()
	entered := make(chan struct{})
	stuck := &fakeHandler{pushes: func(ctx context.Context, _ []Push, _ int) error {
		close(entered)
		select {} // the process dies here: the job never returns
	}}
	d := openDB(t, url)
	q, err := New(d, stuck, testOptions(log))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	accept(t, q, Delivery{ID: "d", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "3"}}})
	waitFor(t, entered, "the push to reach the handler")
	// A second process on the same file, as after a restart; the first is
	// left as a crash leaves it.
	h := &fakeHandler{}
	start := time.Now()
	startQueue(t, url, h, testOptions(log))
	eventually(t, "the orphaned push to run again", func() bool { return len(h.pushCalls()) == 1 })
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the orphan waited %s", took)
	}
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
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadReplicasJobMovesWithinSeconds$")
	cmd.Env = append(os.Environ(), hangChildEnv+"="+url)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	entered := false
	for !entered && lines.Scan() {
		entered = lines.Text() == "entered"
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if !entered {
		t.Fatal("the child never began the job")
	}
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
