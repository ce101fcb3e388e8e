package promote

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/store"
	"github.com/stagehand-dev/stagehand/internal/window"
)

// The plan's table tests: every rule, through every way in where it
// applies. The snapshot is written by hand; the reader that fills it for
// real is tested end to end (e2e_test.go).

const testConfig = `stages:
  - name: staging
    mode: auto-merge
  - name: preprod
    mode: pull-request
  - name: prod
    mode: manual
    soak: 30m
    approvers: [octocat, "@acme/release"]
apps:
  - name: web
    image: ghcr.io/acme/web
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/web/overlays/staging
      preprod: apps/web/overlays/preprod
      prod: apps/web/overlays/prod
  - name: worker
    image: ghcr.io/acme/worker
    tags:
      pattern: '^main-[0-9a-f]{7}$'
    stages:
      staging: apps/worker/staging
      preprod: apps/worker/preprod
      prod: apps/worker/prod
`

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func testCfg(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Parse(config.FileName, []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func app(t testing.TB, name string) config.App {
	t.Helper()
	a, ok := testCfg(t).App(name)
	if !ok {
		t.Fatalf("no app %s", name)
	}
	return a
}

// kustomization pins image at tag@digest ("" digest: by tag only).
func kustomization(image, tag, digest string) []byte {
	if tag == "" {
		return []byte("resources: [deployment.yaml]\n")
	}
	s := fmt.Sprintf("resources: [deployment.yaml]\nimages:\n  - name: %s\n    newTag: %q\n", image, tag)
	if digest != "" {
		s += fmt.Sprintf("    digest: %s\n", digest)
	}
	return []byte(s)
}

// world is a snapshot builder: web runs 1.0.0@d1 in staging and preprod,
// nothing pinned in prod; worker runs main-aaaaaaa@d1 in staging.
type world struct {
	t    testing.TB
	snap Snapshot
}

func newWorld(t testing.TB) *world {
	w := &world{t: t, snap: Snapshot{BaseName: "main", Base: githubapp.Branch{Name: "main", SHA: "b45e", TreeSHA: "7ree"},
		Config: testCfg(t), Files: map[string]File{}, Holds: map[string]gate.Hold{}, Merged: map[string]MergedAt{}, Now: now}}
	w.pin("web", "staging", "1.0.0", d1).pin("web", "preprod", "1.0.0", d1).pin("web", "prod", "", "")
	w.pin("worker", "staging", "main-aaaaaaa", d1).pin("worker", "preprod", "", "").pin("worker", "prod", "", "")
	return w
}

func (w *world) pin(appName, stage, tag, digest string) *world {
	a, ok := w.snap.Config.App(appName)
	if !ok {
		w.t.Fatalf("no app %s", appName)
	}
	path := a.Path(stage)
	data := kustomization(a.Image, tag, digest)
	pinned, err := manifest.Current(path, data, a.Image)
	if err != nil {
		w.t.Fatal(err)
	}
	w.snap.Files[path] = File{Path: path, Data: data, Pinned: pinned}
	return w
}

func (w *world) missing(appName, stage string) *world {
	path := app(w.t, appName).Path(stage)
	w.snap.Files[path] = File{Path: path, Problem: path + " does not exist on main"}
	return w
}

func (w *world) held(stage string, rollback bool) *world {
	w.snap.Holds[stage] = gate.Hold{By: "ann", Reason: "incident 7", At: now.Add(-time.Hour), Rollback: rollback}
	return w
}

func (w *world) merged(stage, digest string, ago time.Duration) *world {
	w.snap.Merged[stage] = MergedAt{Digest: digest, At: now.Add(-ago)}
	return w
}

// person is who comments or signs in: ann may write, bob only read, rel is
// in @acme/release, octocat is an approver by name.
func (w *world) person(login string) *world {
	perms := map[string]string{"ann": "write", "bob": "read", "rel": "read", "octocat": "read"}
	w.snap.Person = &gate.Person{Login: login, Permission: perms[login], MemberOf: func(team string) bool { return team == "acme/release" && login == "rel" }}
	return w
}

func (w *world) linkUsed() *world { w.snap.LinkUsed = true; return w }

// verify gives stage a health gate: flux/staging (named so whatever the
// stage), 20 minutes.
func (w *world) verify(stage string) *world {
	for i := range w.snap.Config.Stages {
		if st := &w.snap.Config.Stages[i]; st.Name == stage {
			st.Verify, st.VerifyTimeout, st.OnFailure = []string{"flux/staging"}, 20*time.Minute, config.Stop
		}
	}
	return w
}

// health is web's merge of 1.1.0@digest into stage by PR #5, at now, as
// its health gate stands: settled `ago` before now unless verifying.
func (w *world) health(stage, digest, state string, ago time.Duration) *world {
	if w.snap.Health == nil {
		w.snap.Health = map[string]store.Deployment{}
	}
	d := store.Deployment{App: "web", Stage: stage, PR: 5, Tag: "1.1.0", Digest: digest, MergeSHA: "m3rge", State: state,
		MergedAt: now.Add(-ago), Deadline: now.Add(20 * time.Minute)}
	if state != store.DeployVerifying {
		d.DoneAt = now.Add(-ago)
	}
	if state == store.DeployFailed {
		d.Context, d.Description, d.TargetURL = "flux/staging", "Health check failed", "https://flux.example/staging"
	}
	w.snap.Health[stage] = d
	return w
}

// statuses is one status on the merge commit (pins: it still pins the
// image).
func (w *world) statuses(pins bool, context, state string) *world {
	w.snap.Statuses = append(w.snap.Statuses, CommitStatuses{SHA: "m3rge", Pins: pins, Statuses: []githubapp.Status{
		{Context: context, State: state, TargetURL: "https://flux.example/staging", Description: "Health check failed"}}})
	return w
}

func (w *world) broken() *world {
	w.snap.Config, w.snap.ConfigErr = nil, &ConfigError{SHA: "b45e", Err: fmt.Errorf(".stagehand.yaml:3:11: mode \"auto-merj\" is not one of auto-merge, pull-request, manual")}
	return w
}

func (w *world) open(body string) *world {
	w.snap.Open = &githubapp.PullRequest{Number: 7, Head: "stagehand/web/staging", Body: body}
	return w
}

func (w *world) restore(point restorePoint, v verdict) *world {
	w.snap.Restore = &Restore{Point: point, Verdict: v}
	return w
}

// The ways in, as their makers build them.
func viaPush(tag, digest string) Request {
	return Request{Kind: Push, Source: FromRegistry, App: "web", Image: "ghcr.io/acme/web", Tag: tag, Digest: digest}
}
func viaReconcile(tag, digest string) Request {
	r := viaPush(tag, digest)
	r.Source = FromReconcile
	return r
}
func viaMerge(from string) Request {
	return Request{Kind: Chain, Source: FromMerge, App: "web", From: from, Issue: 12}
}
func viaSoak(from string) Request {
	return Request{Kind: Chain, Source: FromSoak, App: "web", From: from}
}
func viaComment(login, stage string) Request {
	return Request{Kind: Promote, Source: FromComment, App: "web", Stage: stage, Actor: Actor{Login: login}, Issue: 12}
}
func viaLink(from, to, digest string, actor Actor) Request {
	return Request{ID: "r1", Kind: Promote, Source: FromLink, App: "web", From: from, Stage: to, Digest: digest, LinkID: "L1", Actor: actor}
}
func viaCLI(login, stage string) Request {
	return Request{ID: "r2", Kind: Promote, Source: FromCLI, App: "web", Stage: stage, Actor: Actor{Login: login}}
}
func viaChecks(stage string) Request {
	return Request{Kind: Reconsider, Source: FromChecks, App: "web", Stage: stage}
}
func viaRelease(r Request) Request { r.Source = FromRelease; return r }
func viaVerified(from string) Request {
	return Request{Kind: Chain, Source: FromVerify, App: "web", From: from, Issue: 5}
}
func viaVerify(stage string, pr int) Request {
	return Request{Kind: Verify, Source: FromVerify, App: "web", Stage: stage, Issue: pr}
}

func marker(tag, digest string) string {
	return Marker{App: "web", Stage: "staging", Image: "ghcr.io/acme/web", Tag: tag, Digest: digest}.String()
}

func TestDecide(t *testing.T) {
	bearer := Actor{Bearer: true}
	tests := []struct {
		name    string
		r       Request
		w       func(*world)
		verdict Verdict
		code    Code
		reason  string // a part of the reason; "" for none to check
	}{
		// A pushed image enters the first stage.
		{"push proposes", viaPush("1.1.0", d2), nil, Propose, "", ""},
		{"reconcile proposes", viaReconcile("1.1.0", d2), nil, Propose, "", ""},
		{"release proposes what a hold kept", viaRelease(viaPush("1.1.0", d2)), nil, Propose, "", ""},
		{"push: tag policy", viaPush("0.9.0", d2), nil, Ignore, "", "not accepted by web's tag policy (semver >=1.0.0)"},
		{"reconcile: tag policy", viaReconcile("latest", d2), nil, Ignore, "", "not accepted"},
		{"push: never backwards", viaPush("0.9.9", d2), func(w *world) { w.pin("web", "staging", "0.9.10", d1) }, Ignore, "", "not accepted"},
		{"push: older semver", viaPush("1.0.0", d2), func(w *world) { w.pin("web", "staging", "1.2.0", d1) }, Ignore, "", "1.0.0 is older and a semver policy never moves a stage back"},
		{"push: already there", viaPush("1.0.0", d1), nil, Nothing, "", "staging already runs 1.0.0@sha256:111111111111"},
		{"push: held", viaPush("1.1.0", d2), func(w *world) { w.held("staging", false) }, Refuse, CodeHeld, "web is held in staging by @ann: incident 7; release it with `/release web staging` first"},
		{"reconcile: held", viaReconcile("1.1.0", d2), func(w *world) { w.held("staging", false) }, Refuse, CodeHeld, "held in staging"},
		{"push: file missing", viaPush("1.1.0", d2), func(w *world) { w.missing("web", "staging") }, Refuse, CodeFile, "does not exist"},
		{"push: broken config", viaPush("1.1.0", d2), func(w *world) { w.broken() }, Refuse, CodeConfig, `mode "auto-merj"`},
		{"push: unknown app", Request{Kind: Push, Source: FromRegistry, App: "api", Tag: "1.0.0", Digest: d1}, nil, Refuse, CodeUnknown, `no app "api"`},

		// A merge moves the image on.
		{"chain proposes", viaMerge("staging"), func(w *world) { w.pin("web", "staging", "1.1.0", d2) }, Propose, "", ""},
		{"chain: already there", viaMerge("staging"), nil, Nothing, "", "preprod already runs"},
		{"chain: held", viaMerge("staging"), func(w *world) { w.pin("web", "staging", "1.1.0", d2).held("preprod", false) }, Refuse, CodeHeld, "held in preprod"},
		{"chain: source rolled back", viaMerge("staging"), func(w *world) { w.pin("web", "staging", "1.1.0", d2).held("staging", true) }, Refuse, CodeRollback, "staging was rolled back and is held by @ann"},
		{"chain: manual next", viaMerge("preprod"), nil, TellManual, "", "prod is a manual stage"},
		{"chain: last stage", viaMerge("prod"), nil, Ignore, "", "prod is the last stage"},
		{"chain: tag only", viaMerge("staging"), func(w *world) { w.pin("web", "staging", "1.1.0", "") }, Refuse, CodeSource, "by tag 1.1.0 only"},
		{"soak: chain waits", viaSoak("staging"), func(w *world) {
			w.snap.Config.Stages[1].Soak = time.Hour
			w.pin("web", "staging", "1.1.0", d2).merged("staging", d2, 20*time.Minute)
		}, Wait, CodeSoaking, "40m0s is left"},
		{"soak: chain goes once soaked", viaSoak("staging"), func(w *world) {
			w.snap.Config.Stages[1].Soak = time.Hour
			w.pin("web", "staging", "1.1.0", d2).merged("staging", d2, 61*time.Minute)
		}, Propose, "", ""},
		{"soak: unknown merge time fails closed", viaMerge("staging"), func(w *world) {
			w.snap.Config.Stages[1].Soak = time.Hour
			w.pin("web", "staging", "1.1.0", d2)
		}, Refuse, CodeSoaking, "cannot tell when"},

		// A stage's health gate (verify): the image moves on only once the
		// stage runs it healthy; soak counts from then.
		{"health: chain waits for verify", viaMerge("staging"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).verify("staging").health("staging", d2, store.DeployVerifying, 0)
		}, Refuse, CodeVerifying, "staging has not reported it healthy yet (waiting for flux/staging"},
		{"health: chain goes once healthy", viaVerified("staging"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).verify("staging").health("staging", d2, store.DeployHealthy, time.Minute)
		}, Propose, "", ""},
		{"health: failed stops the chain", viaVerified("staging"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).verify("staging").health("staging", d2, store.DeployFailed, time.Minute)
		}, Refuse, CodeUnhealthy, "failed its health check in staging (status `flux/staging` Health check failed, https://flux.example/staging), so later stages take nothing from it"},
		{"health: timed out stops the chain", viaMerge("staging"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).verify("staging").health("staging", d2, store.DeployTimedOut, time.Minute)
		}, Refuse, CodeUnhealthy, "did not report it healthy within its verify_timeout"},
		{"health: green for another digest", viaVerified("staging"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).verify("staging").health("staging", d1, store.DeployHealthy, time.Minute)
		}, Refuse, CodeVerifying, "stagehand did not watch this image arrive in staging"},
		{"health: no verify, no gate", viaMerge("staging"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).health("staging", d2, store.DeployFailed, time.Minute)
		}, Propose, "", ""},
		{"health: soak counts from green", viaVerified("staging"), func(w *world) {
			w.snap.Config.Stages[1].Soak = time.Hour
			w.pin("web", "staging", "1.1.0", d2).verify("staging").health("staging", d2, store.DeployHealthy, 20*time.Minute).merged("staging", d2, 3*time.Hour)
		}, Wait, CodeSoaking, "40m0s is left"},
		{"health: a person may not promote a failed image", viaComment("ann", "preprod"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).person("ann").verify("staging").health("staging", d2, store.DeployFailed, time.Minute)
		}, Refuse, CodeUnhealthy, "web 1.1.0: it failed its health check in staging"},
		{"health: nor one still verifying", viaCLI("", "preprod"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).verify("staging").health("staging", d2, store.DeployVerifying, 0)
		}, Refuse, CodeVerifying, "has not reported it healthy yet"},
		{"health: a person may promote an image stagehand did not watch", viaComment("ann", "preprod"), func(w *world) {
			w.pin("web", "staging", "1.1.0", d2).person("ann").verify("staging")
		}, Propose, "", ""},
		{"verify: green", viaVerify("staging", 5), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployVerifying, 0).statuses(true, "flux/staging", "success")
		}, Healthy, "", "staging runs web `1.1.0` healthy: flux/staging success on"},
		{"verify: failure names the status and where to look", viaVerify("staging", 5), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployVerifying, 0).statuses(true, "flux/staging", "failure")
		}, Unhealthy, CodeUnhealthy, "status `flux/staging` is failure on m3rge (Health check failed): https://flux.example/staging"},
		{"verify: error fails too", viaVerify("staging", 5), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployVerifying, 0).statuses(true, "flux/staging", "error")
		}, Unhealthy, CodeUnhealthy, "is error"},
		{"verify: pending waits until the timeout", viaVerify("staging", 5), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployVerifying, 0).statuses(true, "flux/staging", "pending")
		}, Verifying, CodeVerifying, "waiting for flux/staging in staging until 2026-12-05T12:20:00Z"},
		{"verify: the timeout fails it", viaVerify("staging", 5), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployVerifying, 0).statuses(true, "flux/staging", "pending")
			w.snap.Now = now.Add(21 * time.Minute)
		}, Unhealthy, CodeUnhealthy, "did not report web `1.1.0` healthy within 20m0s of the merge (verify_timeout): flux/staging not success"},
		{"verify: a commit that no longer pins the image does not count", viaVerify("staging", 5), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployVerifying, 0).statuses(false, "flux/staging", "success")
		}, Verifying, CodeVerifying, "waiting for flux/staging"},
		{"verify: other contexts do not count", viaVerify("staging", 5), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployVerifying, 0).statuses(true, "ci", "failure")
		}, Verifying, CodeVerifying, "waiting"},
		{"verify: settled already", viaVerify("staging", 5), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployFailed, time.Minute)
		}, Ignore, "", "is settled: failed"},
		{"verify: another merge", viaVerify("staging", 4), func(w *world) {
			w.verify("staging").health("staging", d2, store.DeployVerifying, 0)
		}, Ignore, "", "not PR #4"},
		{"verify: verify removed from the config", viaVerify("staging", 5), func(w *world) {
			w.health("staging", d2, store.DeployVerifying, 0)
		}, Healthy, "", "no longer names statuses to verify"},

		// A person promotes: a comment, a link, the CLI.
		{"comment proposes", viaComment("ann", "preprod"), func(w *world) { w.pin("web", "staging", "1.1.0", d2).person("ann") }, Propose, "", ""},
		{"comment: reader may not", viaComment("bob", "preprod"), func(w *world) { w.pin("web", "staging", "1.1.0", d2).person("bob") }, Refuse, CodeNotAllowed, "@bob may not promote into preprod: that needs write permission"},
		{"comment: writer is no approver", viaComment("ann", "prod"), func(w *world) { w.person("ann").merged("preprod", d1, time.Hour) }, Refuse, CodeNotAllowed, "only octocat, @acme/release may"},
		{"comment: approver by name", viaComment("octocat", "prod"), func(w *world) { w.person("octocat").merged("preprod", d1, time.Hour) }, Propose, "", ""},
		{"comment: approver by team", viaComment("rel", "prod"), func(w *world) { w.person("rel").merged("preprod", d1, time.Hour) }, Propose, "", ""},
		{"comment: held", viaComment("ann", "preprod"), func(w *world) { w.pin("web", "staging", "1.1.0", d2).person("ann").held("preprod", false) }, Refuse, CodeHeld, "held in preprod"},
		{"comment: soak", viaComment("octocat", "prod"), func(w *world) { w.person("octocat").merged("preprod", d1, 10*time.Minute) }, Refuse, CodeSoaking, "20m0s is left"},
		{"comment: first stage", viaComment("ann", "staging"), func(w *world) { w.person("ann") }, Refuse, CodeOrder, "staging is the first stage"},
		{"comment: unknown stage", viaComment("ann", "qa"), func(w *world) { w.person("ann") }, Refuse, CodeUnknown, `no stage "qa"`},
		{"comment: already there", viaComment("ann", "preprod"), func(w *world) { w.person("ann") }, Nothing, "", "preprod already runs"},
		{"comment: broken config", viaComment("ann", "preprod"), func(w *world) { w.broken() }, Refuse, CodeConfig, ".stagehand.yaml:3:11"},
		{"link proposes", viaLink("staging", "preprod", d2, bearer), func(w *world) { w.pin("web", "staging", "1.1.0", d2) }, Propose, "", ""},
		{"link: used", viaLink("staging", "preprod", d2, bearer), func(w *world) { w.pin("web", "staging", "1.1.0", d2).linkUsed() }, Refuse, CodeUsed, "already used"},
		{"link: superseded", viaLink("staging", "preprod", d1, bearer), func(w *world) { w.pin("web", "staging", "1.1.0", d2) }, Refuse, CodeSuperseded, "not the image this link promotes"},
		{"link: stages changed", viaLink("staging", "prod", d1, bearer), nil, Refuse, CodeOrder, "prod no longer comes right after staging"},
		{"link: held", viaLink("staging", "preprod", d2, bearer), func(w *world) { w.pin("web", "staging", "1.1.0", d2).held("preprod", false) }, Refuse, CodeHeld, "held in preprod"},
		{"link: bearer cannot be an approver", viaLink("preprod", "prod", d1, bearer), func(w *world) { w.merged("preprod", d1, time.Hour) }, Refuse, CodeNotAllowed, "a link cannot tell who clicked it"},
		{"link: sign in first", viaLink("preprod", "prod", d1, Actor{}), func(w *world) { w.merged("preprod", d1, time.Hour) }, Refuse, CodeSignIn, "sign in with GitHub"},
		{"link: signed-in approver", viaLink("preprod", "prod", d1, Actor{Login: "octocat"}), func(w *world) { w.person("octocat").merged("preprod", d1, time.Hour) }, Propose, "", ""},
		{"link: signed-in non-approver", viaLink("preprod", "prod", d1, Actor{Login: "ann"}), func(w *world) { w.person("ann").merged("preprod", d1, time.Hour) }, Refuse, CodeNotAllowed, "@ann may not promote into prod"},
		{"link: soak", viaLink("preprod", "prod", d1, Actor{Login: "octocat"}), func(w *world) { w.person("octocat").merged("preprod", d1, time.Minute) }, Refuse, CodeSoaking, "29m0s is left"},
		{"cli proposes", viaCLI("", "preprod"), func(w *world) { w.pin("web", "staging", "1.1.0", d2) }, Propose, "", ""},
		{"cli: held", viaCLI("", "preprod"), func(w *world) { w.pin("web", "staging", "1.1.0", d2).held("preprod", false) }, Refuse, CodeHeld, "held in preprod"},
		{"cli: approvers need a known person", viaCLI("", "prod"), func(w *world) { w.merged("preprod", d1, time.Hour) }, Refuse, CodeNotAllowed, "set GITHUB_TOKEN"},
		{"cli: token of an approver", viaCLI("octocat", "prod"), func(w *world) { w.person("octocat").merged("preprod", d1, time.Hour) }, Propose, "", ""},
		{"cli: soak", viaCLI("octocat", "prod"), func(w *world) { w.person("octocat") }, Refuse, CodeSoaking, "cannot tell when"},

		// Checks changed on an open PR.
		{"checks: bring the PR up to date", viaChecks("staging"), func(w *world) { w.open(marker("1.1.0", d2)) }, Propose, "", ""},
		{"checks: no PR", viaChecks("staging"), nil, Ignore, "", "no open stagehand PR"},
		{"checks: held", viaChecks("staging"), func(w *world) { w.open(marker("1.1.0", d2)).held("staging", false) }, Refuse, CodeHeld, "held in staging"},
		{"checks: already there", viaChecks("staging"), func(w *world) { w.open(marker("1.0.0", d1)) }, Nothing, "", "staging already runs"},

		// Holds, releases and rollbacks.
		{"hold", Request{Kind: Hold, Source: FromComment, App: "web", Stage: "prod", Actor: Actor{Login: "octocat"}}, func(w *world) { w.person("octocat") }, PlaceHold, "", ""},
		{"hold: a reader may not hold", Request{Kind: Hold, Source: FromComment, App: "web", Stage: "preprod", Actor: Actor{Login: "bob"}}, func(w *world) { w.person("bob") }, Refuse, CodeNotAllowed, "@bob may not hold web in preprod"},
		{"release", Request{Kind: Release, Source: FromComment, App: "web", Stage: "preprod", Actor: Actor{Login: "ann"}}, func(w *world) { w.person("ann").held("preprod", false) }, LiftHold, "", ""},
		{"release: not held", Request{Kind: Release, Source: FromComment, App: "web", Stage: "preprod", Actor: Actor{Login: "ann"}}, func(w *world) { w.person("ann") }, Refuse, CodeNotHeld, "not held in preprod"},
		{"rollback proposes, held or not", Request{Kind: Rollback, Source: FromComment, App: "web", Stage: "preprod", Actor: Actor{Login: "ann"}}, func(w *world) {
			w.person("ann").held("preprod", false).restore(restorePoint{Commit: githubapp.Commit{SHA: "c0ffee0000"}, Pin: manifest.Pinned{Found: true, Tag: "0.9.0", Digest: d2}}, yes())
		}, Propose, "", "restores what commit c0ffee0 pinned"},
		{"rollback: a reader may not", Request{Kind: Rollback, Source: FromComment, App: "web", Stage: "preprod", Actor: Actor{Login: "bob"}}, func(w *world) { w.person("bob") }, Refuse, CodeNotAllowed, "@bob may not roll back preprod"},
		{"rollback: nothing earlier", Request{Kind: Rollback, Source: FromComment, App: "web", Stage: "preprod", Actor: Actor{Login: "ann"}}, func(w *world) {
			w.person("ann").restore(restorePoint{}, no("web has run nothing but what it runs now"))
		}, Refuse, CodeSource, "nothing but what it runs now"},

		// Parallel stages (graph_test.go's pipeline: staging → preprod →
		// {prod-eu, prod-us} → global). A merge moves the image on to each
		// stage after it, each by its own rules; a stage after several takes
		// an image only once all of them run it.
		{"fan-out: to prod-eu", viaMergeTo("preprod", "prod-eu"), func(w *world) { w.inPreprod() }, Propose, "", ""},
		{"fan-out: to prod-us", viaMergeTo("preprod", "prod-us"), func(w *world) { w.inPreprod() }, Propose, "", ""},
		{"fan-out: a chain naming no stage is split first", viaMerge("preprod"), func(w *world) { w.inPreprod() }, Refuse, CodeOrder, "preprod is followed by prod-eu, prod-us"},
		{"fan-out: a straight part is as before", viaMerge("staging"), func(w *world) { w.graph().pin("web", "staging", "1.1.0", d2) }, Propose, "", ""},
		{"fan-out: a hold in prod-eu holds prod-eu", viaMergeTo("preprod", "prod-eu"), func(w *world) { w.inPreprod().held("prod-eu", false) }, Refuse, CodeHeld, "held in prod-eu"},
		{"fan-out: and not prod-us", viaMergeTo("preprod", "prod-us"), func(w *world) { w.inPreprod().held("prod-eu", false) }, Propose, "", ""},
		{"fan-out: soak in one branch waits", viaMergeTo("preprod", "prod-eu"), func(w *world) {
			w.inPreprod().soak("prod-eu", time.Hour).merged("preprod", d2, 20*time.Minute)
		}, Wait, CodeSoaking, "40m0s is left"},
		{"fan-out: the other branch goes", viaMergeTo("preprod", "prod-us"), func(w *world) {
			w.inPreprod().soak("prod-eu", time.Hour).merged("preprod", d2, 20*time.Minute)
		}, Propose, "", ""},
		{"fan-out: a stage that no longer follows", viaMergeTo("staging", "prod-eu"), func(w *world) { w.inPreprod() }, Ignore, "", "prod-eu no longer follows staging"},

		{"fan-in: waits for the other prod", viaMergeTo("prod-eu", "global"), func(w *world) { w.inPreprod().pin("web", "prod-eu", "1.1.0", d2) }, Refuse, CodeFanIn,
			"global takes an image only once prod-eu, prod-us all run it, and prod-us (runs `1.0.0`) does not run web `1.1.0` yet; it moves on to global when that stage runs it too"},
		{"fan-in: goes once both run it", viaMergeTo("prod-us", "global"), func(w *world) {
			w.inPreprod().pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2)
		}, Propose, "", ""},
		{"fan-in: a chain that finds it there", viaMergeTo("prod-eu", "global"), func(w *world) {
			w.inPreprod().pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2).pin("web", "global", "1.1.0", d2)
		}, Nothing, "", "global already runs"},
		{"fan-in: soak counts in each", viaMergeTo("prod-us", "global"), func(w *world) {
			w.inPreprod().pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2).soak("global", time.Hour).
				merged("prod-eu", d2, 2*time.Hour).merged("prod-us", d2, 10*time.Minute)
		}, Wait, CodeSoaking, "50m0s is left"},
		{"fan-in: a person's promotion too", viaComment("ann", "global"), func(w *world) {
			w.inPreprod().pin("web", "prod-eu", "1.1.0", d2).person("ann")
		}, Refuse, CodeFanIn, "prod-us (runs `1.0.0`) does not run web `1.1.0` yet"},
		{"fan-in: a person's promotion once both run it", viaComment("ann", "global"), func(w *world) {
			w.inPreprod().pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "1.1.0", d2).person("ann")
		}, Propose, "", ""},
		{"fan-in: the other pins nothing", viaMergeTo("prod-eu", "global"), func(w *world) {
			w.inPreprod().pin("web", "prod-eu", "1.1.0", d2).pin("web", "prod-us", "", "")
		}, Refuse, CodeFanIn, "prod-us (pins nothing) does not run"},

		{"a bare /promote on preprod asks which", Request{Kind: Promote, Source: FromComment, App: "web", From: "preprod", Actor: Actor{Login: "ann"}}, func(w *world) { w.inPreprod().person("ann") },
			Refuse, CodeOrder, "preprod is followed by prod-eu, prod-us: say which, with `/promote web to prod-eu`, or `/promote web to all` for each of them"},
		{"a /promote naming one goes", viaComment("ann", "prod-us"), func(w *world) { w.inPreprod().person("ann") }, Propose, "", ""},
		{"a link to one of them", viaLink("preprod", "prod-us", d2, bearer), func(w *world) { w.inPreprod() }, Propose, "", ""},
		{"a link from a stage the target does not follow", viaLink("staging", "prod-us", d1, bearer), func(w *world) { w.inPreprod() }, Refuse, CodeOrder, "prod-us no longer comes right after staging"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.w != nil {
				tt.w(w)
			}
			p := decided(t, w, tt.r, tt.verdict, tt.code, tt.reason)
			if p.Verdict == Propose && (len(p.After) == 0 || string(p.After) == string(p.Before)) {
				t.Fatalf("a proposal must change the file: before %q after %q", p.Before, p.After)
			}
		})
	}
}

