package work

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/dashboard"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// The promotions issue's upkeep against hand-written fakes: what it asks
// of GitHub in each case. The end-to-end story is in cmd/stagehand
// (TestServePromotionsIssue).

type boards struct{ cfg *config.Config }

func (b boards) Board(context.Context, promote.Actor, string) (promote.Board, error) {
	return promote.Board{BaseName: "main", Config: b.cfg, Now: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}, nil
}
func (b boards) LastConfig() *config.Config { return b.cfg }

// repo is the config repository's issues; calls lists what was asked.
type repo struct {
	issues []githubapp.Issue
	labels map[int][]string
	calls  []string
}

func (r *repo) FindIssue(_ context.Context, labels []string, marker string) (githubapp.Issue, bool, error) {
	r.calls = append(r.calls, "find "+strings.Join(labels, ","))
	for _, is := range r.issues {
		if strings.HasPrefix(is.Body, marker) && !slices.ContainsFunc(labels, func(l string) bool { return !slices.Contains(r.labels[is.Number], l) }) {
			return is, true, nil
		}
	}
	return githubapp.Issue{}, false, nil
}

func (r *repo) AddLabels(_ context.Context, number int, labels ...string) error {
	r.calls = append(r.calls, fmt.Sprintf("label #%d", number))
	for _, l := range labels {
		if !slices.Contains(r.labels[number], l) {
			r.labels[number] = append(r.labels[number], l)
		}
	}
	return nil
}

func (r *repo) CreateIssue(_ context.Context, title, body string, labels []string) (int, error) {
	n := 100 + len(r.issues)
	r.calls = append(r.calls, "create")
	r.issues = append(r.issues, githubapp.Issue{Number: n, Body: body, State: "open"})
	r.labels[n] = labels
	return n, nil
}

func (r *repo) EditIssueBody(_ context.Context, number int, body string) error {
	r.calls = append(r.calls, fmt.Sprintf("edit #%d", number))
	for i := range r.issues {
		if r.issues[i].Number == number {
			r.issues[i].Body = body
		}
	}
	return nil
}

type noRecords struct{}

func (noRecords) Actions(context.Context, string, int) ([]store.Action, error) { return nil, nil }

type noLocks struct{}

func (noLocks) Lock(context.Context, string, time.Duration) (func(), error) { return func() {}, nil }

type nopEngine struct{ Engine }
type nopGitHub struct{ GitHub }
type nopTags struct{ promote.TagLister }

