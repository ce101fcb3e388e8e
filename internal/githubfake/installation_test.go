package githubfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestInstallationRepositories: one installation spans several
// repositories; its token reads each one it includes and none it does
// not; the App lists them, and hears when one is added or removed.
func TestInstallationRepositories(t *testing.T) {
	ctx := context.Background()
	rc, srv := newReceiver(t)
	s := NewTest(t, webhookOptions(t, srv.URL))
	other, err := s.AddRepo(RepoOptions{Name: "team-b", Installed: true, SeedFiles: map[string][]byte{"README.md": []byte("b\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRepo(RepoOptions{Name: "later", SeedFiles: map[string][]byte{"x": []byte("later\n")}}); err != nil {
		t.Fatal(err)
	}
	gh, _ := installationClient(t, s)

	names := func() []string {
		t.Helper()
		repos, _, err := gh.Apps.ListRepos(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range repos.Repositories {
			out = append(out, r.GetFullName())
		}
		return out
	}
	if got, want := names(), []string{"acme/config", "acme/team-b"}; !slices.Equal(got, want) {
		t.Errorf("installation repositories = %v, want %v", got, want)
	}
	insts, _, err := appClient(t, s, validJWT(t, s)).Apps.ListInstallations(ctx, nil)
	if err != nil || len(insts) != 1 || insts[0].GetID() != s.InstallationID() {
		t.Fatalf("installations = %v, %v; want the one installation %d", insts, err, s.InstallationID())
	}

	// One token reads every repository of the installation, each its own.
	c, _, _, err := gh.Repositories.GetContents(ctx, "acme", "team-b", "README.md", nil)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := c.GetContent(); text != "b\n" {
		t.Errorf("team-b README = %q", text)
	}
	if _, _, err := gh.Repositories.Get(ctx, "acme", "later"); apiErr(t, err).Response.StatusCode != http.StatusNotFound {
		t.Error("a repository outside the installation is visible")
	}
	// Writes land in the repository named.
	pr, _, err := gh.PullRequests.List(ctx, "acme", "team-b", nil)
	if err != nil || len(pr) != 0 {
		t.Fatalf("team-b pulls = %v, %v", pr, err)
	}
	if _, err := other.Commit("main", "touch", map[string][]byte{"b.txt": []byte("1\n")}); err != nil {
		t.Fatal(err)
	}

	if err := s.InstallRepo("later"); err != nil {
		t.Fatal(err)
	}
	if got, want := names(), []string{"acme/config", "acme/team-b", "acme/later"}; !slices.Equal(got, want) {
		t.Errorf("after adding: %v, want %v", got, want)
	}
	if _, _, err := gh.Repositories.Get(ctx, "acme", "later"); err != nil {
		t.Errorf("the added repository: %v", err)
	}
	if err := s.UninstallRepo("team-b"); err != nil {
		t.Fatal(err)
	}
	if err := s.InstallationEvent("created"); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, s)

	var kinds []string
	for _, r := range rc.all() {
		kinds = append(kinds, kind(r))
	}
	want := []string{"push", "installation_repositories.added", "installation_repositories.removed", "installation.created"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("deliveries = %v, want %v", kinds, want)
	}
	var added struct {
		Installation struct{ ID int64 }
		Added        []struct {
			FullName string `json:"full_name"`
		} `json:"repositories_added"`
	}
	if err := json.Unmarshal(rc.all()[1].body, &added); err != nil {
		t.Fatal(err)
	}
	if added.Installation.ID != s.InstallationID() || len(added.Added) != 1 || added.Added[0].FullName != "acme/later" {
		t.Errorf("added event = %+v", added)
	}
	var push struct {
		Repository struct {
			FullName string `json:"full_name"`
		}
	}
	_ = json.Unmarshal(rc.all()[0].body, &push)
	if push.Repository.FullName != "acme/team-b" {
		t.Errorf("push event of %q, want acme/team-b", push.Repository.FullName)
	}
}

// TestSecondInstallation: the App installed on another account is another
// installation: listed beside the first, its token sees its repositories
// and none of the first's, and the first's none of its.
func TestSecondInstallation(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	if _, err := s.AddRepo(RepoOptions{Owner: "globex", Name: "gitops", Installation: 77, Installed: true, SeedFiles: map[string][]byte{"x": []byte("g\n")}}); err != nil {
		t.Fatal(err)
	}
	app := appClient(t, s, validJWT(t, s))
	insts, _, err := app.Apps.ListInstallations(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range insts {
		got = append(got, fmt.Sprintf("%d@%s", in.GetID(), in.GetAccount().GetLogin()))
	}
	if want := []string{"42@acme", "77@globex"}; !slices.Equal(got, want) {
		t.Fatalf("installations = %v, want %v", got, want)
	}
	tok, _, err := app.Apps.CreateInstallationToken(ctx, 77, nil)
	if err != nil {
		t.Fatal(err)
	}
	globex := enterprise(t, github.NewClient(nil).WithAuthToken(tok.GetToken()), s)
	repos, _, err := globex.Apps.ListRepos(ctx, nil)
	if err != nil || len(repos.Repositories) != 1 || repos.Repositories[0].GetFullName() != "globex/gitops" {
		t.Fatalf("installation 77's repositories: %+v, %v", repos, err)
	}
	if _, _, err := globex.Repositories.Get(ctx, "globex", "gitops"); err != nil {
		t.Errorf("installation 77 reading its repository: %v", err)
	}
	if _, _, err := globex.Repositories.Get(ctx, "acme", "config"); apiErr(t, err).Response.StatusCode != http.StatusNotFound {
		t.Error("installation 77's token reads acme/config")
	}
	acme, _ := installationClient(t, s)
	if _, _, err := acme.Repositories.Get(ctx, "globex", "gitops"); apiErr(t, err).Response.StatusCode != http.StatusNotFound {
		t.Error("installation 42's token reads globex/gitops")
	}
}