// decided is Decide(r) on w's snapshot, which must come to verdict and
// code with a reason that holds reason.
func decided(t *testing.T, w *world, r Request, verdict Verdict, code Code, reason string) Plan {
	t.Helper()
	p := Decide(r, w.snap)
	if p.Verdict != verdict || p.Code != code || !strings.Contains(p.Reason, reason) {
		t.Fatalf("Decide = %s %q %q\nwant     %s %q ~%q", p.Verdict, p.Code, p.Reason, verdict, code, reason)
	}
	return p
}

// TestDecideProposal checks what a proposal writes: exactly the image
// asked for, in the stage's file, merged only where the stage auto-merges
// and never for a rollback.
func TestDecideProposal(t *testing.T) {
	w := newWorld(t).pin("web", "staging", "1.1.0", d2)
	p := Decide(viaMerge("staging"), w.snap)
	if p.Verdict != Propose || p.Stage.Name != "preprod" || p.Merge || p.Want.Digest != d2 || p.Want.Tag != "1.1.0" || p.Want.From != "staging" {
		t.Fatalf("chain into preprod: %+v", p)
	}
	got, err := manifest.Current(p.Path, p.After, "ghcr.io/acme/web")
	if err != nil || got.Tag != "1.1.0" || got.Digest != d2 {
		t.Fatalf("proposed file pins %+v (%v)", got, err)
	}
	p = Decide(viaPush("1.1.0", d2), newWorld(t).snap)
	if !p.Merge || len(p.Next) != 1 || p.Next[0].Name != "preprod" {
		t.Fatalf("push into auto-merge staging: merge %v next %v", p.Merge, p.Next)
	}
	if p.Held != nil {
		t.Fatalf("no hold, yet Held = %+v", p.Held)
	}
	p = Decide(viaPush("1.1.0", d2), newWorld(t).held("staging", false).snap)
	if p.Held == nil || p.Held.By != "ann" {
		t.Fatalf("a held push must carry its hold, for the note and the release: %+v", p.Held)
	}
}

