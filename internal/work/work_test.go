package work

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
	outs         []promote.Outcome
	err          error
}

func (f *fakeEngine) ImagePushed(ctx context.Context, image, tag string) ([]promote.Outcome, error) {
	f.pushed = append(f.pushed, image+":"+tag)
	return f.outs, f.err
}
func (f *fakeEngine) Chain(ctx context.Context, app, from string) (promote.Outcome, error) {
	f.chained = append(f.chained, app+"/"+from)
	if f.chain.Result != "" {
		return f.chain, f.err
	}
	return promote.Outcome{App: app, Result: promote.Opened}, f.err
}
func (f *fakeEngine) Reconsider(ctx context.Context, app, stage string) (promote.Outcome, error) {
	f.reconsidered = append(f.reconsidered, app+"/"+stage)
	return promote.Outcome{App: app, Stage: stage, Result: promote.Unchanged}, f.err
}
func (f *fakeEngine) Reconcile(ctx context.Context, tags promote.TagLister) ([]promote.Outcome, error) {
	return nil, f.err
}

type fakeGitHub struct {
	deleted  []string
	comments []string
}

func (f *fakeGitHub) DeleteBranch(ctx context.Context, name string) error {
	f.deleted = append(f.deleted, name)
	return nil
}

func (f *fakeGitHub) Comment(ctx context.Context, number int, body string) error {
	f.comments = append(f.comments, fmt.Sprintf("#%d: %s", number, body))
	return nil
}

type fakeTags struct{}

func (fakeTags) Tags(ctx context.Context, image string) ([]string, error) { return nil, nil }

type fakeRecorder struct{ done []queue.StageDone }

func (f *fakeRecorder) StageDone(ctx context.Context, d queue.StageDone) error {
	f.done = append(f.done, d)
	return nil
}

func newHandler(t *testing.T, e *fakeEngine) (*Handler, *fakeGitHub, *fakeRecorder) {
	t.Helper()
	b, r := &fakeGitHub{}, &fakeRecorder{}
	h, err := New(Options{Engine: e, GitHub: b, Tags: fakeTags{}, Recorder: r})
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
