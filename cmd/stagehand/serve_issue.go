package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/notify"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
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
	if err := q.RefreshIssue(qctx, ""); err != nil {
		r.log.Warn("could not queue a refresh of the promotions issue; the next change or reconcile brings it up to date", "err", err)
	}
}

// issueOptions keep the promotions issue of a config that asks for one.
func (f *serveFlags) issueOptions(engine *promote.Engine, client *githubapp.Client, st *store.Store, d *db.DB, refresh func(context.Context)) *work.IssueOptions {
	repoURL := ""
	if web, err := githubWebURL(f.github.apiURL, f.webURL); err == nil {
		repoURL = web + "/" + f.github.repo
	}
	return &work.IssueOptions{Boards: engine, Repo: client, Records: st, Locks: d, RepoURL: repoURL, Refresh: refresh}
}