// frozen gives stage a freeze window; now (Saturday noon UTC) is inside
// "Fri 16:00 - Mon 08:00" UTC, which opens Monday 2026-12-07 08:00 UTC.
func (w *world) frozen(stage, spec string) *world {
	win, err := window.Parse(spec, time.UTC)
	if err != nil {
		w.t.Fatal(err)
	}
	for i := range w.snap.Config.Stages {
		if st := &w.snap.Config.Stages[i]; st.Name == stage {
			st.Windows = append(st.Windows, win)
		}
	}
	return w
}

func forced(r Request) Request { r.Force = true; return r }

// TestDecideFrozen is the freeze window's rule through every way in: an
// automatic request waits until the window opens, a person's is refused
// with when it opens, and --force by those who may promote goes through,
// marked forced.
func TestDecideFrozen(t *testing.T) {
	const weekend = "Fri 16:00 - Mon 08:00"
	opens := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	bearer := Actor{Bearer: true}
	moved := func(w *world) { w.pin("web", "staging", "1.1.0", d2) }
	tests := []struct {
		name    string
		r       Request
		w       func(*world)
		verdict Verdict
		code    Code
		reason  string
		until   time.Time
	}{
		{"push waits", viaPush("1.1.0", d2), func(w *world) { w.frozen("staging", weekend) }, Wait, CodeFrozen, "staging is inside its freeze window Fri 16:00 - Mon 08:00 (UTC): nothing moves into it until it opens at Mon 2026-12-07 08:00 UTC", opens},
		{"reconcile waits", viaReconcile("1.1.0", d2), func(w *world) { w.frozen("staging", weekend) }, Wait, CodeFrozen, "freeze window", opens},
		{"release of a kept push waits", viaRelease(viaPush("1.1.0", d2)), func(w *world) { w.frozen("staging", weekend) }, Wait, CodeFrozen, "freeze window", opens},
		{"chain waits", viaMerge("staging"), func(w *world) { moved(w); w.frozen("preprod", weekend) }, Wait, CodeFrozen, "preprod is inside", opens},
		{"soak's end waits", viaSoak("staging"), func(w *world) { moved(w); w.frozen("preprod", weekend) }, Wait, CodeFrozen, "preprod is inside", opens},
		{"checks wait", viaChecks("staging"), func(w *world) { w.open(marker("1.1.0", d2)).frozen("staging", weekend) }, Wait, CodeFrozen, "staging is inside", opens},
		{"dates wait to the day after", viaPush("1.1.0", d2), func(w *world) { w.frozen("staging", "2026-12-01 - 2026-12-24") }, Wait, CodeFrozen, "opens at Fri 2026-12-25 00:00 UTC", time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)},
		{"windows that meet wait for the last", viaPush("1.1.0", d2), func(w *world) { w.frozen("staging", weekend).frozen("staging", "2026-12-07 - 2026-12-08") }, Wait, CodeFrozen, "opens at Wed 2026-12-09 00:00 UTC", time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)},
		{"another stage's window is not in the way", viaPush("1.1.0", d2), func(w *world) { w.frozen("preprod", weekend) }, Propose, "", "", time.Time{}},
		{"outside the window", viaPush("1.1.0", d2), func(w *world) { w.frozen("staging", "Mon 08:00 - Fri 16:00") }, Propose, "", "", time.Time{}},
		{"already there beats the window", viaPush("1.0.0", d1), func(w *world) { w.frozen("staging", weekend) }, Nothing, "", "already runs", time.Time{}},
		{"a hold is said first", viaPush("1.1.0", d2), func(w *world) { w.frozen("staging", weekend).held("staging", false) }, Refuse, CodeHeld, "held in staging", time.Time{}},

		{"comment refused with the opening", viaComment("ann", "preprod"), func(w *world) { moved(w); w.person("ann").frozen("preprod", weekend) }, Refuse, CodeFrozen,
			"preprod is inside its freeze window Fri 16:00 - Mon 08:00 (UTC): nothing moves into it until it opens at Mon 2026-12-07 08:00 UTC. Those who may promote into preprod may override it with `/promote web to preprod --force`", time.Time{}},
		{"comment --force goes through", forced(viaComment("ann", "preprod")), func(w *world) { moved(w); w.person("ann").frozen("preprod", weekend) }, Propose, "", "", time.Time{}},
		{"approver's --force into prod", forced(viaComment("octocat", "prod")), func(w *world) { w.person("octocat").merged("preprod", d1, time.Hour).frozen("prod", weekend) }, Propose, "", "", time.Time{}},
		{"--force is no approver", forced(viaComment("ann", "prod")), func(w *world) { w.person("ann").merged("preprod", d1, time.Hour).frozen("prod", weekend) }, Refuse, CodeNotAllowed, "only octocat, @acme/release may", time.Time{}},
		{"--force of a reader", forced(viaComment("bob", "preprod")), func(w *world) { moved(w); w.person("bob").frozen("preprod", weekend) }, Refuse, CodeNotAllowed, "@bob may not promote", time.Time{}},
		{"--force does not pass a soak", forced(viaComment("octocat", "prod")), func(w *world) { w.person("octocat").merged("preprod", d1, time.Minute).frozen("prod", weekend) }, Refuse, CodeSoaking, "is left", time.Time{}},
		{"link refused", viaLink("staging", "preprod", d2, bearer), func(w *world) { moved(w); w.frozen("preprod", weekend) }, Refuse, CodeFrozen, "opens at Mon 2026-12-07 08:00 UTC", time.Time{}},
		{"signed-in approver's link refused", viaLink("preprod", "prod", d1, Actor{Login: "octocat"}), func(w *world) { w.person("octocat").merged("preprod", d1, time.Hour).frozen("prod", weekend) }, Refuse, CodeFrozen, "freeze window", time.Time{}},
		{"cli refused", viaCLI("", "preprod"), func(w *world) { moved(w); w.frozen("preprod", weekend) }, Refuse, CodeFrozen, "freeze window", time.Time{}},
		{"cli --force", forced(viaCLI("", "preprod")), func(w *world) { moved(w); w.frozen("preprod", weekend) }, Propose, "", "", time.Time{}},
		{"rollback is not frozen", Request{Kind: Rollback, Source: FromComment, App: "web", Stage: "preprod", Actor: Actor{Login: "ann"}}, func(w *world) {
			w.person("ann").frozen("preprod", weekend).restore(restorePoint{Commit: githubapp.Commit{SHA: "c0ffee0000"}, Pin: manifest.Pinned{Found: true, Tag: "0.9.0", Digest: d2}}, yes())
		}, Propose, "", "restores", time.Time{}},
		{"--force on a push changes nothing", forced(viaPush("1.1.0", d2)), func(w *world) { w.frozen("staging", weekend) }, Wait, CodeFrozen, "freeze window", opens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.w(w)
			p := decided(t, w, tt.r, tt.verdict, tt.code, tt.reason)
			if !p.Until.Equal(tt.until) {
				t.Errorf("Until = %s, want %s", p.Until, tt.until)
			}
			wantForced := tt.r.Force && p.Verdict == Propose && p.Point == nil
			if (p.Forced != "") != wantForced {
				t.Errorf("Forced = %q, want forced %v", p.Forced, wantForced)
			}
			if wantForced && !strings.Contains(p.Forced, "inside "+p.Stage.Name+"'s freeze window Fri 16:00 - Mon 08:00 (UTC), which opens at Mon 2026-12-07 08:00 UTC") {
				t.Errorf("Forced = %q", p.Forced)
			}
		})
	}
	// A page lists the window among a promotion's gates.
	p := Decide(viaComment("ann", "preprod"), func() *world { w := newWorld(t).person("ann").frozen("preprod", weekend); moved(w); return w }().snap)
	if g := p.Gates[len(p.Gates)-1]; g.Name != "Window" || g.OK || !strings.Contains(g.Text, "opens at Mon 2026-12-07 08:00 UTC") {
		t.Errorf("window gate %+v", g)
	}
}

