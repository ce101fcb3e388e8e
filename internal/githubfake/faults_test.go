package githubfake

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// createRef is the App creating branch at main's head.
func createRef(ctx context.Context, gh *github.Client, s *Server, branch string) error {
	head, _ := s.Head("main")
	_, _, err := gh.Git.CreateRef(ctx, s.Owner(), s.Repo(), &github.Reference{
		Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(head)},
	})
	return err
}

// TestFaults: each kind answers as GitHub fails, only the lost response
// applies the write, and none of it is a violation.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	only := func(f Fault) FaultFunc {
		return func(_ *http.Request, opID string) Fault {
			if opID == "git/create-ref" {
				return f
			}
			return FaultNone
		}
	}

	s.SetFaults(only(Fault500))
	er := apiErr(t, createRef(ctx, gh, s, "f500"))
	if er.Response.StatusCode != http.StatusInternalServerError || er.Message != "Server Error" {
		t.Errorf("500: %d %q", er.Response.StatusCode, er.Message)
	}

	s.SetFaults(only(Fault502))
	er = apiErr(t, createRef(ctx, gh, s, "f502"))
	if er.Response.StatusCode != http.StatusBadGateway || er.Message != msgTimeout {
		t.Errorf("502: %d %q", er.Response.StatusCode, er.Message)
	}

	s.SetFaults(only(FaultSecondaryLimit))
	err := createRef(ctx, gh, s, "fsecondary")
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.GetRetryAfter() != time.Second || abuse.Response.StatusCode != http.StatusForbidden {
		t.Fatalf("secondary limit: %T %v", err, err)
	}
	if id := abuse.Response.Header.Get("X-GitHub-Request-Id"); id == "" || abuse.Message != "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID "+id+"." {
		t.Errorf("message %q", abuse.Message)
	}
	time.Sleep(time.Second) // go-github refuses to call again before Retry-After

	s.SetFaults(only(FaultLostResponse))
	err = createRef(ctx, gh, s, "flost")
	var er2 *github.ErrorResponse
	if err == nil || errors.As(err, &er2) {
		t.Fatalf("lost response: want a transport error, got %v", err)
	}
	s.StopFaults()
	if got := s.Branches(); !slices.Equal(got, []string{"flost", "main"}) {
		t.Errorf("branches %v: only the lost response's write should have happened", got)
	}
	// The client's retry of a lost create sees the write it made.
	er = apiErr(t, createRef(ctx, gh, s, "flost"))
	if er.Response.StatusCode != http.StatusUnprocessableEntity || er.Message != "Reference already exists" {
		t.Errorf("retry: %d %q", er.Response.StatusCode, er.Message)
	}
	want := map[Fault]int{Fault500: 1, Fault502: 1, FaultSecondaryLimit: 1, FaultLostResponse: 1}
	if got := s.FaultCounts(); !mapsEqual(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}

func mapsEqual[K comparable](a, b map[K]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRandomFaults: the ready-made injector is reproducible from its
// seed, keeps to its operations and kinds, and stops when told.
func TestRandomFaults(t *testing.T) {
	kinds := []Fault{Fault500, Fault502}
	a, b := RandomFaults(7, 0.3, kinds, "repos/get"), RandomFaults(7, 0.3, kinds, "repos/get")
	faulted := 0
	for i := range 1000 {
		fa, fb := a(nil, "repos/get"), b(nil, "repos/get")
		if fa != fb {
			t.Fatalf("call %d: %v and %v from the same seed", i, fa, fb)
		}
		if fa != FaultNone {
			faulted++
			if !slices.Contains(kinds, fa) {
				t.Fatalf("kind %v not asked for", fa)
			}
		}
		if f := a(nil, "pulls/get"); f != FaultNone {
			t.Fatalf("pulls/get faulted: %v", f)
		}
	}
	if faulted < 240 || faulted > 360 {
		t.Errorf("%d of 1000 faulted at p=0.3", faulted)
	}

	opts := seededOptions(t)
	opts.Faults = RandomFaults(1, 0.5, []Fault{Fault500, Fault502, FaultSecondaryLimit}, "repos/get")
	opts.FaultRetryAfter = 0
	s := NewTest(t, opts)
	_, tok := installationClient(t, s)
	failed := 0
	for range 40 {
		if resp := do(t, http.MethodGet, s.URL()+"repos/acme/config", tok, ""); resp.StatusCode != http.StatusOK {
			failed++
		}
	}
	total := 0
	for _, n := range s.FaultCounts() {
		total += n
	}
	if failed == 0 || failed != total {
		t.Errorf("%d requests failed, %d faults counted", failed, total)
	}
	s.StopFaults()
	for range 10 {
		if resp := do(t, http.MethodGet, s.URL()+"repos/acme/config", tok, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("after StopFaults: %d", resp.StatusCode)
		}
	}
}
