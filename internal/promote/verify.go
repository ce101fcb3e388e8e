package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// The health gate (a stage's verify: in .stagehand.yaml): after a merge
// into such a stage, the image moves on, and its soak time starts, only
// once the statuses that say the stage runs it healthy are all success on
// the merge commit (or a later commit of the base branch that still pins
// it). A failure, an error or the timeout stops it there.

// Verify: look at the statuses of Stage's last merge (PR Issue) and settle
// its health gate when they say so; SHA is the commit whose statuses
// changed, if an event said which.
const Verify Kind = "verify"

// FromVerify is a request the health gate makes: the chain once a stage
// is verified healthy, or the look at its statuses.
const FromVerify Source = "verify"

// The health gate's verdicts.
const (
	Healthy   Verdict = "healthy"   // every verify context is success: settle, and move the image on
	Unhealthy Verdict = "unhealthy" // a verify context failed, or the timeout passed: settle, and stop the image there
	Verifying Verdict = "verifying" // not yet: ask again at Until, the timeout, unless a status comes first
)

// Codes of the health gate's refusals.
const (
	CodeUnhealthy Code = "unhealthy" // the source stage's health gate failed for this image
	CodeVerifying Code = "verifying" // the source stage has not said it runs this image healthy yet
)

// CommitStatuses are the statuses of one commit of the base branch a
// health gate may count: the merge commit, or a later one still pinning
// the image (Pins).
type CommitStatuses struct {
	SHA      string
	Pins     bool
	Statuses []githubapp.Status
}

// Health is a health gate as Decide settled it.
type Health struct {
	Deployment store.Deployment
	State      string            // store.DeployHealthy, DeployFailed, DeployTimedOut or DeployVerifying
	SHA        string            // the commit that settled it
	Failed     *githubapp.Status // the status that failed
	Waiting    []string          // contexts not success yet
}

// healthOf reads the verify contexts off the commits that count: a
// context is success when it is success on any of them; failed when it
// failed or errored on one and is success on none. Commits that no longer
// pin the image do not count.
func healthOf(contexts []string, commits []CommitStatuses) (state string, failed *githubapp.Status, sha string, waiting []string) {
	type seen struct {
		sha string
		st  githubapp.Status
	}
	green := map[string]string{} // context → the commit it is success on
	bad := map[string]seen{}     // context → where it failed first
	for _, c := range commits {
		if !c.Pins {
			continue
		}
		for _, st := range c.Statuses {
			if !slices.Contains(contexts, st.Context) {
				continue
			}
			switch st.State {
			case "success":
				if _, ok := green[st.Context]; !ok {
					green[st.Context] = c.SHA
				}
			case "failure", "error":
				if _, ok := bad[st.Context]; !ok {
					bad[st.Context] = seen{c.SHA, st}
				}
			}
		}
	}
	var failedAt seen
	for _, ctx := range contexts {
		if g, ok := green[ctx]; ok {
			sha = g // the commit the last context is green on
			continue
		}
		waiting = append(waiting, ctx)
		if b, ok := bad[ctx]; ok && failed == nil {
			failedAt = b
			failed = &failedAt.st
		}
	}
	switch {
	case len(waiting) == 0:
		return store.DeployHealthy, nil, sha, nil
	case failed != nil:
		return store.DeployFailed, failed, failedAt.sha, waiting
	}
	return store.DeployVerifying, nil, "", waiting
}