// TestPushedBefore: a pattern policy has no versions to order, so an image
// the registry says was pushed before the one the stage runs is not
// proposed, wherever it comes from.
func TestPushedBefore(t *testing.T) {
	w := newWorld(t)
	w.snap.Merged["staging"] = MergedAt{Digest: d1, At: now.Add(-time.Hour), PushedAt: now.Add(-2 * time.Hour)}
	older := Request{Kind: Push, Source: FromRegistry, App: "worker", Tag: "main-bbbbbbb", Digest: d2, PushedAt: now.Add(-3 * time.Hour)}
	if p := Decide(older, w.snap); p.Verdict != Ignore || !strings.Contains(p.Reason, "was pushed before it") {
		t.Fatalf("older push: %s %q", p.Verdict, p.Reason)
	}
	newer := older
	newer.PushedAt = now.Add(-time.Minute)
	if p := Decide(newer, w.snap); p.Verdict != Propose {
		t.Fatalf("newer push: %s %q", p.Verdict, p.Reason)
	}
	unknown := older
	unknown.PushedAt = time.Time{}
	if p := Decide(unknown, w.snap); p.Verdict != Propose {
		t.Fatalf("a push without a time is not refused for want of one: %s %q", p.Verdict, p.Reason)
	}
}

func TestNewer(t *testing.T) {
	web, worker := app(t, "web"), app(t, "worker")
	tests := []struct {
		name string
		app  config.App
		a, b Want
		want bool
	}{
		{"higher version", web, Want{Tag: "1.9.9", Digest: d2}, Want{Tag: "1.9.5", Digest: d1}, true},
		{"lower version", web, Want{Tag: "1.9.5", Digest: d2}, Want{Tag: "1.9.9", Digest: d1}, false},
		{"same image", web, Want{Tag: "1.9.9", Digest: d2}, Want{Tag: "1.9.9", Digest: d2}, false},
		{"pattern: pushed later", worker, Want{Tag: "main-bbbbbbb", PushedAt: now}, Want{Tag: "main-aaaaaaa", PushedAt: now.Add(-time.Second)}, true},
		{"pattern: pushed earlier", worker, Want{Tag: "main-bbbbbbb", PushedAt: now.Add(-time.Second)}, Want{Tag: "main-aaaaaaa", PushedAt: now}, false},
	}
	for _, tt := range tests {
		if got := Newer(tt.app, tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Newer = %v", tt.name, got)
		}
	}
}

