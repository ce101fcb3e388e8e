package queue

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/db"
)

const killChildEnv = "STAGEHAND_QUEUE_KILL_CHILD_URL"

// A delivery accepted by a process that is SIGKILLed right after Accept
// returns (right after the 202) is worked by the next process.
func TestAcceptSurvivesSIGKILL(t *testing.T) {
	if url := os.Getenv(killChildEnv); url != "" {
		acceptThenHang(url)
		return
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		url := b.fresh(t)
		killChildAfter(t, "TestAcceptSurvivesSIGKILL", killChildEnv, url, "accepted")

		log, _ := newLogger()
		h := &fakeHandler{}
		startQueue(t, url, h, testOptions(log))
		eventually(t, "the killed process's push to be handled", func() bool {
			calls := h.pushCalls()
			return len(calls) == 1 && calls[0][0].Tag == "9.9.9"
		})
	})
}

// acceptThenHang is the child: accept one push, say so, wait to be killed.
func acceptThenHang(url string) {
	ctx := context.Background()
	d, err := db.Open(ctx, url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	q, err := New(d, &fakeHandler{}, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if _, err := q.Accept(ctx, Delivery{ID: "killed", Pushes: []Push{{Image: "ghcr.io/acme/web", Tag: "9.9.9"}}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("accepted")
	select {}
}