// decideVerify settles a stage's health gate from the statuses read, or
// waits for them until the stage's verify_timeout.
func decideVerify(p Plan, s Snapshot, cfg *config.Config) Plan {
	r := p.Request
	stage, ok := cfg.Stage(r.Stage)
	if !ok {
		return p.ignore(fmt.Sprintf("there is no stage %q in %s any more", r.Stage, config.FileName))
	}
	p.Stage = stage
	p.setNext(cfg)
	d, ok := s.Health[stage.Name]
	if !ok || (r.Issue != 0 && d.PR != r.Issue) {
		return p.ignore(fmt.Sprintf("%s's last merge into %s is not PR #%d", r.App, stage.Name, r.Issue))
	}
	if d.State != store.DeployVerifying {
		return p.ignore(fmt.Sprintf("the health of %s in %s (PR #%d) is settled: %s", r.App, stage.Name, d.PR, d.State))
	}
	p.Want = Want{Image: p.App.Image, Tag: d.Tag, Digest: d.Digest}
	h := &Health{Deployment: d}
	p.Health = h
	if len(stage.Verify) == 0 {
		h.State = store.DeployHealthy
		p.Verdict, p.Reason = Healthy, fmt.Sprintf("%s no longer names statuses to verify in %s", stage.Name, config.FileName)
		return p
	}
	h.State, h.Failed, h.SHA, h.Waiting = healthOf(stage.Verify, s.Statuses)
	switch {
	case h.State == store.DeployHealthy:
		p.Verdict = Healthy
		p.Reason = fmt.Sprintf("%s runs %s `%s` healthy: %s success on %s", stage.Name, r.App, d.Tag, strings.Join(stage.Verify, ", "), shortSHA(h.SHA))
	case h.State == store.DeployFailed:
		p.Verdict, p.Code = Unhealthy, CodeUnhealthy
		p.Reason = fmt.Sprintf("%s does not run %s `%s` healthy: %s", stage.Name, r.App, d.Tag, describeStatus(*h.Failed, h.SHA))
	case !s.Now.Before(d.Deadline):
		h.State = store.DeployTimedOut
		p.Verdict, p.Code = Unhealthy, CodeUnhealthy
		p.Reason = fmt.Sprintf("%s did not report %s `%s` healthy within %s of the merge (verify_timeout): %s not success", stage.Name, r.App, d.Tag,
			stage.VerifyTimeout, strings.Join(h.Waiting, ", "))
	default:
		p.Verdict, p.Code, p.Until = Verifying, CodeVerifying, d.Deadline
		p.Reason = fmt.Sprintf("waiting for %s in %s until %s", strings.Join(h.Waiting, ", "), stage.Name, d.Deadline.UTC().Format(time.RFC3339))
	}
	return p
}

// describeStatus names a failed status, where to look, and on which commit.
func describeStatus(st githubapp.Status, sha string) string {
	s := fmt.Sprintf("status `%s` is %s on %s", st.Context, st.State, shortSHA(sha))
	if st.Description != "" {
		s += fmt.Sprintf(" (%s)", st.Description)
	}
	if st.TargetURL != "" {
		s += ": " + st.TargetURL
	}
	return s
}

// healthGate is the source stage's health gate for the image a chain or a
// promotion takes from it: passed when the stage has no verify, or its
// gate went green for this digest. A failed gate refuses everyone; one
// still waiting refuses too (the chain comes by itself once it is green).
// An image stagehand did not watch arrive (merged before the stage had
// verify, or by hand) refuses what stagehand does on its own and lets a
// person's promotion through, saying so.
func healthGate(from config.Stage, h *store.Deployment, digest string, person bool) (Gate, Code) {
	g := Gate{Name: "Health"}
	switch {
	case len(from.Verify) == 0:
		g.OK, g.Text = true, fmt.Sprintf("%s names no statuses to verify", from.Name)
		return g, ""
	case h == nil || h.Digest != digest:
		if person {
			g.OK, g.Text = true, fmt.Sprintf("stagehand did not watch this image arrive in %s, so it has no verdict on its health there (%s)", from.Name, strings.Join(from.Verify, ", "))
			return g, ""
		}
		g.Text = fmt.Sprintf("stagehand did not watch this image arrive in %s, so it cannot tell that %s are success; promote it by hand if it runs healthy", from.Name, strings.Join(from.Verify, ", "))
		return g, CodeVerifying
	}
	switch h.State {
	case store.DeployHealthy:
		g.OK, g.Text = true, fmt.Sprintf("%s reported it healthy (%s) at %s", from.Name, strings.Join(from.Verify, ", "), h.DoneAt.UTC().Format(time.RFC3339))
		return g, ""
	case store.DeployFailed:
		g.Text = fmt.Sprintf("it failed its health check in %s (status `%s` %s", from.Name, h.Context, h.Description)
		if h.TargetURL != "" {
			g.Text += ", " + h.TargetURL
		}
		g.Text += "), so later stages take nothing from it"
		return g, CodeUnhealthy
	case store.DeployTimedOut:
		g.Text = fmt.Sprintf("%s did not report it healthy within its verify_timeout, so later stages take nothing from it", from.Name)
		return g, CodeUnhealthy
	}
	g.Text = fmt.Sprintf("%s has not reported it healthy yet (waiting for %s until %s); it moves on by itself once they are success",
		from.Name, strings.Join(from.Verify, ", "), h.Deadline.UTC().Format(time.RFC3339))
	return g, CodeVerifying
}

