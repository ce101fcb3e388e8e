package work

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

const digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

type fakeEngine struct {
	pushed       []string
	reconsidered []string
	chained      []string
	chain        promote.Outcome
	soak         time.Duration
	outs         []promote.Outcome
	err          error
}

func (f *fakeEngine) ImagePushed(ctx context.Context, image, tag string) ([]promote.Outcome, error) {
	f.pushed = append(f.pushed, image+":"+tag)
	return f.outs, f.err
}
func (f *fakeEngine) ChainIf(ctx context.Context, app, from string, allow promote.Allow) (promote.Outcome, error) {
	f.chained = append(f.chained, app+"/"+from)
	if allow != nil && f.soak > 0 {
		refusal, err := allow(ctx, config.Stage{Name: from}, config.Stage{Name: "prod", Soak: f.soak}, promote.Want{Tag: "1.1.0", Digest: digest})
		if err != nil || refusal != "" {
			return promote.Outcome{App: app, Stage: "prod", Result: promote.Refused, Reason: refusal}, err
		}
	}
	if f.chain.Result != "" {
		return f.chain, f.err
	}
	return promote.Outcome{App: app, Result: promote.Opened}, f.err
}
func (f *fakeEngine) PromoteIf(ctx context.Context, app, to string, allow promote.Allow) (promote.Outcome, error) {
	return promote.Outcome{App: app, Stage: to, Result: promote.Opened, PR: 12}, f.err
}
func (f *fakeEngine) Config(ctx context.Context) (*config.Config, error) {
	return config.Parse(config.FileName, []byte(testConfig))
}
func (f *fakeEngine) Reconsider(ctx context.Context, app, stage string) (promote.Outcome, error) {
	f.reconsidered = append(f.reconsidered, app+"/"+stage)
	return promote.Outcome{App: app, Stage: stage, Result: promote.Unchanged}, f.err
}
func (f *fakeEngine) Reconcile(ctx context.Context, tags promote.TagLister) ([]promote.Outcome, error) {
	return nil, f.err
}

type fakeGitHub struct {
	deleted   []string
	comments  []string
	reactions []string
	perms     map[string]string
}

func (f *fakeGitHub) DeleteBranch(ctx context.Context, name string) error {
	f.deleted = append(f.deleted, name)
	return nil
}

func (f *fakeGitHub) React(ctx context.Context, id int64, content string) error {
	f.reactions = append(f.reactions, content)
	return nil
}

func (f *fakeGitHub) Permission(ctx context.Context, login string) (string, error) {
	return f.perms[login], nil
}

func (f *fakeGitHub) TeamMember(ctx context.Context, org, team, login string) (bool, error) {
	return false, nil
}

func (f *fakeGitHub) Comment(ctx context.Context, number int, body string) error {
	f.comments = append(f.comments, fmt.Sprintf("#%d: %s", number, body))
	return nil
}

type fakeTags struct{}

func (fakeTags) Tags(ctx context.Context, image string) ([]string, error) { return nil, nil }

type fakeRecorder struct {
	done    []queue.StageDone
	holds   map[string]queue.Hold
	actions []queue.Action
}

func (f *fakeRecorder) StageDone(ctx context.Context, d queue.StageDone) error {
	f.done = append(f.done, d)
	return nil
}

func (f *fakeRecorder) LastDone(ctx context.Context, app, stage string) (queue.StageDone, bool, error) {
	for i := len(f.done) - 1; i >= 0; i-- {
		if d := f.done[i]; d.App == app && d.Stage == stage {
			return d, true, nil
		}
	}
	return queue.StageDone{}, false, nil
}

func (f *fakeRecorder) PlaceHold(ctx context.Context, h queue.Hold) error {
	f.holds[h.App+"/"+h.Stage] = h
	return nil
}

func (f *fakeRecorder) ReleaseHold(ctx context.Context, app, stage string) (bool, error) {
	_, ok := f.holds[app+"/"+stage]
	delete(f.holds, app+"/"+stage)
	return ok, nil
}

func (f *fakeRecorder) RecordAction(ctx context.Context, a queue.Action) (int64, error) {
	f.actions = append(f.actions, a)
	return int64(len(f.actions)), nil
}

