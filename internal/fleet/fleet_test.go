package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

func TestAllow(t *testing.T) {
	a, err := ParseAllow(" acme/config , Team/* ")
	if err != nil {
		t.Fatal(err)
	}
	for repo, want := range map[string]bool{
		"acme/config": true, "ACME/Config": true, "acme/other": false,
		"team/a": true, "team/b": true, "teams/a": false, "": false,
	} {
		if got := a.Allows(repo); got != want {
			t.Errorf("Allows(%q) = %v, want %v", repo, got, want)
		}
	}
	if _, ok := a.Single(); ok {
		t.Error("two entries are not a single repository")
	}
	if one, ok := mustAllow(t, "Acme/Config").Single(); !ok || one != "Acme/Config" {
		t.Errorf("Single = %q, %v", one, ok)
	}
	if _, ok := mustAllow(t, "acme/*").Single(); ok {
		t.Error("a wildcard is not a single repository")
	}
	if !mustAllow(t, "").Allows("any/repo") {
		t.Error("an empty list allows every repository")
	}
	_, err = ParseAllow("acme, a/b/c, */x, acme/con*fig, ok/fine")
	for _, bad := range []string{`"acme"`, `"a/b/c"`, `"*/x"`, `"acme/con*fig"`} {
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("error %v does not name %s", err, bad)
		}
	}
	if err != nil && strings.Contains(err.Error(), "ok/fine") {
		t.Errorf("error %v names a good entry", err)
	}
}

