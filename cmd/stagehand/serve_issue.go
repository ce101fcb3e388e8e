package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/notify"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/work"
)

// issueRefresher hears of every event the engine's outcomes make (a PR
// opened, a merge, a refusal, a hold, …) and, when the config last read
// keeps a promotions issue, queues its refresh: a burst of events makes
// one edit. The events go on to the notifier either way.
type issueRefresher struct {
	next   promote.Notifier
	engine func() *promote.Engine
	q      *laterQueue
	repo   string // as the queue's work names it (issueRepo)
	log    *slog.Logger
}

func (r issueRefresher) Notify(ctx context.Context, evs []notify.Event) {
	r.next.Notify(ctx, evs)
	r.refresh(ctx)
}

// refresh queues a refresh of the promotions issue if the config keeps one.
func (r issueRefresher) refresh(ctx context.Context) {
	e, q := r.engine(), r.q.q.Load()
	if e == nil || q == nil {
		return
	}
	if cfg := e.LastConfig(); cfg == nil || cfg.Dashboard != config.DashboardIssue {
		return
	}
	// The change is done; its refresh must not be lost because its job is
	// about to run out of time.
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := q.RefreshIssue(qctx, r.repo); err != nil {
		r.log.Warn("could not queue a refresh of the promotions issue; the next change or reconcile brings it up to date", "err", err)
	}
}

// issueRepo is how the queue's work names config repository name: not at
// all when stagehand serves the one repository it was told, as other work.
func issueRepo(name string, static bool) string {
	if static {
		return ""
	}
	return name
}

// issueOptions keep the promotions issue of repository name, when its
// config asks for one.
func (f *serveFlags) issueOptions(name string, engine *promote.Engine, client *githubapp.Client, records work.IssueRecords, locks work.Locker, refresh func(context.Context)) *work.IssueOptions {
	repoURL := ""
	if web, err := githubWebURL(f.github.apiURL, f.webURL); err == nil {
		repoURL = web + "/" + name
	}
	return &work.IssueOptions{Boards: engine, Repo: client, Records: records, Locks: locks, RepoURL: repoURL, Refresh: refresh}
}
