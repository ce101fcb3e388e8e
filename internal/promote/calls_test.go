package promote_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/promote"
)

// What stagehand may spend on GitHub, in REST calls (App authentication
// aside): opening a stage's PR for a pushed image, updating that PR for a
// newer push, merging an auto-merge stage's PR together with the chain
// that opens the next stage's PR, and promoting into a manual stage. They
// hold for a warm process and for the first request after a restart.
const (
	budgetOpen       = 8
	budgetUpdate     = 6
	budgetPromote    = 8
	budgetMergeChain = 12
)

// apiCalls is what the GitHub stand-in served, by operation id.
type apiCalls map[string]int

// served is what the stand-in served since its last ResetCalls, without
// App authentication: an installation token is fetched once an hour and
// the installation looked up once, so neither is any request's cost.
func served(wd *demo.World) apiCalls {
	c := apiCalls{}
	for op, n := range wd.GitHub.Calls() {
		if !authOps[op] {
			c[op] = n
		}
	}
	return c
}

func (c apiCalls) total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// only keeps the operations in ops.
func (c apiCalls) only(ops map[string]bool) apiCalls {
	out := apiCalls{}
	for op, n := range c {
		if ops[op] {
			out[op] = n
		}
	}
	return out
}

func (c apiCalls) add(d apiCalls) {
	for op, n := range d {
		c[op] += n
	}
}

// String lists the operations by name: "git/create-ref 1, pulls/create 1".
func (c apiCalls) String() string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%s %d", op, c[op]))
	}
	return fmt.Sprintf("%d calls: %s", c.total(), strings.Join(parts, ", "))
}

// chainQueue is the scheduler of a counting world: it keeps the requests
// a merge schedules (the chain to the next stage) until the test runs
// them, once per id as the queue does.
type chainQueue struct {
	mu   sync.Mutex
	reqs []promote.Request
}

func (q *chainQueue) Schedule(_ context.Context, r promote.Request, _ time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, old := range q.reqs {
		if r.ID != "" && old.ID == r.ID {
			return nil
		}
	}
	q.reqs = append(q.reqs, r)
	return nil
}

func (q *chainQueue) take() []promote.Request {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.reqs
	q.reqs = nil
	return out
}

// callWorld is a demo world whose engine can be restarted, as `stagehand
// serve` restarts: a new engine on the same GitHub, database and registry,
// which reads the config once when it starts.
type callWorld struct {
	*demo.World
	chains  *chainQueue
	opts    promote.Options
	started apiCalls // what the last restart cost, before any request
}

// newCallWorld starts a world on the sample config repository, with
// staging in mode stagingMode.
func newCallWorld(tb testing.TB, stagingMode string, validate bool, adjust ...func(*promote.Options)) *callWorld {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.CopyFS(dir, os.DirFS(seed)); err != nil {
		tb.Fatal(err)
	}
	cfgPath := filepath.Join(dir, ".stagehand.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		tb.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "mode: auto-merge", "mode: "+stagingMode, 1))
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		tb.Fatal(err)
	}
	cw := &callWorld{chains: &chainQueue{}}
	wd, err := demo.Start(context.Background(), demo.Options{Seed: dir, Validate: validate, Pace: unpaced, Engine: func(o *promote.Options) {
		o.Scheduler = cw.chains
		for _, f := range adjust {
			f(o)
		}
		cw.opts = *o
	}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if v := wd.GitHub.Violations(); len(v) > 0 {
			tb.Errorf("requests or responses that do not conform to GitHub's REST description:\n%s", strings.Join(v, "\n"))
		}
		wd.Close()
	})
	cw.World = wd
	return cw
}

// restart replaces the engine with a new one, which knows nothing of what
// the old one read or opened, started as `stagehand serve` starts it: it
// reads the config and learns the open stagehand PRs.
func (cw *callWorld) restart(tb testing.TB) {
	tb.Helper()
	e, err := promote.New(cw.opts)
	if err != nil {
		tb.Fatal(err)
	}
	cw.GitHub.ResetCalls()
	if _, err := e.Config(context.Background()); err != nil {
		tb.Fatal(err)
	}
	if err := e.LearnOpenPRs(context.Background()); err != nil {
		tb.Fatal(err)
	}
	cw.started = served(cw.World)
	cw.Engine = e
}

// push is a registry's notification of a new image web:tag; it returns
// the one outcome and what it cost on GitHub, and checks that the stage's
// PR pins the image.
func (cw *callWorld) push(tb testing.TB, tag string, want promote.Result) (promote.Outcome, apiCalls) {
	tb.Helper()
	ctx := context.Background()
	d, err := cw.Push(ctx, tag, false)
	if err != nil {
		tb.Fatal(err)
	}
	cw.GitHub.ResetCalls()
	outs, err := pushes(cw.World, demo.Image, tag)
	c := served(cw.World)
	if err != nil || len(outs) != 1 || outs[0].Result != want {
		tb.Fatalf("push of %s: %+v, %v; want one outcome %s", tag, outs, err, want)
	}
	ref := outs[0].HeadSHA
	if want == promote.Merged {
		ref = "main"
	}
	cw.pins(tb, ref, "staging", d.String())
	return outs[0], c
}