func newHandler(t *testing.T, e *fakeEngine) (*Handler, *fakeGitHub, *fakeRecorder) {
	t.Helper()
	b, r := &fakeGitHub{perms: map[string]string{"ann": "write", "bob": "read"}}, &fakeRecorder{holds: map[string]queue.Hold{}}
	h, err := New(Options{Engine: e, GitHub: b, Tags: fakeTags{}, Store: r})
	if err != nil {
		t.Fatal(err)
	}
	return h, b, r
}

func TestPRClosed(t *testing.T) {
	body := "text\n" + promote.Marker{App: "web", Stage: "preprod", Image: "ghcr.io/acme/web", Tag: "1.1.0", Digest: digest, From: "staging"}.String()
	tests := []struct {
		name    string
		pr      queue.PRClosed
		done    int
		deleted int
	}{
		{"merged stagehand PR", queue.PRClosed{Number: 3, Merged: true, Body: body, HeadRef: "stagehand/web/preprod", MergedBy: "octocat"}, 1, 1},
		{"closed unmerged", queue.PRClosed{Number: 3, Body: body, HeadRef: "stagehand/web/preprod"}, 0, 1},
		{"someone else's PR", queue.PRClosed{Number: 4, Merged: true, Body: "fix typo", HeadRef: "typo"}, 0, 0},
		{"marker copied into another branch", queue.PRClosed{Number: 5, Merged: true, Body: body, HeadRef: "feature"}, 0, 0},
	}
	for _, tt := range tests {
		e := &fakeEngine{}
		h, b, r := newHandler(t, e)
		if err := h.PRClosed(context.Background(), tt.pr); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(r.done) != tt.done || len(b.deleted) != tt.deleted {
			t.Errorf("%s: recorded %d, deleted %d; want %d, %d", tt.name, len(r.done), len(b.deleted), tt.done, tt.deleted)
		}
		if len(e.chained) != tt.done {
			t.Errorf("%s: chained %v; only a merged stagehand PR chains", tt.name, e.chained)
		}
		if tt.done == 1 {
			d := r.done[0]
			if d.App != "web" || d.Stage != "preprod" || d.Digest != digest || d.Tag != "1.1.0" || d.MergedBy != "octocat" || d.PR != 3 {
				t.Errorf("%s: recorded %+v", tt.name, d)
			}
		}
	}
}

