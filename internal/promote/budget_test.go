package promote_test

import "testing"

// TestCallBudget holds stagehand to its GitHub budget: opening a PR in at
// most 8 calls, updating one in at most 6, and merging an auto-merge
// stage's PR plus the chain that opens the next stage's in at most 12,
// and promoting into a manual stage in at most 8;
// in a process that has served requests before (warm) and in the first
// request after a restart (cold). Call counts are exact, so this is a
// test; `make bench` reports the same figures.
func TestCallBudget(t *testing.T) {
	for _, cold := range []bool{false, true} {
		name := map[bool]string{false: "warm", true: "cold"}[cold]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pr := newCallWorld(t, "pull-request", true)
			pr.openUpdateRound(t, 0, false) // warms the engine
			open, update := pr.openUpdateRound(t, 1, cold)

			am := newCallWorld(t, "auto-merge", true)
			am.mergeChainRound(t, 0, false)
			mergeChain := am.mergeChainRound(t, 1, cold)
			promotion := am.promoteRound(t, cold)

			for _, c := range []struct {
				what   string
				calls  apiCalls
				budget int
			}{
				{"open", open, budgetOpen},
				{"update", update, budgetUpdate},
				{"merge+chain", mergeChain, budgetMergeChain},
				{"promote", promotion, budgetPromote},
			} {
				if c.calls.total() > c.budget {
					t.Errorf("%s (%s) over its budget of %d: %v", c.what, name, c.budget, c.calls)
				} else {
					t.Logf("%s (%s), budget %d: %v", c.what, name, c.budget, c.calls)
				}
			}
		})
	}
}
