package work

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// Rollback makes fakeEngine an Engine; rbEngine says what a rollback does.
func (f *fakeEngine) Rollback(ctx context.Context, app, stage, target string) (promote.Outcome, error) {
	return promote.Outcome{App: app, Stage: stage, Result: promote.Refused, Reason: "the fake engine rolls nothing back"}, nil
}

func (f *fakeRecorder) HoldOn(ctx context.Context, app, stage string) (queue.Hold, bool, error) {
	h, ok := f.holds[app+"/"+stage]
	return h, ok, nil
}

const rbOld = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// rbEngine answers a rollback with out and err, and notes what it was
// asked and the hold on the stage at that moment.
type rbEngine struct {
	*fakeEngine
	store *fakeRecorder
	out   promote.Outcome
	err   error
	asked []string
	held  []queue.Hold
}

func (e *rbEngine) Rollback(ctx context.Context, app, stage, target string) (promote.Outcome, error) {
	e.asked = append(e.asked, app+" "+stage+" "+target)
	if h, ok := e.store.holds[app+"/"+stage]; ok {
		e.held = append(e.held, h)
	}
	o := e.out
	o.App, o.Stage = app, stage
	return o, e.err
}

func TestCommentRollback(t *testing.T) {
	opened := promote.Outcome{Result: promote.Opened, PR: 31, PRURL: "https://github.test/acme/config/pull/31",
		From: manifest.Pinned{Found: true, Tag: "1.1.0", Digest: digest}, To: promote.Want{Tag: "1.0.0", Digest: rbOld},
		Reason: "restores what commit 3462a8e pinned in prod"}
	incident := queue.Hold{App: "web", Stage: "prod", By: "carl", Reason: "incident 7", At: time.Unix(100, 0)}
	tests := []struct {
		name     string
		user     string
		body     string
		before   *queue.Hold // the stage's hold before the comment
		out      promote.Outcome
		err      error
		asked    string      // what the engine was asked; "" for nothing
		reply    []string    // what the reply says; nil for no reply
		after    *queue.Hold // the stage's hold afterwards
		recorded string      // the action's result; "" for none
	}{{
		name: "a writer rolls back", user: "ann", body: "/rollback web prod", out: opened, asked: "web prod ",
		reply: []string{"@ann rollback of web in prod to `1.0.0` (`" + rbOld + "`): opened https://github.test/acme/config/pull/31",
			"restores what commit 3462a8e pinned in prod", "held; `/release web prod` to let promotions move again"},
		after: &queue.Hold{App: "web", Stage: "prod", By: "ann", Rollback: true}, recorded: "opened",
	}, {
		name: "to a tag", user: "ann", body: "/rollback web prod to 1.0.0", out: opened, asked: "web prod 1.0.0",
		reply: []string{"opened"}, after: &queue.Hold{App: "web", Stage: "prod", By: "ann", Rollback: true}, recorded: "opened",
	}, {
		name: "a held stage keeps its reason", user: "ann", body: "/rollback web prod", before: &incident, out: opened, asked: "web prod ",
		reply: []string{"opened"}, after: &queue.Hold{App: "web", Stage: "prod", By: "ann", Reason: "incident 7", Rollback: true}, recorded: "opened",
	}, {
		name: "a reader is refused before anything", user: "bob", body: "/rollback web prod",
		reply: []string{"@bob stagehand did not do that: @bob may not promote into prod"}, recorded: "refused",
	}, {
		name: "a refusal puts no hold", user: "ann", body: "/rollback web prod to 9.9.9",
		out: promote.Outcome{Result: promote.Refused, Reason: "web never ran a tag 9.9.9 in prod"}, asked: "web prod 9.9.9",
		reply: []string{"stagehand did not roll back web in prod: web never ran a tag 9.9.9 in prod."}, recorded: "refused",
	}, {
		name: "a refusal leaves an earlier hold as it was", user: "ann", body: "/rollback web prod", before: &incident,
		out: promote.Outcome{Result: promote.Refused, Reason: "nothing earlier"}, asked: "web prod ",
		reply: []string{"did not roll back"}, after: &incident, recorded: "refused",
	}, {
		name: "already there", user: "ann", body: "/rollback web prod to " + digest,
		out: promote.Outcome{Result: promote.AlreadyThere, Reason: "prod already runs 1.1.0@sha256:111111111111"}, asked: "web prod " + digest,
		reply: []string{"nothing to roll back: prod already runs"}, recorded: "already-there",
	}, {
		name: "a failure is retried and holds nothing", user: "ann", body: "/rollback web prod",
		err: errors.New("GitHub 502"), asked: "web prod ",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeRecorder{holds: map[string]queue.Hold{}}
			if tt.before != nil {
				store.holds["web/prod"] = *tt.before
			}
			e := &rbEngine{fakeEngine: &fakeEngine{}, store: store, out: tt.out, err: tt.err}
			gh := &fakeGitHub{perms: map[string]string{"ann": "write", "bob": "read"}}
			h, err := New(Options{Engine: e, GitHub: gh, Tags: fakeTags{}, Store: store})
			if err != nil {
				t.Fatal(err)
			}
			err = h.Comment(context.Background(), queue.Comment{IssueNumber: 5, CommentID: 77, Body: tt.body, User: tt.user, UserType: "User", Action: "created"})
			if (err != nil) != (tt.err != nil) || queue.IsPermanent(err) {
				t.Fatalf("Comment: %v; want a retryable error: %v", err, tt.err != nil)
			}

			if got := strings.Join(e.asked, "|"); got != tt.asked {
				t.Errorf("engine asked %q, want %q", got, tt.asked)
			}
			for _, held := range e.held {
				if !held.Rollback || held.By != tt.user {
					t.Errorf("the engine ran with hold %+v; want the stage held by %s for the rollback", held, tt.user)
				}
			}
			if tt.asked != "" && len(e.held) != 1 {
				t.Errorf("the engine ran with no hold on the stage")
			}

			switch {
			case tt.reply == nil && len(gh.comments) != 0:
				t.Errorf("replied %q", gh.comments)
			case tt.reply != nil && len(gh.comments) != 1:
				t.Errorf("replies %q, want one", gh.comments)
			}
			for _, s := range tt.reply {
				if len(gh.comments) == 1 && !strings.Contains(gh.comments[0], s) {
					t.Errorf("reply %q lacks %q", gh.comments[0], s)
				}
			}

			got, held := store.holds["web/prod"]
			switch {
			case tt.after == nil && held:
				t.Errorf("stage left held: %+v", got)
			case tt.after != nil && !held:
				t.Errorf("stage not held, want %+v", *tt.after)
			case tt.after != nil && (got.By != tt.after.By || got.Reason != tt.after.Reason || got.Rollback != tt.after.Rollback || got.App != "web" || got.Stage != "prod"):
				t.Errorf("hold %+v, want %+v", got, *tt.after)
			case tt.after == tt.before && tt.before != nil && got != *tt.before:
				t.Errorf("hold %+v, want it as it was: %+v", got, *tt.before)
			}

			if tt.recorded == "" {
				if len(store.actions) != 0 {
					t.Errorf("recorded %+v", store.actions)
				}
				return
			}
			if len(store.actions) != 1 {
				t.Fatalf("recorded %+v, want one action", store.actions)
			}
			a := store.actions[0]
			if a.Kind != "rollback" || a.Result != tt.recorded || a.Actor != tt.user || a.App != "web" || a.Stage != "prod" || a.Source != "comment" {
				t.Errorf("recorded %+v, want a rollback %s by %s", a, tt.recorded, tt.user)
			}
			if tt.recorded == "opened" && (a.FromTag != "1.1.0" || a.FromDigest != digest || a.ToTag != "1.0.0" || a.ToDigest != rbOld || a.PR != 31) {
				t.Errorf("recorded %+v, want from 1.1.0 to 1.0.0 in PR #31", a)
			}
		})
	}
}