// ranSince is when the image digest started to count as running in stage
// from, for its soak time: when its health gate went green where the stage
// verifies, else when stagehand saw it merged; zero when unknown.
func ranSince(s Snapshot, from config.Stage, digest string) time.Time {
	if len(from.Verify) > 0 {
		if h, ok := s.Health[from.Name]; ok && h.Digest == digest && h.State == store.DeployHealthy {
			return h.DoneAt
		}
		return time.Time{}
	}
	if m := s.Merged[from.Name]; m.Digest == digest {
		return m.At
	}
	return time.Time{}
}

// lastHealth is, for app, the health record r's rules read: the source
// stage's for a chain or a promotion, the stage's own for a Verify; only
// where that stage verifies.
func (e *Engine) lastHealth(ctx context.Context, r Request, app string, cfg *config.Config) (map[string]store.Deployment, error) {
	stages := sourceNames(r, cfg)
	if r.Kind == Verify {
		stages = []string{r.Stage}
	}
	out := map[string]store.Deployment{}
	for _, stage := range stages {
		st, ok := cfg.Stage(stage)
		if !ok || (len(st.Verify) == 0 && r.Kind != Verify) {
			continue
		}
		d, ok, err := e.records.LastDeployment(ctx, app, stage)
		if err != nil {
			return nil, fmt.Errorf("read the health of %s in %s: %w", app, stage, err)
		}
		if ok {
			out[stage] = d
		}
	}
	return out, nil
}

// readStatuses adds, for a Verify, the statuses of the commits that count:
// the merge commit, and the base branch's head (and the commit an event
// named, when it is the head) where that still pins the image.
func (e *Engine) readStatuses(ctx context.Context, r Request, app config.App, s *Snapshot) error {
	d, ok := s.Health[r.Stage]
	if !ok || d.State != store.DeployVerifying {
		return nil
	}
	st, _ := s.Config.Stage(r.Stage)
	if len(st.Verify) == 0 {
		return nil
	}
	shas := []string{d.MergeSHA}
	if f, ok := s.Files[app.Path(r.Stage)]; ok && f.Problem == "" && f.Pinned.Digest == d.Digest && s.Base.SHA != d.MergeSHA {
		// A later commit of the base branch that still pins the image:
		// what Argo CD or Flux apply once the branch has moved on.
		shas = append(shas, s.Base.SHA)
	}
	// The commits' statuses are read side by side.
	lists := make([][]githubapp.Status, len(shas))
	errs := make([]error, len(shas))
	var wg sync.WaitGroup
	for i, sha := range shas {
		wg.Go(func() {
			if lists[i], errs[i] = e.gh.Statuses(ctx, sha); errs[i] != nil {
				errs[i] = fmt.Errorf("read the statuses of %s: %w", shortSHA(sha), errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, sha := range shas {
		s.Statuses = append(s.Statuses, CommitStatuses{SHA: sha, Pins: true, Statuses: lists[i]})
	}
	return nil
}