// pins checks that the stage's file at ref pins digest, as a reviewer of
// the PR or of main would.
func (cw *callWorld) pins(tb testing.TB, ref, stage, digest string) {
	tb.Helper()
	if digest == "" {
		tb.Fatalf("no digest to look for in %s", stage)
	}
	path := "apps/web/overlays/" + stage + "/kustomization.yaml"
	data, err := cw.GitHub.FileAt(ref, path)
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.Contains(string(data), digest) {
		tb.Fatalf("%s at %s does not pin %s:\n%s", path, ref, digest, data)
	}
}

// chain runs the chain requests merges scheduled, as the queue would;
// it returns the last outcome and what they all cost.
func (cw *callWorld) chain(tb testing.TB, want promote.Result) (promote.Outcome, apiCalls) {
	tb.Helper()
	reqs := cw.chains.take()
	if len(reqs) != 1 {
		tb.Fatalf("%d chain requests scheduled, want 1: %+v", len(reqs), reqs)
	}
	cw.GitHub.ResetCalls()
	o, err := cw.Engine.Run(context.Background(), reqs[0])
	c := served(cw.World)
	if err != nil || o.Result != want {
		tb.Fatalf("chain %s: %+v, %v; want %s", reqs[0].ID, o, err, want)
	}
	return o, c
}

// mergedByPerson is a person merging PR pr, and stagehand hearing of it.
func (cw *callWorld) mergedByPerson(tb testing.TB, o promote.Outcome) {
	tb.Helper()
	if _, err := cw.GitHub.MergeAsUser(o.PR, "octocat"); err != nil {
		tb.Fatal(err)
	}
	if err := cw.Engine.Closed(context.Background(), promote.Branch(o.App, o.Stage)); err != nil {
		tb.Fatal(err)
	}
}

// mergeOps are what merging a PR costs, apart from what proposing costs.
var mergeOps = map[string]bool{
	"repos/get-status-checks-protection": true,
	"repos/get-combined-status-for-ref":  true,
	"checks/list-for-ref":                true,
	"pulls/merge":                        true,
	"pulls/get":                          true,
	"git/delete-ref":                     true,
	// A merge becomes a GitHub deployment of the stage, with its status
	// (success, or in_progress while the stage's health gate waits): two
	// calls, counted with the merge. The merge+chain budget of 12 still
	// holds (11 warm, 12 cold) and was not raised for them.
	"repos/create-deployment":        true,
	"repos/create-deployment-status": true,
}

// Operations of App authentication: an installation token is fetched once
// and cached for its hour, so it is no cost of any one promotion.
var authOps = map[string]bool{
	"apps/create-installation-access-token": true,
	"apps/get-repo-installation":            true,
}

// callCost is what one round of each way costs.
type callCost struct{ open, update, mergeChain apiCalls }

// openUpdateRound, on a world whose staging a person merges: a push opens
// the staging PR, a newer push updates it, and a person merges it. With
// cold, the engine restarts before each push. Round i pushes 1.i.0 and
// 1.i.1.
func (cw *callWorld) openUpdateRound(tb testing.TB, i int, cold bool) (open, update apiCalls) {
	tb.Helper()
	if cold {
		cw.restart(tb)
	}
	_, open = cw.push(tb, fmt.Sprintf("1.%d.0", i), promote.Opened)
	if cold {
		cw.restart(tb)
	}
	o, update := cw.push(tb, fmt.Sprintf("1.%d.1", i), promote.Updated)
	cw.mergedByPerson(tb, o)
	return open, update
}

// mergeChainRound, on a world whose staging auto-merges (main requires
// no checks) and whose preprod a person merges: a push opens and merges
// the staging PR, and the chain it schedules opens the preprod PR, which a
// person then merges. Counted are the merge's calls and the chain's. With
// cold, the engine restarts before the push.
func (cw *callWorld) mergeChainRound(tb testing.TB, i int, cold bool) apiCalls {
	tb.Helper()
	if cold {
		cw.restart(tb)
	}
	m, pushed := cw.push(tb, fmt.Sprintf("1.%d.0", i), promote.Merged)
	o, chained := cw.chain(tb, promote.Opened)
	cw.pins(tb, o.HeadSHA, "preprod", m.To.Digest)
	c := pushed.only(mergeOps)
	c.add(chained)
	cw.mergedByPerson(tb, o)
	return c
}

// promoteRound, on a world whose preprod runs an image (after a
// mergeChainRound): a person promotes it into the manual prod stage, which
// opens prod's PR, and then merges that PR. With cold, the engine restarts
// first.
func (cw *callWorld) promoteRound(tb testing.TB, cold bool) apiCalls {
	tb.Helper()
	if cold {
		cw.restart(tb)
	}
	cw.GitHub.ResetCalls()
	o, err := cw.Engine.Run(context.Background(), promote.Request{Kind: promote.Promote, Source: promote.FromCLI, App: "web", Stage: "prod"})
	c := served(cw.World)
	if err != nil || o.Result != promote.Opened {
		tb.Fatalf("promote web to prod: %+v, %v; want it opened", o, err)
	}
	cw.pins(tb, o.HeadSHA, "prod", o.To.Digest)
	cw.mergedByPerson(tb, o)
	return c
}