func TestKeepIssue(t *testing.T) {
	on := &config.Config{Stages: []config.Stage{{Name: "prod", Mode: config.Manual}}, Dashboard: config.DashboardIssue}
	off := &config.Config{Stages: on.Stages}
	body := dashboard.IssueBody(promote.Board{BaseName: "main", Config: on}, nil, "")
	for _, c := range []struct {
		name   string
		cfg    *config.Config
		issues []githubapp.Issue
		labels map[int][]string
		want   []string
	}{
		{"off", off, nil, nil, nil},
		{"none yet", on, nil, nil, []string{"find stagehand,promotions", "find stagehand", "create"}},
		{"current", on, []githubapp.Issue{{Number: 7, Body: body}}, map[int][]string{7: IssueLabels}, []string{"find stagehand,promotions"}},
		{"edited", on, []githubapp.Issue{{Number: 7, Body: body + "Ship it!"}}, map[int][]string{7: IssueLabels}, []string{"find stagehand,promotions", "edit #7"}},
		{"a label taken off", on, []githubapp.Issue{{Number: 7, Body: body}}, map[int][]string{7: {"stagehand"}}, []string{"find stagehand,promotions", "find stagehand", "label #7"}},
		{"not stagehand's", on, []githubapp.Issue{{Number: 7, Body: "Promotions, by hand"}}, map[int][]string{7: IssueLabels}, []string{"find stagehand,promotions", "find stagehand", "create"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &repo{issues: c.issues, labels: map[int][]string{}}
			for n, l := range c.labels {
				r.labels[n] = l
			}
			h, err := New(Options{Engine: nopEngine{}, GitHub: nopGitHub{}, Tags: nopTags{},
				Issue: &IssueOptions{Boards: boards{c.cfg}, Repo: r, Records: noRecords{}, Locks: noLocks{}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.KeepIssue(context.Background(), ""); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.calls, c.want) {
				t.Errorf("calls %q, want %q", r.calls, c.want)
			}
			for _, is := range r.issues {
				if strings.HasPrefix(is.Body, dashboard.IssueMarker) && is.Body != body {
					t.Errorf("issue #%d is %q, want the board's", is.Number, is.Body)
				}
			}
		})
	}
}

type runs struct {
	Engine
	got []promote.Request
}

func (e *runs) Run(_ context.Context, r promote.Request) (promote.Outcome, error) {
	e.got = append(e.got, r)
	return promote.Outcome{App: r.App, Stage: r.Stage, Result: promote.Refused, Reason: "@" + r.Actor.Login + " may not promote into prod"}, nil
}

type comments struct {
	GitHub
	got []string
}

func (g *comments) Comment(_ context.Context, number int, body string) error {
	g.got = append(g.got, fmt.Sprintf("#%d %s", number, body))
	return nil
}

// TestIssueEdited: a person's tick is their promotion, answered in the
// issue, and the body is rewritten; a bot's edit (stagehand's own among
// them) and an edit of another issue do nothing.
func TestIssueEdited(t *testing.T) {
	on := &config.Config{Stages: []config.Stage{{Name: "prod", Mode: config.Manual}}, Dashboard: config.DashboardIssue}
	from := dashboard.IssueMarker + "\n- [ ] promote web 1.4.2 (sha256:aaaaaaaaaaaa) to prod <!-- stagehand:promote web prod -->\n"
	ticked := strings.Replace(from, "[ ]", "[x]", 1)
	for _, c := range []struct {
		name     string
		edit     queue.IssueEdited
		runs     int
		comments []string
		calls    int
	}{
		{"a person ticks", queue.IssueEdited{User: "alice", UserType: "User", From: from, Body: ticked}, 1,
			[]string{"#7 @alice stagehand did not promote web to prod: @alice may not promote into prod."}, 2},
		{"a bot", queue.IssueEdited{User: "stagehand[bot]", UserType: "Bot", From: from, Body: ticked}, 0, nil, 0},
		{"another issue", queue.IssueEdited{User: "alice", UserType: "User", From: "- [ ] mine", Body: "- [x] mine"}, 0, nil, 0},
		{"text only", queue.IssueEdited{User: "alice", UserType: "User", From: from, Body: from + "hello"}, 0, nil, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, g := &runs{}, &comments{}
			r := &repo{issues: []githubapp.Issue{{Number: 7, Body: c.edit.Body}}, labels: map[int][]string{7: IssueLabels}}
			h, err := New(Options{Engine: e, GitHub: g, Tags: nopTags{},
				Issue: &IssueOptions{Boards: boards{on}, Repo: r, Records: noRecords{}, Locks: noLocks{}}})
			if err != nil {
				t.Fatal(err)
			}
			c.edit.Number = 7
			if err := h.IssueEdited(context.Background(), c.edit); err != nil {
				t.Fatal(err)
			}
			if len(e.got) != c.runs || (c.runs > 0 && (e.got[0].Kind != promote.Promote || e.got[0].App != "web" || e.got[0].Stage != "prod" || e.got[0].Actor.Login != "alice" || e.got[0].Issue != 7)) {
				t.Errorf("runs %+v, want %d promotion of web to prod by alice from #7", e.got, c.runs)
			}
			if !slices.Equal(g.got, c.comments) {
				t.Errorf("comments %q, want %q", g.got, c.comments)
			}
			if len(r.calls) != c.calls {
				t.Errorf("issue calls %q, want %d (find and rewrite)", r.calls, c.calls)
			}
		})
	}
}
