package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/webhook"
)

// A sender on a slow link: its body trickles in over two thirds of the read
// timeout, and the database then takes a while to store the delivery. The
// write deadline runs from the end of the request's headers, so what the
// upload took is gone from it.
const (
	slowRead   = 3 * time.Second
	slowUpload = 2 * time.Second         // of slowRead
	slowAccept = 1500 * time.Millisecond // slowUpload+slowAccept > slowRead
)

// slowQueue is a database that takes delay to store a delivery.
type slowQueue struct {
	fakeQueue
	delay time.Duration
}

func (q *slowQueue) Accept(ctx context.Context, d queue.Delivery) (bool, error) {
	select {
	case <-time.After(q.delay):
	case <-ctx.Done():
		return false, ctx.Err()
	}
	return q.fakeQueue.Accept(ctx, d)
}

// slowHandler is the server's handler over a slowQueue.
func slowHandler(t *testing.T) (http.Handler, *slowQueue) {
	t.Helper()
	q := &slowQueue{fakeQueue: fakeQueue{seen: map[string]bool{}}, delay: slowAccept}
	s, err := New(Options{
		GitHubSecret: ghSecret,
		Registries:   webhook.Config{GenericSecret: genericSecret},
		Queue:        q,
		Ready:        func(context.Context) error { return nil },
		Registry:     prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler(), q
}

// trickle is a body that arrives in ten parts over d.
type trickle struct {
	parts [][]byte
	pause time.Duration
}

func newTrickle(body []byte, d time.Duration) *trickle {
	const n = 10
	tr := &trickle{pause: d / n}
	for i := range n {
		tr.parts = append(tr.parts, body[i*len(body)/n:(i+1)*len(body)/n])
	}
	return tr
}

func (tr *trickle) Read(p []byte) (int, error) {
	if len(tr.parts) == 0 {
		return 0, io.EOF
	}
	time.Sleep(tr.pause)
	n := copy(p, tr.parts[0])
	tr.parts[0] = tr.parts[0][n:]
	if len(tr.parts[0]) == 0 {
		tr.parts = tr.parts[1:]
	}
	return n, nil
}

// postSlowly sends a signed generic push to url over a slow link and
// returns the answer as the sender sees it.
func postSlowly(t *testing.T, url string) (status int, answer string, err error) {
	t.Helper()
	body := []byte(`{"image":"ghcr.io/acme/web","tag":"1.2.3"}`)
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/registry/generic", newTrickle(body, slowUpload))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.GenericSignatureHeader, sign(genericSecret, body))
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestSlowUploadIsAnswered: Serve keeps the write deadline past the read
// timeout, so a delivery whose body took most of the read timeout to
// arrive, and the database a while more to store, still gets its answer.
func TestSlowUploadIsAnswered(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h, _ := slowHandler(t)
	go func() {
		done <- Serve(ctx, ln, h, Timeouts{Read: slowRead, Write: slowRead, Idle: time.Minute}, 5*time.Second, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})

	status, answer, err := postSlowly(t, "http://"+ln.Addr().String())
	if err != nil || status != http.StatusAccepted || answer != "accepted\n" {
		t.Fatalf("the slow sender got %d %q (%v), want 202 \"accepted\\n\"", status, answer, err)
	}
}

// TestSlowUploadUnansweredWithoutCover: the same delivery, served with the
// write deadline equal to the read timeout (what Serve does not allow), is
// stored but never answered: the sender would send it again and again.
func TestSlowUploadUnansweredWithoutCover(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h, q := slowHandler(t)
	srv := httpServer(h, Timeouts{Read: slowRead, Write: slowRead, Idle: time.Minute}, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})

	status, answer, err := postSlowly(t, "http://"+ln.Addr().String())
	if err == nil {
		t.Fatalf("the slow sender got %d %q; want no answer (the write deadline passed while it uploaded)", status, answer)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.got) != 1 {
		t.Errorf("%d deliveries stored, want the one left unanswered", len(q.got))
	}
}