func mustAllow(t *testing.T, s string) Allow {
	t.Helper()
	a, err := ParseAllow(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func FuzzParseAllow(f *testing.F) {
	for _, s := range []string{"", "acme/config", "acme/*", "a/b,c/d", "a/b/c", "*/*", " , ,a/b", "a/[", "a/\\"} {
		f.Add(s, "a/b")
	}
	f.Fuzz(func(t *testing.T, list, repo string) {
		a, err := ParseAllow(list)
		if err != nil {
			return
		}
		for _, e := range a {
			owner, name, ok := strings.Cut(e, "/")
			if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
				t.Fatalf("accepted %q from %q", e, list)
			}
		}
		_ = a.Allows(repo)
	})
}

// fakeEngine uses the images it is given.
type fakeEngine struct{ images []string }

func (e fakeEngine) Config(context.Context) (*config.Config, error) { return nil, nil }
func (e fakeEngine) LearnOpenPRs(context.Context) error             { return nil }
func (e fakeEngine) Concerns(image string) (bool, bool) {
	return slices.Contains(e.images, image), true
}

// fakeHandler records what it was asked, as "kind detail".
type fakeHandler struct {
	repo string
	got  *[]string
}

func (h fakeHandler) note(s string) error { *h.got = append(*h.got, h.repo+" "+s); return nil }
func (h fakeHandler) Pushes(_ context.Context, image string, _ []queue.Push) error {
	return h.note("push " + image)
}
func (h fakeHandler) PRClosed(_ context.Context, pr queue.PRClosed) error { return h.note("closed") }
func (h fakeHandler) Checks(context.Context, queue.Checks) error          { return h.note("checks") }
func (h fakeHandler) Comment(context.Context, queue.Comment) error        { return h.note("comment") }
func (h fakeHandler) Request(context.Context, []byte) error               { return h.note("request") }
func (h fakeHandler) Reconcile(context.Context) error                     { return h.note("reconcile") }
func (h fakeHandler) ConfigChanged(context.Context, queue.ConfigChanged) error {
	return h.note("config")
}

// fakeInstallation holds repositories and which have a config.
type fakeInstallation struct {
	repos   []githubapp.Repository
	configs map[string]bool
}

func (i *fakeInstallation) InstallationRepos(context.Context) ([]githubapp.Repository, error) {
	return i.repos, nil
}
func (i *fakeInstallation) HasConfig(_ context.Context, repo, _ string) (bool, error) {
	return i.configs[repo], nil
}

// TestFleetRoutes: the repositories with a config are served, each event
// goes to its own, a push to each that uses the image, and the set follows
// the installation.
func TestFleetRoutes(t *testing.T) {
	ctx := context.Background()
	var got []string
	inst := &fakeInstallation{
		repos:   []githubapp.Repository{{FullName: "acme/a"}, {FullName: "acme/b"}, {FullName: "acme/docs"}, {FullName: "other/x"}},
		configs: map[string]bool{"acme/a": true, "acme/b": true, "other/x": true},
	}
	images := map[string][]string{"acme/a": {"web", "api"}, "acme/b": {"web"}, "acme/c": {"api"}}
	var claimed []string
	f, err := New(Options{Allow: mustAllow(t, "acme/*"), Installation: inst,
		Build: func(_ context.Context, name, base string) (*Repo, error) {
			return &Repo{Name: name, Base: base, Engine: fakeEngine{images[name]}, Handler: fakeHandler{name, &got}}, nil
		},
		Claim: func(_ context.Context, repo string) error { claimed = append(claimed, repo); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	names := func() (out []string) {
		for _, r := range f.Repos() {
			out = append(out, r.Name)
		}
		return out
	}
	if want := []string{"acme/a", "acme/b"}; !slices.Equal(names(), want) {
		t.Fatalf("served %v, want %v (other/x is not allowed, docs has no config)", names(), want)
	}
	if !slices.Equal(claimed, []string{"acme/a"}) {
		t.Errorf("claimed %v, want the first repository only", claimed)
	}
	do := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	do(f.Pushes(ctx, "web", nil))
	do(f.Pushes(ctx, "api", nil))
	do(f.Pushes(ctx, "db", nil))
	do(f.Comment(ctx, queue.Comment{Repo: "ACME/B"}))
	do(f.PRClosed(ctx, queue.PRClosed{Repo: "acme/a"}))
	do(f.Checks(ctx, queue.Checks{}))
	payload, _ := promote.Request{Repo: "acme/b", Kind: promote.Chain, App: "web"}.Encode()
	do(f.Request(ctx, payload))
	do(f.Comment(ctx, queue.Comment{Repo: "acme/docs"})) // not served: dropped
	do(f.Pushes(ctx, "web", []queue.Push{{Repo: "acme/b", Image: "web"}}))
	want := []string{"acme/a push web", "acme/b push web", "acme/a push api", "acme/b comment", "acme/a closed", "acme/a checks", "acme/b request", "acme/b push web"}
	if !slices.Equal(got, want) {
		t.Errorf("handled %v\nwant    %v", got, want)
	}
	if got := f.Using("web"); !slices.Equal(got, []string{"acme/a", "acme/b"}) {
		t.Errorf("Using(web) = %v", got)
	}
	if uses, _ := f.Concerns("db"); uses {
		t.Error("no repository uses db")
	}

	// acme/c gets a config and joins; acme/b is removed from the
	// installation and leaves.
	inst.repos = append(inst.repos[:1], githubapp.Repository{FullName: "acme/c"})
	inst.configs["acme/c"] = true
	got = nil
	do(f.ConfigChanged(ctx, queue.ConfigChanged{Repo: "acme/c", SHA: "abc"}))
	if want := []string{"acme/a", "acme/c"}; !slices.Equal(names(), want) {
		t.Fatalf("served %v, want %v", names(), want)
	}
	if want := []string{"acme/c config"}; !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
	// A push that removes acme/c's config stops serving it.
	inst.configs["acme/c"] = false
	do(f.ConfigChanged(ctx, queue.ConfigChanged{Repo: "acme/c", SHA: "def"}))
	if want := []string{"acme/a"}; !slices.Equal(names(), want) {
		t.Fatalf("served %v, want %v", names(), want)
	}
	if _, err := f.route("acme/c"); !errors.Is(err, ErrNotServed) {
		t.Errorf("route to a repository no longer served: %v", err)
	}
}

// TestFleetStatic: one repository named is served whatever the
// installation says, and work naming none is its.
func TestFleetStatic(t *testing.T) {
	var got []string
	f, err := New(Options{Static: "acme/config", Base: "live",
		Build: func(_ context.Context, name, base string) (*Repo, error) {
			return &Repo{Name: name, Base: base, Engine: fakeEngine{}, Handler: fakeHandler{name + "@" + base, &got}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.Comment(context.Background(), queue.Comment{}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"acme/config@live comment"}; !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
	if !f.Static() || f.Allows("acme/other") || !f.Allows("ACME/config") {
		t.Error("a static fleet allows its one repository only")
	}
}

// issueHandler keeps a promotions issue.
type issueHandler struct{ fakeHandler }

func (h issueHandler) KeepIssue(_ context.Context, repo string) error { return h.note("issue " + repo) }
func (h issueHandler) IssueEdited(_ context.Context, e queue.IssueEdited) error {
	return h.note(fmt.Sprintf("edit #%d", e.Number))
}

// TestFleetIssues: the promotions issue's work goes to the repository it
// names, and a repository the installation gains has its issue kept at
// once.
func TestFleetIssues(t *testing.T) {
	ctx := context.Background()
	var got []string
	inst := &fakeInstallation{
		repos:   []githubapp.Repository{{FullName: "acme/a"}, {FullName: "acme/b"}},
		configs: map[string]bool{"acme/a": true, "acme/b": true, "acme/c": true},
	}
	f, err := New(Options{Installation: inst, Build: func(_ context.Context, name, base string) (*Repo, error) {
		return &Repo{Name: name, Base: base, Engine: fakeEngine{}, Handler: issueHandler{fakeHandler{name, &got}}}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		f.KeepIssue(ctx, "acme/b"),
		f.IssueEdited(ctx, queue.IssueEdited{Repo: "ACME/A", Number: 7}),
		f.IssueEdited(ctx, queue.IssueEdited{Repo: "acme/b", Number: 7}),
		f.KeepIssue(ctx, "acme/docs"), // not served: dropped
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	inst.repos = append(inst.repos, githubapp.Repository{FullName: "acme/c"})
	if err := f.InstallationChanged(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"acme/b issue acme/b", "acme/a edit #7", "acme/b edit #7", "acme/c issue acme/c"}
	if !slices.Equal(got, want) {
		t.Errorf("handled %v\nwant    %v", got, want)
	}
}
