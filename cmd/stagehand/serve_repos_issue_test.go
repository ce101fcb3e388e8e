package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// TestServePromotionsIssueInEachRepository: two config repositories keep
// a promotions issue (`dashboard: issue`), served by one stagehand without
// STAGEHAND_CONFIG_REPO. Each issue holds its own repository's matrix; a
// box ticked in team-b's promotes in team-b only and is answered there; an
// edit of one issue is undone without touching the other; and one issue's
// lock does not hold up the other's (PostgreSQL, where another process can
// hold it). A repository installed later gets its issue at once.
func TestServePromotionsIssueInEachRepository(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, promotionsIssueInEachRepository)
}

func promotionsIssueInEachRepository(t *testing.T, database string) {
	var teamB, later *githubfake.Server
	world := e2e.Start(t, e2e.Options{Run: run, Database: database, ServeArgs: []string{"--config-repo", ""}, Prepare: func(w *e2e.World) {
		// acme/config has every sender's app; team-b has one of them.
		cfg, err := w.GitHub.FileAt("main", ".stagehand.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.GitHub.Commit("main", "Keep a promotions issue", map[string][]byte{".stagehand.yaml": append(cfg, "dashboard: issue\n"...)}); err != nil {
			t.Fatal(err)
		}
		seed := e2e.Seed([]e2e.App{w.App("generic")}, nil)
		seed[".stagehand.yaml"] = append(seed[".stagehand.yaml"], "dashboard: issue\n"...)
		if teamB, err = w.GitHub.AddRepo(githubfake.RepoOptions{Name: "team-b", Installed: true, SeedFiles: seed}); err != nil {
			t.Fatal(err)
		}
		if later, err = w.GitHub.AddRepo(githubfake.RepoOptions{Name: "later", SeedFiles: seed}); err != nil {
			t.Fatal(err)
		}
	}})
	a := world.App("generic")
	mine := &issueWorld{World: world, a: a}
	theirs := &issueWorld{World: world, a: a, gh: teamB}

	// Each repository gets its issue, with its own apps.
	is := mine.issue(t, "acme/config's issue opened", "| **"+a.Name+"** |", "| **ghcr** |")
	if is.Title != "stagehand: promotions" || is.User != "stagehand[bot]" {
		t.Errorf("acme/config's issue: %+v", is)
	}
	is = theirs.issue(t, "team-b's issue opened", "| **"+a.Name+"** |")
	if strings.Contains(is.Body, "**ghcr**") {
		t.Errorf("team-b's issue shows acme/config's apps:\n%s", is.Body)
	}

	// 1.0.0 goes through staging in both; a person merges each preprod
	// PR, and each issue offers prod, linking its own repository's PRs.
	d := world.Push(t, a, "1.0.0")
	if code, answer := world.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, a.Image, "1.0.0", d))); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	preprod := promote.Branch(a.Name, "preprod")
	for _, w := range []*issueWorld{mine, theirs} {
		gh := w.repo()
		name := gh.Owner() + "/" + gh.Repo()
		w.Eventually(t, name+"'s preprod PR", func() (bool, string) {
			pr, ok := newestPR(gh, preprod)
			return ok && pr.State == "open", pr.State
		})
		pre, _ := newestPR(gh, preprod)
		if _, err := gh.MergeAsUser(pre.Number, "octocat"); err != nil {
			t.Fatal(err)
		}
		is := w.issue(t, name+"'s issue offering prod", "promote "+a.Name+" 1.0.0 (", "<!-- stagehand:promote "+a.Name+" prod -->",
			fmt.Sprintf("([#%d](%s/%s/pull/%d))", pre.Number, strings.TrimSuffix(world.GitHubURL, "/"), name, pre.Number))
		other := "acme/team-b"
		if gh == teamB {
			other = "acme/config"
		}
		if strings.Contains(is.Body, "/"+other+"/") {
			t.Errorf("%s's issue links %s:\n%s", name, other, is.Body)
		}
	}

	// A writer of team-b ticks team-b's box: a prod PR in team-b, answered
	// in team-b's issue; acme/config has neither PR nor answer.
	teamB.SetPermission("writer", "write")
	mineBefore := mine.issue(t, "acme/config's issue before team-b's tick")
	commentsBefore := len(world.GitHub.CommentsOn(mineBefore.Number))
	reply := theirs.tick(t, "writer", "prod")
	prodBranch := promote.Branch(a.Name, "prod")
	prod, ok := newestPR(teamB, prodBranch)
	if !ok || prod.State != "open" || !strings.Contains(reply, fmt.Sprintf("/acme/team-b/pull/%d", prod.Number)) {
		t.Fatalf("team-b's tick: PR %+v, reply %q", prod, reply)
	}
	if pr, ok := newestPR(world.GitHub, prodBranch); ok {
		t.Errorf("team-b's tick opened PR #%d in acme/config", pr.Number)
	}
	theirsNow := theirs.issue(t, "team-b's issue showing its prod PR", fmt.Sprintf("**PR open** #%d", prod.Number))
	if n := len(world.GitHub.CommentsOn(mineBefore.Number)); n != commentsBefore {
		t.Errorf("acme/config's issue got %d comments from team-b's tick", n-commentsBefore)
	}
	if now := mine.issue(t, "acme/config's issue after team-b's tick"); strings.Contains(now.Body, "PR open") {
		t.Errorf("acme/config's issue shows team-b's prod PR:\n%s", now.Body)
	}

	// Someone edits acme/config's issue while another process holds its
	// lock (on PostgreSQL: on SQLite the lock is the process's own), then
	// team-b's: team-b's edit is undone all the same, as its lock is its
	// own, and acme/config's waits for its lock.
	var release func()
	if database != "" {
		other, err := db.Open(context.Background(), database, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if release, err = other.Lock(context.Background(), "acme/config/promotions-issue", e2e.Deadline); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if release != nil {
				release()
			}
		}()
	}
	mineNow := mine.issue(t, "acme/config's issue before the edits")
	updated := func(repo string, n int) func() (bool, string) {
		return func() (bool, string) {
			got := issueUpdates(world, repo)
			return got >= n, fmt.Sprintf("%d updates of %s's issue logged", got, repo)
		}
	}
	mineUpdates, theirsUpdates := issueUpdates(world, "acme/config"), issueUpdates(world, "acme/team-b")
	world.GitHub.EditIssueBody(mineNow.Number, "writer", mineNow.Body+"\nShip it on Friday!\n")
	teamB.EditIssueBody(theirsNow.Number, "writer", theirsNow.Body+"\nShip it on Monday!\n")
	theirs.Eventually(t, "team-b's issue restored", func() (bool, string) {
		now := teamB.Issues("stagehand")[0].Body
		return now == theirsNow.Body, now
	})
	theirs.Eventually(t, "team-b's restore logged", updated("acme/team-b", theirsUpdates+1))
	theirsUpdates = issueUpdates(world, "acme/team-b")
	if release != nil {
		if now := world.GitHub.Issues("stagehand")[0].Body; now == mineNow.Body {
			t.Error("acme/config's issue was restored while another process held its lock")
		}
		release()
		release = nil
	}
	mine.Eventually(t, "acme/config's issue restored", func() (bool, string) {
		now := world.GitHub.Issues("stagehand")[0].Body
		return now == mineNow.Body, now
	})
	mine.Eventually(t, "acme/config's restore logged", updated("acme/config", mineUpdates+1))
	// Restoring acme/config's left team-b's alone.
	if n := issueUpdates(world, "acme/team-b") - theirsUpdates; n != 0 {
		t.Errorf("acme/config's edit updated team-b's issue %d times", n)
	}
	if now := teamB.Issues("stagehand")[0].Body; now != theirsNow.Body {
		t.Errorf("team-b's issue changed:\n%s\nwant:\n%s", now, theirsNow.Body)
	}
	for _, gh := range []*githubfake.Server{world.GitHub, teamB} {
		if n := len(gh.Issues("")); n != 1 {
			t.Errorf("%s has %d issues, want its one", gh.Repo(), n)
		}
	}

	// A repository the App is installed on later gets its issue at once,
	// not with its first change.
	if err := world.GitHub.InstallRepo("later"); err != nil {
		t.Fatal(err)
	}
	(&issueWorld{World: world, a: a, gh: later}).issue(t, "later's issue opened", "| **"+a.Name+"** |", "/acme/later/commit/")
}

// issueUpdates counts the edits serve logged of repo's promotions issue.
func issueUpdates(w *e2e.World, repo string) int {
	n := 0
	for _, line := range strings.Split(w.Stderr.String(), "\n") {
		var rec struct{ Msg, Repo string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "promotions issue updated" && rec.Repo == repo {
			n++
		}
	}
	return n
}
