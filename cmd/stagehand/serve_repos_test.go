package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// TestServeEveryInstalledRepository: without STAGEHAND_CONFIG_REPO, serve
// works on every repository the App is installed on that has a
// .stagehand.yaml, in each of its installations: a push of an image three
// of them use opens a PR in each;
// a comment in one acts on that one only, and so do `stagehand promote`
// and `stagehand history` given --repo; a config broken in one is
// reported there, on the commit, while the other keeps working; and a
// repository added to the installation later works without a restart.
func TestServeEveryInstalledRepository(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, everyInstalledRepository)
}

func everyInstalledRepository(t *testing.T, database string) {
	var teamB, docs, later, globex *githubfake.Server
	w := e2e.Start(t, e2e.Options{Run: run, Database: database, ServeArgs: []string{"--config-repo", "", "--public-url", lkPublicURL, "--link-secret", lkSecret}, Prepare: func(w *e2e.World) {
		seed := e2e.Seed([]e2e.App{w.App("generic")}, nil)
		var err error
		if teamB, err = w.GitHub.AddRepo(githubfake.RepoOptions{Name: "team-b", Installed: true, SeedFiles: seed}); err != nil {
			t.Fatal(err)
		}
		if docs, err = w.GitHub.AddRepo(githubfake.RepoOptions{Name: "docs", Installed: true, SeedFiles: map[string][]byte{"README.md": []byte("docs\n")}}); err != nil {
			t.Fatal(err)
		}
		if later, err = w.GitHub.AddRepo(githubfake.RepoOptions{Name: "later", SeedFiles: seed}); err != nil {
			t.Fatal(err)
		}
		// The App installed on another account too: another installation.
		if globex, err = w.GitHub.AddRepo(githubfake.RepoOptions{Owner: "globex", Name: "gitops", Installation: 77, Installed: true, SeedFiles: seed}); err != nil {
			t.Fatal(err)
		}
	}})
	a := w.App("generic")
	staging, preprod := promote.Branch(a.Name, "staging"), promote.Branch(a.Name, "preprod")

	// One push, a PR in each repository whose config uses the image.
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	for _, gh := range []*githubfake.Server{w.GitHub, teamB, globex} {
		w.Eventually(t, gh.Owner()+"/"+gh.Repo()+"'s staging PR merged and preprod PR open", func() (bool, string) {
			st, _ := newestPR(gh, staging)
			pre, ok := newestPR(gh, preprod)
			return st.Merged && ok && pre.State == "open", fmt.Sprintf("staging %s, preprod %s", st.State, pre.State)
		})
	}
	if prs := docs.PullRequests(); len(prs) != 0 {
		t.Errorf("docs, which has no .stagehand.yaml, got PRs: %+v", prs)
	}
	if prs := later.PullRequests(); len(prs) != 0 {
		t.Errorf("later, outside the installation, got PRs: %+v", prs)
	}

	// A hold placed in acme/config holds acme/config's preprod only.
	for _, gh := range []*githubfake.Server{w.GitHub, teamB} {
		gh.SetPermission("writer", "write")
	}
	mine, _ := newestPR(w.GitHub, staging)
	theirs, _ := newestPR(teamB, staging)
	if got := commentIn(t, w, w.GitHub, mine.Number, "writer", "/hold "+a.Name+" preprod waiting for QA"); !strings.Contains(got, "is held in preprod") {
		t.Fatalf("hold in acme/config: %q", got)
	}
	if got := commentIn(t, w, w.GitHub, mine.Number, "writer", "/promote"); !strings.Contains(got, "is held in preprod") {
		t.Fatalf("/promote in acme/config after its hold: %q", got)
	}
	if got := commentIn(t, w, teamB, theirs.Number, "writer", "/promote"); strings.Contains(got, "held") || !strings.Contains(got, "preprod") {
		t.Fatalf("/promote in team-b: %q; acme/config's hold must not hold team-b", got)
	}

	// The CLI takes the repository as the API does: promote and history
	// ask which when stagehand serves several, and act on the one named.
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errOut e2e.Buffer
		if args[0] == "promote" {
			args = append(append(args, w.GitHubFlags()...), "--config-repo", "", "--database-url", w.Database)
		} else {
			args = append(args, "--server", w.Base, "--api-token", e2e.APIToken)
		}
		code := run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	const choice = "say which with --repo: acme/config, acme/team-b, globex/gitops"
	if code, _, stderr := cli("promote", "--app", a.Name, "--to", "preprod"); code != 2 || !strings.Contains(stderr, choice) {
		t.Errorf("promote without --repo: exit %d, want 2 and %q:\n%s", code, choice, stderr)
	}
	if code, stdout, stderr := cli("promote", "--repo", "acme/config", "--app", a.Name, "--to", "preprod"); code != 1 || !strings.Contains(stdout, "is held in preprod") {
		t.Errorf("promote --repo acme/config after its hold: exit %d, want 1 and the hold\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := cli("promote", "--repo", "globex/gitops", "--app", a.Name, "--to", "preprod"); code != 0 || !strings.Contains(stdout, "/globex/gitops/pull/") {
		t.Errorf("promote --repo globex/gitops: exit %d, want 0 and globex's PR\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := cli("history", "--app", a.Name); code != 2 || !strings.Contains(stderr, choice) {
		t.Errorf("history without --repo: exit %d, want 2 and %q:\n%s", code, choice, stderr)
	}
	for repo, want := range map[string]bool{"acme/config": true, "globex/gitops": false} {
		code, stdout, stderr := cli("history", "--repo", repo, "--app", a.Name)
		if code != 0 || strings.Contains(stdout, "[held by @writer") != want {
			t.Errorf("history --repo %s: exit %d, held %v want %v:\n%s%s", repo, code, !want, want, stdout, stderr)
		}
	}

	// The API answers per repository: the hold is acme/config's.
	held := func(repo string) bool {
		t.Helper()
		var apps []struct {
			App    string
			Stages []struct {
				Stage string
				Hold  *struct{ By string }
			}
		}
		getJSON(t, w, "/api/v1/repos/"+repo+"/apps", http.StatusOK, &apps)
		for _, app := range apps {
			for _, st := range app.Stages {
				if app.App == a.Name && st.Stage == "preprod" {
					return st.Hold != nil
				}
			}
		}
		t.Fatalf("%s: no %s preprod in %+v", repo, a.Name, apps)
		return false
	}
	if !held("acme/config") || held("acme/team-b") {
		t.Errorf("holds by the API: acme/config %v, acme/team-b %v; want acme/config's only", held("acme/config"), held("acme/team-b"))
	}
	var served []struct{ Repo string }
	getJSON(t, w, "/api/v1/repos", http.StatusOK, &served)
	if fmt.Sprint(served) != "[{acme/config} {acme/team-b} {globex/gitops}]" {
		t.Errorf("/api/v1/repos = %v", served)
	}
	getJSON(t, w, "/api/v1/apps", http.StatusConflict, nil)
	getJSON(t, w, "/api/v1/repos/acme/docs/apps", http.StatusNotFound, nil)
	// Each repository has its dashboard (here without sign-in, which says
	// so); a repository not served has none.
	for path, code := range map[string]int{"/repos/acme/team-b/": http.StatusServiceUnavailable, "/": http.StatusServiceUnavailable, "/repos/acme/docs/": http.StatusNotFound} {
		resp, err := w.Client.Get(w.Base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != code || (code == http.StatusServiceUnavailable && !strings.Contains(string(body), "Sign-in is not configured")) {
			t.Errorf("GET %s: %d, want %d:\n%s", path, resp.StatusCode, code, body)
		}
	}

	// team-b's links promote in team-b: its preprod PR, merged by a
	// person, links manual prod, and confirming opens team-b's prod PR.
	tbPre, _ := newestPR(teamB, preprod)
	toProd := lkFind(t, tbPre.Body, "Promote to prod after merging:")
	if _, err := teamB.MergeAsUser(tbPre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "team-b's preprod merge noted", func() (bool, string) {
		cs := teamB.CommentsOn(tbPre.Number)
		return len(cs) > 0 && strings.Contains(cs[len(cs)-1].Body, "Or with one click:"), fmt.Sprint(len(cs))
	})
	page := lkOpen(t, w, http.MethodGet, toProd, nil, "")
	if page.code != http.StatusOK || !strings.Contains(page.body, "Promote "+a.Name+" to prod?") {
		t.Fatalf("team-b's link: %d\n%s", page.code, page.body)
	}
	if done := lkOpen(t, w, http.MethodPost, toProd, page.session, page.csrf); done.code != http.StatusOK && done.code != http.StatusAccepted {
		t.Fatalf("confirming team-b's link: %d\n%s", done.code, done.body)
	}
	prodBranch := promote.Branch(a.Name, "prod")
	w.Eventually(t, "team-b's prod PR", func() (bool, string) {
		_, ok := newestPR(teamB, prodBranch)
		return ok, ""
	})
	if _, ok := newestPR(w.GitHub, prodBranch); ok {
		t.Error("team-b's link opened a prod PR in acme/config")
	}

	// A broken config in team-b: a failing check on the commit that broke
	// it, with its error and line; acme/config keeps working.
	cfg, err := teamB.FileAt("main", ".stagehand.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(cfg), "  - name: staging\n", "  - name: staging\n    colour: blue\n", 1)
	sha, err := teamB.Commit("main", "Break the config", map[string][]byte{".stagehand.yaml": []byte(broken)})
	if err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "a failing stagehand/config check on team-b's commit", func() (bool, string) {
		for _, cr := range teamB.CheckRuns(sha) {
			if cr.Name == "stagehand/config" && cr.Conclusion == "failure" {
				if !strings.Contains(cr.Summary, ".stagehand.yaml:3:") || !strings.Contains(cr.Summary, "colour") {
					t.Errorf("the check's summary lacks the error and its line:\n%s", cr.Summary)
				}
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d check runs", len(teamB.CheckRuns(sha)))
	})
	for _, cr := range w.GitHub.CheckRuns("main") {
		if cr.Name == "stagehand/config" {
			t.Errorf("acme/config got a config check: %+v", cr)
		}
	}
	pushTag := func(tag string) {
		t.Helper()
		d := w.Push(t, a, tag)
		if code, answer := w.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, a.Image, tag, d))); code != http.StatusAccepted {
			t.Fatalf("push %s: %d %q", tag, code, answer)
		}
	}
	pushTag("1.0.1")
	w.Eventually(t, "acme/config's staging PR of 1.0.1 merged", func() (bool, string) {
		pr, _ := newestPR(w.GitHub, staging)
		m, _, _ := promote.ParseMarker(pr.Body)
		return pr.Merged && m.Tag == "1.0.1", m.Tag
	})
	if pr, _ := newestPR(teamB, staging); pr.Number != theirs.Number {
		t.Errorf("team-b, whose config is broken, got PR #%d", pr.Number)
	}

	// A repository added to the installation is served at once.
	if err := w.GitHub.InstallRepo("later"); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "later served", func() (bool, string) {
		return w.Logged(map[string]string{"msg": "config repository served", "repo": "acme/later"}), ""
	})
	pushTag("1.0.2")
	w.Eventually(t, "later's staging PR of 1.0.2 merged", func() (bool, string) {
		pr, _ := newestPR(later, staging)
		m, _, _ := promote.ParseMarker(pr.Body)
		return pr.Merged && m.Tag == "1.0.2", m.Tag
	})
}

// getJSON GETs an API path and decodes its answer into v (unless nil).
func getJSON(t *testing.T, w *e2e.World, path string, code int, v any) {
	t.Helper()
	resp, err := w.GetAPI(path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != code {
		t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, body, code)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
}

// newestPR is the newest pull request of gh from branch.
func newestPR(gh *githubfake.Server, branch string) (pr githubfake.PullRequest, ok bool) {
	for _, p := range gh.PullRequests() {
		if p.Head == branch && p.Number > pr.Number {
			pr, ok = p, true
		}
	}
	return pr, ok
}

// commentIn is login commenting body on PR number of gh, and stagehand's
// reply there.
func commentIn(t *testing.T, w *e2e.World, gh *githubfake.Server, number int, login, body string) string {
	t.Helper()
	before := len(gh.CommentsOn(number))
	if gh.AddComment(number, login, body) == 0 {
		t.Fatalf("no PR #%d in %s", number, gh.Repo())
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2e.Deadline)
	defer cancel()
	if err := w.GitHub.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	var reply string
	w.Eventually(t, fmt.Sprintf("a reply to %q in %s", body, gh.Repo()), func() (bool, string) {
		cs := gh.CommentsOn(number)
		for _, c := range cs[min(before+1, len(cs)):] {
			if strings.HasSuffix(c.User, "[bot]") && strings.HasPrefix(c.Body, "@"+login+" ") {
				reply = c.Body
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d comments", len(cs))
	})
	return reply
}
