package main

// The one-path race: the ways into a stage, all at once.

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// TestServeWaysInRaceToOneStage: with preprod merged, a one-click link
// confirmation, a /promote comment and `stagehand promote` ask for prod at
// the same moment, while a push of a newer release moves staging and chains
// to preprod. Every way in goes through the one queue and the one plan per
// app × stage, so prod gets one PR with one commit, every requester gets an
// answer naming it, and the push lands as well: nothing is lost, nothing is
// written twice.
func TestServeWaysInRaceToOneStage(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, raceWaysIn)
}

func raceWaysIn(t *testing.T, database string) {
	e := e2e.Start(t, e2e.Options{Run: run, Database: database, ServeArgs: []string{"--public-url", lkPublicURL, "--link-secret", lkSecret}})
	w := &rbWorld{World: e, a: e.App("generic")}
	w.GitHub.SetPermission("writer", "write")
	staging, preprod, prod := promote.Branch(w.a.Name, "staging"), promote.Branch(w.a.Name, "preprod"), promote.Branch(w.a.Name, "prod")

	// 1.0.0 reaches preprod; the merged preprod PR's note links prod.
	d100 := w.rbPush(t, "1.0.0", 1)
	w.Eventually(t, "preprod's PR", func() (bool, string) {
		pr, ok := w.PR(preprod)
		return ok && pr.State == "open", ""
	})
	pre := w.rbMerge(t, "preprod")
	w.Eventually(t, "the merged preprod PR's note on prod", func() (bool, string) {
		note := w.LastComment(pre.Number)
		return strings.Contains(note, "one click"), note
	})
	page := lkOpen(t, w.World, http.MethodGet, lkFind(t, w.LastComment(pre.Number), "one click"), nil, "")
	if page.code != http.StatusOK {
		t.Fatalf("the link's page: %d\n%s", page.code, page.body)
	}
	toProd := lkFind(t, w.LastComment(pre.Number), "one click")

	// 1.1.0 is in the registry; its notification is part of the race.
	a := w.a
	d110 := w.Push(t, a, "1.1.0")
	push := e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":"1.1.0"}`, a.Image))
	w.GitHub.ResetCalls()
	comments := len(w.GitHub.CommentsOn(pre.Number))

	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		linkPage lkPage
		pushCode int
		cli      struct {
			code     int
			out, err e2e.Buffer
		}
		commentID int64
	)
	wg.Add(4)
	go func() {
		defer wg.Done()
		<-start
		linkPage = lkOpen(t, w.World, http.MethodPost, toProd, page.session, page.csrf)
	}()
	go func() {
		defer wg.Done()
		<-start
		commentID = w.GitHub.AddComment(pre.Number, "writer", "/promote")
	}()
	go func() {
		defer wg.Done()
		<-start
		args := append([]string{"promote", "--app", a.Name, "--to", "prod", "--database-url", w.Database}, w.GitHubFlags()...)
		cli.code = run(t.Context(), args, &cli.out, &cli.err)
	}()
	go func() {
		defer wg.Done()
		<-start
		pushCode, _ = w.Send(t, push)
	}()
	close(start)
	wg.Wait()

	// One prod PR, for preprod's image, with one commit.
	var prodPRs []int
	for _, pr := range w.GitHub.PullRequests() {
		if pr.Head == prod {
			prodPRs = append(prodPRs, pr.Number)
		}
	}
	if len(prodPRs) != 1 {
		t.Fatalf("prod PRs %v; want exactly one", prodPRs)
	}
	prodPR, _ := w.PR(prod)
	if m, ok, err := promote.ParseMarker(prodPR.Body); err != nil || !ok || m.Digest != d100 || m.From != "preprod" {
		t.Fatalf("the prod PR proposes %+v (%v); want %s from preprod", m, err, d100)
	}
	// An answer names the PR by its link when it opened it, by number when
	// it found it open.
	namesPR := func(s string) bool {
		return strings.Contains(s, fmt.Sprintf("/pull/%d", prodPR.Number)) || strings.Contains(s, fmt.Sprintf("#%d ", prodPR.Number))
	}

	// Every requester heard of it.
	if linkPage.code != http.StatusOK || !namesPR(linkPage.body) {
		t.Errorf("the link's confirmation: %d\n%s", linkPage.code, linkPage.body)
	}
	if cli.code != 0 || !strings.Contains(cli.out.String(), "prod: ") || !namesPR(cli.out.String()) {
		t.Errorf("stagehand promote: exit %d\n%s%s", cli.code, cli.out.String(), cli.err.String())
	}
	if commentID == 0 {
		t.Fatal("the /promote comment was not posted")
	}
	w.Eventually(t, "the reply to /promote", func() (bool, string) {
		for _, c := range w.GitHub.CommentsOn(pre.Number)[comments:] {
			if strings.HasPrefix(c.Body, "@writer ") {
				if !strings.Contains(c.Body, "→ prod:") || !namesPR(c.Body) {
					t.Errorf("the reply to /promote does not name the prod PR: %s", c.Body)
				}
				return true, ""
			}
		}
		return false, "no reply yet"
	})

	// The push landed too: staging runs 1.1.0 and preprod's PR proposes it.
	if pushCode != http.StatusAccepted {
		t.Errorf("the push's delivery: %d", pushCode)
	}
	w.Eventually(t, "1.1.0 merged into staging and proposed for preprod", func() (bool, string) {
		pr, ok := w.PR(preprod)
		if !ok || pr.State != "open" {
			return false, "no open preprod PR"
		}
		m, _, _ := promote.ParseMarker(pr.Body)
		return m.Digest == d110, "preprod PR proposes " + m.Digest
	})
	if _, err := w.GitHub.Head(staging); err == nil {
		w.Eventually(t, "staging's branch removed after its merge", func() (bool, string) {
			_, err := w.GitHub.Head(staging)
			return err != nil, "branch still there"
		})
	}

	// One commit per accepted proposal: prod's, staging's, preprod's.
	if got := w.GitHub.Calls()["git/create-commit"]; got != 3 {
		t.Errorf("%d commits made during the race; want 3 (prod, staging, preprod):\n%v", got, w.GitHub.Calls())
	}
	for _, pr := range w.GitHub.PullRequests() {
		if pr.Head == prod && pr.Number != prodPR.Number {
			t.Errorf("a second prod PR #%d", pr.Number)
		}
	}
}
