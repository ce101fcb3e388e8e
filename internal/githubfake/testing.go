package githubfake

import (
	"strings"
	"testing"
)

// NewTest starts a fake with validation on, closes it when the test ends,
// and fails the test then if any request or response broke GitHub's
// description.
func NewTest(t testing.TB, opts Options) *Server {
	t.Helper()
	opts.Validate = true
	s, err := New(opts)
	if err != nil {
		t.Fatalf("githubfake: %v", err)
	}
	t.Cleanup(func() {
		v := s.Violations()
		s.Close()
		if len(v) > 0 {
			t.Errorf("githubfake: %d request(s)/response(s)/webhook(s) broke GitHub's REST or webhook description:\n  %s", len(v), strings.Join(v, "\n  "))
		}
	})
	return s
}
