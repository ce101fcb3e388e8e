package promote_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// besides holds each request of an operation back until a request of
// another has arrived (or, paired with itself, a second request of it):
// made side by side, both go through at once; made one after the other,
// the held one gives up waiting after a while and the pair is reported as
// sequential. It proves what a push's critical path gains without timing
// anything (BenchmarkPushCriticalPath counts the rounds).
type besides struct {
	mu         sync.Mutex
	until      map[string]string        // held operation → the one it waits for
	seen       map[string]int           // operation → requests arrived
	arrived    map[string]chan struct{} // held operation → closed once what it waits for arrived
	sequential []string
}

func holdBeside(gh *githubfake.Server, pairs map[string]string) *besides {
	b := &besides{until: pairs, seen: map[string]int{}, arrived: map[string]chan struct{}{}}
	for held := range pairs {
		b.arrived[held] = make(chan struct{})
	}
	gh.SetFaults(func(_ *http.Request, op string) githubfake.Fault {
		b.mu.Lock()
		b.seen[op]++
		for held, until := range b.until {
			need := 1
			if held == until {
				need = 2
			}
			if b.seen[until] >= need {
				select {
				case <-b.arrived[held]:
				default:
					close(b.arrived[held])
				}
			}
		}
		until, held := b.until[op]
		wait := b.arrived[op]
		b.mu.Unlock()
		if held {
			select {
			case <-wait:
			case <-time.After(10 * time.Second):
				b.mu.Lock()
				b.sequential = append(b.sequential, op+" waited for "+until)
				b.mu.Unlock()
			}
		}
		return githubfake.FaultNone
	})
	return b
}

func (b *besides) check(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.sequential {
		t.Errorf("not side by side: %s", s)
	}
}

// TestMergeBesideLabels: an auto-merge stage's PR is merged without
// waiting for its labels, and still ends labelled.
func TestMergeBesideLabels(t *testing.T) {
	cw := newCallWorld(t, "auto-merge", true)
	cw.push(t, "1.0.0", promote.Merged) // warms the engine
	b := holdBeside(cw.GitHub, map[string]string{"issues/add-labels": "pulls/merge"})
	o, _ := cw.push(t, "1.1.0", promote.Merged)
	cw.GitHub.StopFaults()
	b.check(t)
	for _, pr := range cw.GitHub.PullRequests() {
		if pr.Number != o.PR {
			continue
		}
		for _, l := range promote.Labels("web", "staging") {
			if !slices.Contains(pr.Labels, l) {
				t.Errorf("merged PR #%d has labels %v, lacks %q", pr.Number, pr.Labels, l)
			}
		}
	}
}

// TestChecksChangeBesideReads: when the checks of an open PR change, the
// PR is read beside the base branch and its checks beside the base
// branch's required checks; the PR is merged.
func TestChecksChangeBesideReads(t *testing.T) {
	cw := newCallWorld(t, "auto-merge", true)
	cw.GitHub.SetRequiredChecks("main", "ci")
	o, _ := cw.push(t, "1.0.0", promote.Opened)
	cw.GitHub.SetStatus(o.HeadSHA, "ci", "success")
	b := holdBeside(cw.GitHub, map[string]string{
		"repos/get-branch":                   "pulls/list",
		"repos/get-status-checks-protection": "repos/get-combined-status-for-ref",
	})
	r, err := cw.Engine.Run(context.Background(), promote.Request{Kind: promote.Reconsider, Source: promote.FromChecks, App: "web", Stage: "staging"})
	cw.GitHub.StopFaults()
	b.check(t)
	if err != nil || r.Result != promote.Merged {
		t.Fatalf("checks of PR #%d passed: %+v, %v; want it merged", o.PR, r, err)
	}
	cw.pins(t, "main", "staging", o.To.Digest)
}

// TestPersonBesideBranch: a person's promotion asks GitHub for their
// permission beside the base branch, not after the snapshot's other reads.
func TestPersonBesideBranch(t *testing.T) {
	cw := newCallWorld(t, "auto-merge", true)
	cw.mergeChainRound(t, 0, false) // preprod runs an image
	cw.GitHub.SetPermission("octocat", "write")
	b := holdBeside(cw.GitHub, map[string]string{"repos/get-branch": "repos/get-collaborator-permission-level"})
	o, err := cw.Engine.Run(context.Background(), promote.Request{Kind: promote.Promote, Source: promote.FromCLI, Actor: promote.Actor{Login: "octocat"}, App: "web", Stage: "prod"})
	cw.GitHub.StopFaults()
	b.check(t)
	if err != nil || o.Result != promote.Opened {
		t.Fatalf("octocat promotes web to prod: %+v, %v; want the PR opened", o, err)
	}
	cw.pins(t, o.HeadSHA, "prod", o.To.Digest)
}

// TestPromotionReadsStagesBeside: a promotion in a process that has read
// nothing yet reads the stage it takes from and the one it writes side by
// side.
func TestPromotionReadsStagesBeside(t *testing.T) {
	cw := newCallWorld(t, "auto-merge", true)
	cw.mergeChainRound(t, 0, false) // preprod runs an image
	cw.restart(t)
	b := holdBeside(cw.GitHub, map[string]string{"repos/get-content": "repos/get-content"})
	o, err := cw.Engine.Run(context.Background(), promote.Request{Kind: promote.Promote, Source: promote.FromCLI, App: "web", Stage: "prod"})
	cw.GitHub.StopFaults()
	b.check(t)
	if err != nil || o.Result != promote.Opened {
		t.Fatalf("promote web to prod: %+v, %v; want the PR opened", o, err)
	}
	cw.pins(t, o.HeadSHA, "prod", o.To.Digest)
}

// heldResolver holds each resolution back until GitHub was asked for the
// base branch, or gives up after a while and says so.
type heldResolver struct {
	next       promote.DigestResolver
	branch     chan struct{}
	sequential bool
}

func (h *heldResolver) Resolve(ctx context.Context, image, tag string) (string, error) {
	select {
	case <-h.branch:
	case <-time.After(10 * time.Second):
		h.sequential = true
	}
	return h.next.Resolve(ctx, image, tag)
}

// TestPushResolvesBesideBranch: a push asks the registry for its tag's
// digest while it reads the base branch from GitHub.
func TestPushResolvesBesideBranch(t *testing.T) {
	held := &heldResolver{branch: make(chan struct{})}
	cw := newCallWorld(t, "auto-merge", true, func(o *promote.Options) { held.next, o.Resolver = o.Resolver, held })
	var once sync.Once
	cw.GitHub.SetFaults(func(_ *http.Request, op string) githubfake.Fault {
		if op == "repos/get-branch" {
			once.Do(func() { close(held.branch) })
		}
		return githubfake.FaultNone
	})
	cw.push(t, "1.0.0", promote.Merged)
	cw.GitHub.StopFaults()
	if held.sequential {
		t.Error("the push resolved its tag before reading the base branch, not beside it")
	}
}