func TestDecideExisting(t *testing.T) {
	web := app(t, "web")
	pr := func(tag, digest, from string) *githubapp.PullRequest {
		return &githubapp.PullRequest{Number: 3, Body: Marker{App: "web", Stage: "staging", Tag: tag, Digest: digest, From: from}.String()}
	}
	tests := []struct {
		name string
		pr   *githubapp.PullRequest
		want Want
		step existingStep
	}{
		{"no PR", nil, Want{Tag: "1.1.0", Digest: d2}, openNew},
		{"same", pr("1.1.0", d2, ""), Want{Tag: "1.1.0", Digest: d2}, keepOpen},
		{"newer open", pr("1.9.9", d1, ""), Want{Tag: "1.9.5", Digest: d2}, keepOpen},
		{"older open", pr("1.9.5", d1, ""), Want{Tag: "1.9.9", Digest: d2}, updateOpen},
		{"promotion replaces", pr("1.9.9", d1, "staging"), Want{Tag: "1.0.0", Digest: d2, From: "staging"}, updateOpen},
		{"foreign body", &githubapp.PullRequest{Number: 3, Body: "hand-written"}, Want{Tag: "1.1.0", Digest: d2}, updateOpen},
	}
	for _, tt := range tests {
		if step, _ := decideExisting(tt.pr, web, tt.want); step != tt.step {
			t.Errorf("%s: step %d, want %d", tt.name, step, tt.step)
		}
	}
}

