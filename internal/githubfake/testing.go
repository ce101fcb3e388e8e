package githubfake

import (
	"context"
	"strings"
	"testing"
)

// NewTest starts a fake with validation on, closes it when the test ends,
// and fails the test then (once webhook deliveries have drained) if any
// request, response or webhook payload broke GitHub's descriptions.
func NewTest(t testing.TB, opts Options) *Server {
	t.Helper()
	opts.Validate = true
	s, err := New(opts)
	if err != nil {
		t.Fatalf("githubfake: %v", err)
	}
	t.Cleanup(func() {
		// Deliveries still queued may yet break the webhook description.
		ctx, cancel := context.WithTimeout(context.Background(), 2*hookTimeout)
		defer cancel()
		if err := s.WaitDeliveries(ctx); err != nil {
			t.Errorf("githubfake: webhook deliveries did not drain: %v", err)
		}
		v := s.Violations()
		s.Close()
		if len(v) > 0 {
			t.Errorf("githubfake: %d request(s)/response(s)/webhook(s) broke GitHub's REST or webhook description:\n  %s", len(v), strings.Join(v, "\n  "))
		}
	})
	return s
}