func TestChecksReconsiderStagehandBranchesOnly(t *testing.T) {
	e := &fakeEngine{}
	h, _, _ := newHandler(t, e)
	err := h.Checks(context.Background(), queue.Checks{SHA: "abc", Branches: []string{"main", "stagehand/web/staging", "stagehand/web", "stagehand/web/prod/x", "stagehand/api/preprod"}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(e.reconsidered) != "[web/staging api/preprod]" {
		t.Fatalf("reconsidered %v", e.reconsidered)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		perm bool
	}{
		{&promote.ConfigError{Err: errors.New("x")}, true},
		{fmt.Errorf("resolve: %w", &registry.Error{Kind: registry.Unauthorized}), true},
		{fmt.Errorf("resolve: %w", &registry.Error{Kind: registry.NotFound}), false},
		{errors.New("GitHub 502"), false},
	}
	for _, tt := range tests {
		got := classify(tt.err)
		if queue.IsPermanent(got) != tt.perm {
			t.Errorf("classify(%v): permanent = %v, want %v", tt.err, queue.IsPermanent(got), tt.perm)
		}
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}

func TestPushLogsAndReturnsTransientErrors(t *testing.T) {
	e := &fakeEngine{err: errors.New("GitHub 502"), outs: []promote.Outcome{{App: "web", Stage: "staging", Result: promote.Refused}}}
	h, _, _ := newHandler(t, e)
	err := h.Push(context.Background(), queue.Push{Image: "ghcr.io/acme/web", Tag: "1.0.0", Digest: digest})
	if err == nil || queue.IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if len(e.pushed) != 1 || e.pushed[0] != "ghcr.io/acme/web:1.0.0" {
		t.Fatalf("engine saw %v", e.pushed)
	}
}

func TestMergeIntoManualStageSaysHowToPromote(t *testing.T) {
	e := &fakeEngine{chain: promote.Outcome{App: "web", Stage: "prod", Result: promote.Manual, Reason: "prod is a manual stage: promote with X"}}
	h, gh, _ := newHandler(t, e)
	body := promote.Marker{App: "web", Stage: "preprod", Image: "ghcr.io/acme/web", Tag: "1.1.0", Digest: digest}.String()
	if err := h.PRClosed(context.Background(), queue.PRClosed{Number: 9, Merged: true, Body: body, HeadRef: "stagehand/web/preprod"}); err != nil {
		t.Fatal(err)
	}
	if len(gh.comments) != 1 || !strings.Contains(gh.comments[0], "#9: web `1.1.0` is now in preprod. prod is a manual stage") {
		t.Fatalf("comments %q", gh.comments)
	}
}

const testConfig = `stages:
  - name: staging
    mode: auto-merge
  - name: prod
    mode: manual
apps:
  - name: web
    image: ghcr.io/acme/web
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/web/staging
      prod: apps/web/prod
`

func TestCommentCommands(t *testing.T) {
	comment := func(user, body string) queue.Comment {
		return queue.Comment{IssueNumber: 5, CommentID: 77, Body: body, User: user, UserType: "User", Action: "created"}
	}
	tests := []struct {
		name    string
		c       queue.Comment
		reply   string // "" means no reply
		reacted bool
		result  string // recorded action result
	}{
		{"not a command", comment("ann", "looks good"), "", false, ""},
		{"usage reply", comment("ann", "/promote"), "@ann `/promote`: missing app and stage", false, ""},
		{"reader refused before anything else", comment("bob", "/promote web to prod"), "@bob stagehand did not do that: @bob may not promote into prod", true, "refused"},
		{"writer promotes", comment("ann", "/promote web to prod"), "@ann web", true, "opened"},
		{"hold", comment("ann", "/hold web prod incident 42"), "@ann web is held in prod", true, "held"},
		{"release what is not held", comment("ann", "/release web staging"), "web is not held in staging", true, "refused"},
		{"help", comment("bob", "/stagehand help"), "@bob \n\n", true, ""},
		{"unknown stage", comment("ann", "/promote web to qa"), "there is no stage \"qa\"", true, ""},
	}
	for _, tt := range tests {
		h, gh, store := newHandler(t, &fakeEngine{})
		if err := h.Comment(context.Background(), tt.c); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		switch {
		case tt.reply == "" && len(gh.comments) != 0:
			t.Errorf("%s: replied %q", tt.name, gh.comments)
		case tt.reply != "" && (len(gh.comments) != 1 || !strings.Contains(gh.comments[0], tt.reply)):
			t.Errorf("%s: replies %q, want one with %q", tt.name, gh.comments, tt.reply)
		}
		if (len(gh.reactions) > 0) != tt.reacted {
			t.Errorf("%s: reactions %v", tt.name, gh.reactions)
		}
		if tt.result != "" && (len(store.actions) != 1 || store.actions[0].Result != tt.result || store.actions[0].Actor != tt.c.User) {
			t.Errorf("%s: recorded %+v, want one %s by %s", tt.name, store.actions, tt.result, tt.c.User)
		}
	}
}

type fakeScheduler struct{ at []time.Time }

func (f *fakeScheduler) ScheduleChain(ctx context.Context, app, from string, at time.Time) error {
	f.at = append(f.at, at)
	return nil
}

func TestChainWaitsForSoakAndIsScheduled(t *testing.T) {
	e := &fakeEngine{soak: 30 * time.Minute}
	gh, store, sched := &fakeGitHub{}, &fakeRecorder{holds: map[string]queue.Hold{}}, &fakeScheduler{}
	h, err := New(Options{Engine: e, GitHub: gh, Tags: fakeTags{}, Store: store, Scheduler: sched})
	if err != nil {
		t.Fatal(err)
	}
	body := promote.Marker{App: "web", Stage: "preprod", Image: "ghcr.io/acme/web", Tag: "1.1.0", Digest: digest}.String()
	start := time.Now()
	if err := h.PRClosed(context.Background(), queue.PRClosed{Number: 3, Merged: true, Body: body, HeadRef: "stagehand/web/preprod", MergedAt: start}); err != nil {
		t.Fatal(err)
	}
	if len(sched.at) != 1 {
		t.Fatalf("scheduled %v, want one chain when the soak ends", sched.at)
	}
	if at := sched.at[0]; at.Before(start.Add(29*time.Minute)) || at.After(time.Now().Add(30*time.Minute)) {
		t.Fatalf("scheduled at %s, want about 30m after the merge at %s", at, start)
	}
}
