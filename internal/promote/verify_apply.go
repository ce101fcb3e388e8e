package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// The health gate's results.
const (
	HealthOK      Result = "healthy"   // the stage runs the image healthy; it moves on
	HealthFailed  Result = "unhealthy" // a verify status failed, or none came in time; the image stops there
	HealthWaiting Result = "verifying" // the verify statuses are not all in yet
)

// deployed records each merge's rollout and shows it on GitHub as a
// deployment of the merge commit to the stage's environment: in progress
// while the stage's health gate waits, success at once where it has none.
// verifying says the stage's gate waits, so the image moves on only once
// its Verify settles it.
func (e *Engine) deployed(ctx context.Context, ms []store.Merge, stage config.Stage) error {
	verifying := len(stage.Verify) > 0
	ds := make([]store.Deployment, len(ms))
	for i, m := range ms {
		ds[i] = store.Deployment{App: m.App, Stage: m.Stage, PR: m.PR, Tag: m.Tag, Digest: m.Digest, MergeSHA: m.MergeSHA,
			Group: m.Group, State: store.DeployDone, MergedAt: m.At}
		if verifying {
			ds[i].State, ds[i].Deadline = store.DeployVerifying, m.At.Add(stage.VerifyTimeout)
		}
	}
	errs := []error{e.deploy(ctx, ds)}
	for _, m := range ms {
		if verifying && e.sched != nil {
			// Statuses may be in already: look at once; the look schedules
			// the timeout, and status events look again.
			r := Request{ID: fmt.Sprintf("verify/%s/%s/%d", m.App, m.Stage, m.PR), Kind: Verify, Source: FromVerify, App: m.App, Stage: m.Stage, Issue: m.PR}
			errs = append(errs, e.sched.Schedule(ctx, r, time.Time{}))
		}
	}
	return errors.Join(errs...)
}

// mergedInto is the stage ms were merged into, as the config last read
// has it: whether it has a health gate.
func (e *Engine) mergedInto(ctx context.Context, ms []store.Merge) (config.Stage, error) {
	cfg, err := e.known(ctx)
	if err != nil || cfg == nil {
		return config.Stage{}, err
	}
	stage, _ := cfg.Stage(ms[0].Stage)
	return stage, nil
}

// deploy records the rollout of one merge (an app's, or a group's with
// one record per app) and makes its one GitHub deployment, once:
// stagehand hears of its own merges twice, and a job may run again. A
// group's merge is one deployment (its payload lists the apps), not one
// per app: a group of 200 would otherwise cost 400 writes, minutes of
// GitHub's secondary limits.
func (e *Engine) deploy(ctx context.Context, ds []store.Deployment) error {
	first := ds[0]
	name := first.App
	if first.Group != "" {
		name = first.Group
	}
	release, err := e.locks.Lock(ctx, "deploy/"+Key(name, first.Stage), e.lockWait)
	if err != nil {
		return fmt.Errorf("wait for the deployment of %s: %w", Key(name, first.Stage), err)
	}
	defer release()
	for _, d := range ds {
		if _, err := e.records.StartDeployment(ctx, d); err != nil {
			return err
		}
	}
	cur, ok, err := e.records.LastDeployment(ctx, first.App, first.Stage)
	if err != nil || !ok || cur.PR != first.PR || cur.GitHubID != 0 || first.MergeSHA == "" {
		return err
	}
	payload := map[string]any{"app": first.App, "tag": first.Tag, "digest": first.Digest, "pr": first.PR}
	desc := fmt.Sprintf("%s %s (#%d)", first.App, first.Tag, first.PR)
	if first.Group != "" {
		apps := make([]map[string]any, len(ds))
		for i, d := range ds {
			apps[i] = map[string]any{"app": d.App, "tag": d.Tag, "digest": d.Digest}
		}
		payload = map[string]any{"group": first.Group, "apps": apps, "pr": first.PR}
		desc = fmt.Sprintf("group %s: %d apps (#%d)", first.Group, len(ds), first.PR)
	}
	id, err := e.gh.CreateDeployment(ctx, githubapp.NewDeployment{Ref: first.MergeSHA, Environment: first.Stage, Payload: payload, Description: desc})
	if err != nil {
		return err
	}
	for _, d := range ds {
		if err := e.records.SetGitHubDeployment(ctx, d.App, d.Stage, d.PR, id); err != nil {
			return err
		}
	}
	state, desc := "success", fmt.Sprintf("%s merged into %s", desc, first.Stage)
	switch cur.State {
	case store.DeployVerifying:
		state, desc = "in_progress", fmt.Sprintf("waiting for %s's verify statuses", first.Stage)
	case store.DeployFailed, store.DeployTimedOut:
		state, desc = "failure", cur.Description
	}
	return e.gh.SetDeploymentStatus(ctx, id, state, desc, cur.TargetURL)
}

