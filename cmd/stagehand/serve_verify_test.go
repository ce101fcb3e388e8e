package main

// Health gates and GitHub deployments against a running `stagehand serve`:
// a stage with verify: moves an image on only once Flux's (or Argo CD's)
// statuses on the merge commit say it runs healthy; each merge is a GitHub
// deployment whose status follows the gate.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/api"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

const (
	vfFlux = "kustomization/apps-staging"
	vfArgo = "argocd/web-staging"
	vfURL  = "https://flux.acme.test/kustomizations/apps-staging"
)

func TestServeHealthGate(t *testing.T) {
	e2e.OnEachDatabase(t, vfHealthGate)
}

func vfHealthGate(t *testing.T, database string) {
	w := e2e.Start(t, e2e.Options{Run: run, Database: database, StageKeys: map[string]string{
		"staging": "    verify:\n      - context: " + vfFlux + "\n      - context: " + vfArgo + "\n    verify_timeout: 20m\n    on_failure: hold\n",
		"preprod": "    soak: 5s\n",
	}})
	w.GitHub.SetPermission("writer", "write")
	deliveries := w.Deliveries(t)

	// generic's image is pushed; staging auto-merges it, and waits.
	if code, answer := w.Send(t, deliveries["generic"]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	staging := vfMerged(t, w, "generic")
	dep := vfDeployment(t, w, "generic", staging, "in_progress")
	if dep.Ref != staging.MergeSHA || dep.Payload["tag"] != e2e.Tag || dep.Payload["digest"] != w.Digests["generic"] || fmt.Sprint(dep.Payload["pr"]) != fmt.Sprint(staging.Number) {
		t.Errorf("staging's deployment %+v; want ref %s, payload tag %s, digest %s, pr %d", dep, staging.MergeSHA, e2e.Tag, w.Digests["generic"], staging.Number)
	}

	// Flux says healthy; Argo CD has not said yet: still nothing moves.
	looked := vfLooks(t, w)
	w.GitHub.ReportStatus(staging.MergeSHA, vfFlux, "success", "Applied revision main@"+staging.MergeSHA[:7], vfURL)
	w.Eventually(t, "another look at staging's statuses", func() (bool, string) {
		n := vfLooks(t, w)
		return n > looked, fmt.Sprint(n)
	})
	if pr, ok := w.PR(promote.Branch("generic", "preprod")); ok {
		t.Fatalf("preprod got PR #%d before every verify status was success", pr.Number)
	}

	// Argo CD says healthy too, more than preprod's soak of 5s after the
	// merge: the soak counts from now, so the image waits, then preprod
	// gets its PR, with the same digest.
	time.Sleep(6 * time.Second)
	w.GitHub.ReportStatus(staging.MergeSHA, vfArgo, "success", "healthy", "https://argocd.acme.test/applications/web-staging")
	w.Eventually(t, "the soak note on generic's staging PR", func() (bool, string) {
		note := w.LastComment(staging.Number)
		return strings.Contains(note, "moves on to preprod at") && strings.Contains(note, "when it has soaked in staging"), note
	})
	w.Eventually(t, "generic's preprod PR", func() (bool, string) {
		pr, ok := w.PR(promote.Branch("generic", "preprod"))
		return ok && pr.State == "open", fmt.Sprintf("%d PRs", len(w.GitHub.PullRequests()))
	})
	preprod, _ := w.PR(promote.Branch("generic", "preprod"))
	if m, _, _ := promote.ParseMarker(preprod.Body); m.Digest != w.Digests["generic"] {
		t.Errorf("preprod PR #%d proposes %s, want %s", preprod.Number, m.Digest, w.Digests["generic"])
	}
	vfDeployment(t, w, "generic", staging, "in_progress", "success")
	vfAction(t, w, "generic", "healthy", vfArgo)

	// quay's image is merged into staging, and Flux says it is not healthy.
	if code, answer := w.Send(t, deliveries["quay"]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	bad := vfMerged(t, w, "quay")
	vfDeployment(t, w, "quay", bad, "in_progress")
	w.GitHub.ReportStatus(bad.MergeSHA, vfFlux, "failure", "Health check failed after 2m0s", vfURL)
	w.Eventually(t, "the note on quay's staging PR", func() (bool, string) {
		note := w.LastComment(bad.Number)
		return strings.Contains(note, "`"+vfFlux+"` is failure") && strings.Contains(note, vfURL) &&
			strings.Contains(note, "`/rollback quay staging`"), note
	})
	vfDeployment(t, w, "quay", bad, "in_progress", "failure")
	reason := vfAction(t, w, "quay", "unhealthy", vfFlux)
	if !strings.Contains(reason, "Health check failed after 2m0s") {
		t.Errorf("the history's reason %q does not say what the status said", reason)
	}
	h := hlHistory(t, w, "quay")
	if st := vfStage(h, "staging"); st.Hold == nil || st.Hold.By != "stagehand" {
		t.Errorf("on_failure: hold: staging's hold is %+v", st.Hold)
	}
	// preprod takes nothing from this image, even from a person.
	_, reply := w.Comment(t, bad.Number, "writer", "/promote quay to preprod")
	if !strings.Contains(reply, "failed its health check in staging") {
		t.Errorf("reply to /promote of the failed image: %q", reply)
	}
	if pr, ok := w.PR(promote.Branch("quay", "preprod")); ok {
		t.Errorf("preprod got PR #%d of an image that failed in staging", pr.Number)
	}
}

// TestServeHealthGateHealsAndTimesOut: a status whose event never came is
// read by the reconcile, and a stage that never reports stops the image
// at its verify_timeout. The webhook is off throughout, so stagehand hears
// of no status; the reconcile runs every second, which also proposes every
// app's pushed image for staging.
func TestServeHealthGateHealsAndTimesOut(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run, ServeArgs: []string{"--reconcile-interval", "1s"}, StageKeys: map[string]string{
		"staging": "    verify:\n      - context: " + vfFlux + "\n    verify_timeout: 15s\n",
	}})
	w.GitHub.SetWebhook(githubfake.Webhook{}) // events are lost from now on

	staging := vfMerged(t, w, "generic")
	w.GitHub.ReportStatus(staging.MergeSHA, vfFlux, "success", "Applied", vfURL)
	w.Eventually(t, "generic's preprod PR", func() (bool, string) {
		pr, ok := w.PR(promote.Branch("generic", "preprod"))
		return ok && pr.State == "open", fmt.Sprintf("%d PRs", len(w.GitHub.PullRequests()))
	})
	vfDeployment(t, w, "generic", staging, "in_progress", "success")

	// Nothing ever reports quay healthy: it stops at the timeout.
	bad := vfMerged(t, w, "quay")
	w.Eventually(t, "the timeout note on quay's staging PR", func() (bool, string) {
		note := w.LastComment(bad.Number)
		return strings.Contains(note, "within 15s of the merge (verify_timeout)") && strings.Contains(note, vfFlux), note
	})
	vfDeployment(t, w, "quay", bad, "in_progress", "failure")
	vfAction(t, w, "quay", "unhealthy", "verify_timeout")
	if st := vfStage(hlHistory(t, w, "quay"), "staging"); st.Hold != nil {
		t.Errorf("on_failure is stop, yet staging is held: %+v", st.Hold)
	}
	if pr, ok := w.PR(promote.Branch("quay", "preprod")); ok {
		t.Errorf("preprod got PR #%d of an image that timed out in staging", pr.Number)
	}
}