func TestDecideMerge(t *testing.T) {
	checks := []githubapp.Check{{Name: "ci", State: "success"}, {Name: "lint", State: "pending"}, {Name: "e2e", State: "failure"}}
	tests := []struct {
		required []string
		step     mergeStep
		reason   string
	}{
		{nil, mergeNow, ""},
		{[]string{"ci"}, mergeNow, ""},
		{[]string{"ci", "lint"}, waitCheck, "lint (pending)"},
		{[]string{"ci", "docs"}, waitCheck, "docs (not reported yet)"},
		{[]string{"ci", "lint", "e2e"}, blocked, "required check e2e failed"},
	}
	for _, tt := range tests {
		step, reason := decideMerge("main", tt.required, checks)
		if step != tt.step || !strings.Contains(reason, tt.reason) {
			t.Errorf("required %v: %d %q", tt.required, step, reason)
		}
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	m := Marker{App: "web", Stage: "prod", Image: "ghcr.io/acme/web", Tag: "1.2.3", Digest: d1, From: "preprod", PushedAt: now}
	got, ok, err := ParseMarker("intro\n\n" + m.String() + "\n")
	if err != nil || !ok || !got.PushedAt.Equal(m.PushedAt) || got.App != m.App || got.Digest != m.Digest || got.From != m.From {
		t.Fatalf("ParseMarker = %+v %v %v", got, ok, err)
	}
	if _, ok, err := ParseMarker("no marker"); ok || err != nil {
		t.Fatalf("no marker: %v %v", ok, err)
	}
	if _, _, err := ParseMarker("<!-- stagehand:v1 {\"app\":\"web\"} -->"); err == nil {
		t.Fatal("a marker without stage and digest must be an error")
	}
}

func FuzzParseMarker(f *testing.F) {
	f.Add(Marker{App: "web", Stage: "prod", Digest: d1}.String())
	f.Add("<!-- stagehand:v1 {")
	f.Add("<!-- stagehand:v1 {} -->")
	f.Add(Marker{Group: "shop", Stage: "prod", Apps: []MemberPin{{App: "web", Digest: d1}}}.String())
	f.Fuzz(func(t *testing.T, body string) {
		m, ok, err := ParseMarker(body)
		if !ok {
			return
		}
		if err != nil || m.Stage == "" || m.Name() == "" {
			t.Fatalf("ok with %+v, %v", m, err)
		}
		if m.Group == "" && m.Digest == "" {
			t.Fatalf("an app's marker without a digest: %+v", m)
		}
		for _, a := range m.Apps {
			if m.Group != "" && (a.App == "" || a.Digest == "") {
				t.Fatalf("a group's marker with an app %+v", a)
			}
		}
	})
}

func TestRequestRoundTrip(t *testing.T) {
	r := viaLink("staging", "preprod", d2, Actor{Login: "ann"})
	r.PushedAt = now
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRequest(b)
	if err != nil || got.LinkID != r.LinkID || got.Actor != r.Actor || !got.PushedAt.Equal(now) || got.Source != FromLink {
		t.Fatalf("DecodeRequest = %+v, %v", got, err)
	}
	if _, err := DecodeRequest([]byte(`{"kind":"push"}`)); err == nil {
		t.Fatal("a request without an app must not decode")
	}
}