// settleHealth carries out a Verify's verdict: the record, the GitHub
// deployment's status, and then the chain (healthy) or the stop (a
// comment on the merged PR, and a hold where the stage says on_failure:
// hold). The record is settled once, so a second replica or a retry that
// finds it settled does nothing more.
func (e *Engine) settleHealth(ctx context.Context, p Plan, o Outcome) (Outcome, error) {
	h := p.Health
	d := h.Deployment
	d.State, d.DoneAt = h.State, e.now()
	if h.Failed != nil {
		d.Context, d.TargetURL, d.Description = h.Failed.Context, h.Failed.TargetURL, h.Failed.Description
	} else if h.State == store.DeployTimedOut {
		d.Context, d.Description = strings.Join(h.Waiting, ", "), "not success within verify_timeout"
	}
	if d.Group != "" {
		// The group's apps share one GitHub deployment: settling and
		// looking at the others take turns, so that exactly one of them
		// moves it (groupSettled).
		release, err := e.locks.Lock(ctx, "deploy/"+Key(d.Group, d.Stage), e.lockWait)
		if err != nil {
			return o, fmt.Errorf("wait for the deployment of %s: %w", Key(d.Group, d.Stage), err)
		}
		defer release()
	}
	settled, err := e.records.SettleDeployment(ctx, d)
	if err != nil {
		return o, err
	}
	o.PR = d.PR
	if !settled {
		o.Result, o.Reason = Ignored, fmt.Sprintf("the health of %s in %s (PR #%d) was settled already", d.App, d.Stage, d.PR)
		return o, nil
	}
	log := e.log.With("app", d.App, "stage", d.Stage, "digest", d.Digest, "pr", d.PR)
	if p.Verdict == Healthy {
		o.Result = HealthOK
		log.Info("verified healthy", "sha", h.SHA)
		if all, err := e.groupSettled(ctx, d, store.DeployHealthy); err != nil {
			return o, err
		} else if all {
			e.deploymentStatus(ctx, d, "success", p.Reason, "")
		}
		if len(p.Next) == 0 || e.sched == nil {
			return o, nil
		}
		r := Request{ID: fmt.Sprintf("verified/%s/%s/%d", d.App, d.Stage, d.PR), Kind: Chain, Source: FromVerify, App: d.App, From: d.Stage, Issue: d.PR}
		return o, e.sched.Schedule(ctx, r, time.Time{})
	}
	o.Result = HealthFailed
	log.Warn("health gate failed", "state", d.State, "context", d.Context)
	if first, err := e.groupSettled(ctx, d, ""); err != nil {
		return o, err
	} else if first {
		e.deploymentStatus(ctx, d, "failure", p.Reason, d.TargetURL)
	}
	body := fmt.Sprintf("stagehand stopped %s `%s` in %s: %s.\n\nLater stages take nothing from this image (`%s`).", d.App, d.Tag, d.Stage, p.Reason, d.Digest)
	if p.Stage.OnFailure == config.HoldStage {
		hold := store.Hold{App: d.App, Stage: d.Stage, By: "stagehand", Reason: "health gate failed: " + d.Context, At: e.now(), Issue: d.PR}
		if err := e.records.PlaceHold(ctx, hold); err != nil {
			return o, err
		}
		body += fmt.Sprintf("\n\n%s is now held in %s (`on_failure: hold`): nothing moves into it until `/release %s %s`. To go back to the image it ran before, comment `/rollback %s %s`.",
			d.App, d.Stage, d.App, d.Stage, d.App, d.Stage)
		o.Reason += fmt.Sprintf("; %s is held in %s", d.App, d.Stage)
	}
	if err := e.gh.Comment(ctx, d.PR, body); err != nil {
		// Settled and recorded; the history and the deployment say it.
		log.Warn("could not tell of the failed health gate on the PR", "err", err)
	}
	return o, nil
}

// groupSettled says whether d's settling moves its GitHub deployment,
// which a group's apps share: to success (want healthy) once every app of
// the group's merge is healthy; to failure (want "") when no other app
// failed before. An app's own deployment always moves.
func (e *Engine) groupSettled(ctx context.Context, d store.Deployment, want string) (bool, error) {
	if d.Group == "" {
		return true, nil
	}
	all, err := e.records.GroupDeployments(ctx, d.Group, d.Stage, d.PR)
	if err != nil {
		return false, err
	}
	for _, o := range all {
		switch {
		case o.App == d.App:
		case want == store.DeployHealthy && o.State != store.DeployHealthy:
			return false, nil
		case want == "" && (o.State == store.DeployFailed || o.State == store.DeployTimedOut):
			return false, nil
		}
	}
	return true, nil
}

// deploymentStatus moves d's GitHub deployment; a failure is logged, not
// retried: the record and the PR say the same.
func (e *Engine) deploymentStatus(ctx context.Context, d store.Deployment, state, desc, url string) {
	if d.GitHubID == 0 {
		return
	}
	if err := e.gh.SetDeploymentStatus(ctx, d.GitHubID, state, desc, url); err != nil {
		e.log.Warn("could not set the deployment's status on GitHub", "app", d.App, "stage", d.Stage, "deployment", d.GitHubID, "state", state, "err", err)
	}
}

// scheduleVerify asks for the health gate again at its timeout.
func (e *Engine) scheduleVerify(ctx context.Context, p Plan) error {
	if e.sched == nil {
		return nil
	}
	d := p.Health.Deployment
	r := Request{ID: fmt.Sprintf("verify-timeout/%s/%s/%d", d.App, d.Stage, d.PR), Kind: Verify, Source: FromVerify, App: d.App, Stage: d.Stage, Issue: d.PR}
	return e.sched.Schedule(ctx, r, p.Until)
}

// Verifications are the Verify requests for the health gates still open
// that a change of sha's statuses may settle: every one for a reconcile
// (sha ""), else those whose merge commit it is, or all when the commit is
// on the base branch (branches lists where it is, as a status event says).
func (e *Engine) Verifications(ctx context.Context, sha string, branches []string) ([]Request, error) {
	open, err := e.records.Verifying(ctx)
	if err != nil {
		return nil, err
	}
	onBase := sha == ""
	for _, b := range branches {
		onBase = onBase || b == e.base
	}
	var out []Request
	for _, d := range open {
		if onBase || d.MergeSHA == sha {
			out = append(out, Request{Kind: Verify, Source: FromVerify, App: d.App, Stage: d.Stage, Issue: d.PR, SHA: sha})
		}
	}
	return out, nil
}