// vfMerged waits for app's staging PR to be merged and returns it.
func vfMerged(t *testing.T, w *e2e.World, app string) githubfake.PullRequest {
	t.Helper()
	var pr githubfake.PullRequest
	w.Eventually(t, app+"'s staging PR merged", func() (bool, string) {
		var ok bool
		pr, ok = w.PR(promote.Branch(app, "staging"))
		return ok && pr.Merged && pr.MergeSHA != "", fmt.Sprintf("%+v", pr)
	})
	return pr
}

// vfDeployment waits for app's (or group's) deployment of pr's merge into
// staging to have gone through states, and returns it; there is exactly
// one.
func vfDeployment(t *testing.T, w *e2e.World, app string, pr githubfake.PullRequest, states ...string) githubfake.Deployment {
	t.Helper()
	var got githubfake.Deployment
	w.Eventually(t, fmt.Sprintf("%s's staging deployment %v", app, states), func() (bool, string) {
		var mine []githubfake.Deployment
		for _, d := range w.GitHub.Deployments() {
			if d.Environment == "staging" && (d.Payload["app"] == app || d.Payload["group"] == app) {
				mine = append(mine, d)
			}
		}
		if len(mine) != 1 {
			return false, fmt.Sprintf("%d deployments", len(mine))
		}
		got = mine[0]
		var seen []string
		for _, s := range got.Statuses {
			if s.State != "inactive" { // GitHub's own, when a newer one succeeds
				seen = append(seen, s.State)
			}
		}
		return slices.Equal(seen, states) && got.SHA == pr.MergeSHA, fmt.Sprintf("%+v", got)
	})
	return got
}

