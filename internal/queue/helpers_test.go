package queue

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/pgtest"
)

// backend makes fresh, isolated databases of one driver; every Open of a URL
// it returns reaches the same database.
type backend struct {
	name  string
	fresh func(t testing.TB) string
}

var backends = []backend{
	{name: db.SQLite, fresh: freshSQLite},
	{name: db.Postgres, fresh: freshPostgres},
}

// forEachBackend runs test against SQLite and, when configured, PostgreSQL.
func forEachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

func freshSQLite(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "queue.db")
}

// freshPostgres is a schema of its own in the test PostgreSQL, or a skip.
func freshPostgres(t testing.TB) string { return pgtest.Schema(t) }

// testOptions keep tests quick without changing what they show.
func testOptions(log *slog.Logger) Options {
	return Options{JobTimeout: 10 * time.Second, ReconcileInterval: -1, PollInterval: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: log}
}

// logBuffer collects a test's log lines; River may log from its goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})), buf
}

func openDB(t testing.TB, url string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return d
}

// startQueue opens url, starts a Queue on it and stops both at cleanup.
func startQueue(t testing.TB, url string, h Handler, opts Options) (*db.DB, *Queue) {
	t.Helper()
	d := openDB(t, url)
	q, err := New(d, h, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		stop(t, q)
		_ = d.Close()
	})
	return d, q
}

func stop(t testing.TB, q *Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// eventually polls cond until it holds, failing the test after a generous
// deadline: it waits for a condition, it does not time anything.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitFor(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("gave up waiting: %s", what)
	}
}

func depth(t testing.TB, q *Queue) int {
	t.Helper()
	n, err := q.Depth(context.Background())
	if err != nil {
		t.Fatalf("Depth: %v", err)
	}
	return n
}

func accept(t testing.TB, q *Queue, d Delivery) bool {
	t.Helper()
	dup, err := q.Accept(context.Background(), d)
	if err != nil {
		t.Fatalf("Accept %s: %v", d.ID, err)
	}
	return dup
}

// fakeHandler records calls. Its hooks get the 1-based number of the call
// of their kind.
type fakeHandler struct {
	pushes    func(ctx context.Context, batch []Push, n int) error
	prClosed  func(ctx context.Context, pr PRClosed, n int) error
	checks    func(ctx context.Context, c Checks, n int) error
	request   func(ctx context.Context, payload []byte, n int) error
	reconcile func(ctx context.Context, n int) error

	inFlight, maxInFlight atomic.Int32

	mu         sync.Mutex
	batches    [][]Push
	prs        []PRClosed
	checkCalls []Checks
	requests   [][]byte
	reconciles int
}

func (h *fakeHandler) enter() func() {
	n := h.inFlight.Add(1)
	for {
		m := h.maxInFlight.Load()
		if n <= m || h.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	return func() { h.inFlight.Add(-1) }
}

func (h *fakeHandler) Pushes(ctx context.Context, image string, batch []Push) error {
	defer h.enter()()
	h.mu.Lock()
	h.batches = append(h.batches, batch)
	n := len(h.batches)
	h.mu.Unlock()
	if h.pushes != nil {
		return h.pushes(ctx, batch, n)
	}
	return nil
}

func (h *fakeHandler) PRClosed(ctx context.Context, pr PRClosed) error {
	defer h.enter()()
	h.mu.Lock()
	h.prs = append(h.prs, pr)
	n := len(h.prs)
	h.mu.Unlock()
	if h.prClosed != nil {
		return h.prClosed(ctx, pr, n)
	}
	return nil
}

func (h *fakeHandler) Checks(ctx context.Context, c Checks) error {
	defer h.enter()()
	h.mu.Lock()
	h.checkCalls = append(h.checkCalls, c)
	n := len(h.checkCalls)
	h.mu.Unlock()
	if h.checks != nil {
		return h.checks(ctx, c, n)
	}
	return nil
}

func (h *fakeHandler) Comment(ctx context.Context, c Comment) error {
	defer h.enter()()
	return nil
}

func (h *fakeHandler) Request(ctx context.Context, payload []byte) error {
	defer h.enter()()
	h.mu.Lock()
	h.requests = append(h.requests, payload)
	n := len(h.requests)
	h.mu.Unlock()
	if h.request != nil {
		return h.request(ctx, payload, n)
	}
	return nil
}

func (h *fakeHandler) Reconcile(ctx context.Context) error {
	defer h.enter()()
	h.mu.Lock()
	h.reconciles++
	n := h.reconciles
	h.mu.Unlock()
	if h.reconcile != nil {
		return h.reconcile(ctx, n)
	}
	return nil
}

// pushCalls are the batches handed over, in call order.
func (h *fakeHandler) pushCalls() [][]Push {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]Push(nil), h.batches...)
}

// tags are a batch's tags, in order.
func tags(batch []Push) []string {
	out := make([]string, len(batch))
	for i, p := range batch {
		out[i] = p.Tag
	}
	return out
}

func (h *fakeHandler) counts() (pushes, prs, checks, reconciles int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.batches), len(h.prs), len(h.checkCalls), h.reconciles
}

// atomicOnce.do is true for its first caller only.
type atomicOnce struct{ done atomic.Bool }

func (o *atomicOnce) do() bool { return o.done.CompareAndSwap(false, true) }