// vfAction is the reason of app's newest verify action with result, which
// must name what.
func vfAction(t *testing.T, w *e2e.World, app, result, what string) string {
	t.Helper()
	for _, a := range hlHistory(t, w, app).Actions {
		if a.Kind == "verify" && a.Result == result {
			if !strings.Contains(a.Reason, what) || a.Stage != "staging" || a.ToDigest != w.Digests[app] || a.PR == 0 {
				t.Errorf("%s's history: %+v; want it to name %s, staging, the digest and the PR", app, a, what)
			}
			return a.Reason
		}
	}
	t.Errorf("%s's history has no verify action %s", app, result)
	return ""
}

// vfLooks counts the looks at health gates that found them still waiting.
func vfLooks(t *testing.T, w *e2e.World) float64 {
	return hlPromotions(w.Metrics(t))["staging verifying"]
}

func vfStage(h api.History, stage string) api.Stage {
	for _, s := range h.Stages {
		if s.Stage == stage {
			return s
		}
	}
	return api.Stage{}
}

// TestServeHealthGateGroup: a group's merge is gated app by app, and is
// one deployment listing its apps; the group moves on together once every
// app's gate is green.
func TestServeHealthGateGroup(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run, Groups: "  - name: shop\n    apps: [" + strings.Join(grShop, ", ") + "]\n",
		StageKeys: map[string]string{"staging": "    verify:\n      - context: " + vfFlux + "\n"}})
	deliveries := w.Deliveries(t)
	for _, name := range grShop {
		if code, answer := w.Send(t, deliveries[name]); code != http.StatusAccepted {
			t.Fatalf("%s: %d %q", name, code, answer)
		}
	}
	var staging githubfake.PullRequest
	w.Eventually(t, "shop's staging PR merged", func() (bool, string) {
		var ok bool
		staging, ok = w.PR(promote.Branch("shop", "staging"))
		return ok && staging.Merged, fmt.Sprintf("%+v", staging)
	})
	dep := vfDeployment(t, w, "shop", staging, "in_progress")
	if apps, _ := dep.Payload["apps"].([]any); len(apps) != len(grShop) || fmt.Sprint(dep.Payload["pr"]) != fmt.Sprint(staging.Number) {
		t.Errorf("the group's deployment %+v; want its %d apps and PR #%d", dep, len(grShop), staging.Number)
	}
	if pr, ok := w.PR(promote.Branch("shop", "preprod")); ok {
		t.Fatalf("preprod got PR #%d before staging was verified", pr.Number)
	}
	w.GitHub.ReportStatus(staging.MergeSHA, vfFlux, "success", "Applied", vfURL)
	w.Eventually(t, "shop's preprod PR", func() (bool, string) {
		pr, ok := w.PR(promote.Branch("shop", "preprod"))
		return ok && pr.State == "open", fmt.Sprintf("%d PRs", len(w.GitHub.PullRequests()))
	})
	want := map[string]string{}
	for _, name := range grShop {
		want[name] = e2e.Tag + "@" + w.Digests[name]
	}
	vfDeployment(t, w, "shop", staging, "in_progress", "success")
	preprod := grOnly(t, w, "preprod")
	grCheck(t, w, preprod, "preprod", preprod.HeadSHA, want)
}
