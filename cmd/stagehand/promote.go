package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/store"
	"github.com/stagehand-dev/stagehand/internal/work"
)

const promoteSynopsis = `promote [--repo OWNER/NAME] --app NAME --to STAGE [--force] [--dry-run]
       promote [--repo OWNER/NAME] --app NAME --from STAGE --to all [--force] [--dry-run]

Promotes, in a config repository on GitHub, the image that the stage before STAGE pins,
exactly as it is pinned there (same tag, same digest), by the same rules as a /promote
comment: a held stage refuses, a soak time must have passed, a stage inside a freeze window
refuses unless --force is given (recorded as forced), and a stage that names
approvers takes the promotion only from one of them. NAME may name a group of
.stagehand.yaml, whose apps move together in one pull request; an app of a group moves
its whole group. Who you are comes from GITHUB_TOKEN
(your own token; only its login is read): without it, stages that name approvers refuse,
and the App's key stands in for write permission elsewhere.

The promotion goes through the queue of the stagehand serve that works the same database
(--database-url), so it never races a push or a comment; promote waits for its outcome.
--dry-run only reads and decides, and needs no server.

--repo names the config repository, as the API's /api/v1/repos/OWNER/NAME/ routes do;
without it, promote acts on the one STAGEHAND_CONFIG_REPO names, or on the only
repository stagehand serves, and otherwise lists them.

--to all --from STAGE promotes what STAGE pins to every stage that follows STAGE
(after: in .stagehand.yaml), one promotion each, as /promote NAME to all does on a
pull request into STAGE.`

func runPromote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("promote", promoteSynopsis, stderr)
	var gh githubFlags
	gh.register(fs)
	app := fs.String("app", "", "app or group to promote, as named in .stagehand.yaml")
	to := fs.String("to", "", "stage to promote into; all for every stage after --from")
	from := fs.String("from", "", "with --to all: the stage whose image moves on to every stage after it")
	dry := fs.Bool("dry-run", false, "read and decide, print the change, write nothing")
	force := fs.Bool("force", false, "promote inside the stage's freeze window (those who may promote there only; recorded as forced)")
	database := fs.String("database-url", env("STAGEHAND_DATABASE_URL", ""), "the database stagehand serve uses (STAGEHAND_DATABASE_URL): holds and soak times are there, and the promotion is queued there")
	wait := fs.Duration("wait", 2*time.Minute, "how long to wait for the promotion's outcome")
	token := fs.String("github-token", env("GITHUB_TOKEN", ""), "your own GitHub token, to say who you are (GITHUB_TOKEN)")
	repoFlag := fs.String("repo", "", repoUsage)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *app == "" || *to == "" {
		return usageError{msg: "--app and --to are required"}
	}
	all := *to == config.AllStages
	switch {
	case all && *from == "":
		return usageError{msg: "--to all means every stage after --from's: say which stage's image moves on, with --from STAGE"}
	case !all && *from != "":
		return usageError{msg: "--from goes with --to all; --to " + *to + " promotes what the stage before " + *to + " pins"}
	}
	choice, err := chooseRepo(*repoFlag, gh.repo)
	if err != nil {
		return err
	}
	gh.repo = choice.repo
	opts, err := gh.options()
	if err != nil {
		return err
	}
	var client *githubapp.Client
	if choice.static {
		client, err = githubapp.New(ctx, opts)
	} else {
		// One of the repositories serve finds in the installations, on
		// its default branch, as serve works on it, through the client
		// of its installation.
		inst, err := newInstallations(ctx, opts)
		if err != nil {
			return err
		}
		r, err := choice.served(ctx, inst)
		if err != nil {
			return err
		}
		gh.repo, gh.base = r.FullName, r.DefaultBranch
		client, err = inst.ForRepo(r.FullName)
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := db.Open(ctx, *database, log)
	if err != nil {
		return err
	}
	defer d.Close()
	st := store.New(d).ForRepo(gh.repo)
	resolver, err := gh.resolver()
	if err != nil {
		return err
	}
	eng, err := promote.New(promote.Options{GitHub: client, Records: st, Locks: d, Resolver: resolver, BaseBranch: gh.base, Logger: log})
	if err != nil {
		return err
	}
	r := promote.Request{Repo: gh.repo, Kind: promote.Promote, Source: promote.FromCLI, App: *app, Stage: *to, Force: *force}
	if all {
		r.Stage, r.From, r.All = "", *from, true
	}
	if *token != "" {
		if r.Actor.Login, err = whoAmI(ctx, gh.apiURL, *token); err != nil {
			return err
		}
	}
	if !*dry {
		r.ID = promote.NewID()
	}
	// To all is one promotion per stage after --from, as the config on
	// the base branch has them now: each is decided, queued and reported
	// on its own, as a /promote to all's are.
	rs := []promote.Request{r}
	if all {
		cfg, err := eng.Config(ctx)
		if err != nil {
			return err
		}
		if _, ok := cfg.Stage(*from); !ok {
			var names []string
			for _, st := range cfg.Stages {
				names = append(names, st.Name)
			}
			return usageError{msg: fmt.Sprintf("--from %s: %s has no such stage; its stages are %s", *from, config.FileName, strings.Join(names, ", "))}
		}
		rs = r.Split(cfg)
	}
	if *dry {
		var refused []string
		for _, r := range rs {
			p, err := eng.Preview(ctx, r)
			if err != nil {
				return err
			}
			o := p.Planned()
			promote.Describe(stdout, o)
			if !o.Done() {
				refused = append(refused, o.Reason)
			}
		}
		if len(refused) > 0 {
			return errors.New(strings.Join(refused, "; "))
		}
		return nil
	}
	q, err := queue.Submitter(d, queue.Options{Logger: log})
	if err != nil {
		return err
	}
	if working, err := q.Working(ctx); err != nil {
		return err
	} else if !working {
		return fmt.Errorf("no stagehand serve works the queue in this database (%s), so nothing would apply the promotion; start one, or use --dry-run to see what it would do", dbName(*database))
	}
	reqs := work.Requests{DB: d, Queue: q, Store: st}
	for _, r := range rs {
		if err := reqs.Submit(ctx, r); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "queued promotion %s of %s to %s in %s; waiting for it\n", r.ID, *app, cmp.Or(r.Stage, *to), gh.repo)
	}
	var refused []string
	for _, r := range rs {
		o, err := awaitRequest(ctx, reqs, r.ID, *wait)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s → %s: %s", *app, cmp.Or(r.Stage, *to), o.Result)
		if o.PR != 0 {
			fmt.Fprintf(stdout, " (PR #%d %s)", o.PR, o.PRURL)
		}
		fmt.Fprintln(stdout)
		if o.Reason != "" {
			fmt.Fprintf(stdout, "  %s\n", o.Reason)
		}
		if !(promote.Outcome{Result: promote.Result(o.Result)}).Done() {
			refused = append(refused, o.Reason)
		}
	}
	if len(refused) > 0 {
		return errors.New(strings.Join(refused, "; "))
	}
	return nil
}

// awaitRequest waits until request id is done, or gives up after wait.
func awaitRequest(ctx context.Context, reqs work.Requests, id string, wait time.Duration) (store.Request, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		o, ok, err := reqs.Outcome(ctx, id)
		if err == nil && ok && o.State == store.Done {
			return o, nil
		}
		select {
		case <-ctx.Done():
			return store.Request{}, fmt.Errorf("the promotion is queued, but did not finish within %s (GitHub may be slow; stagehand keeps trying): see the stage's pull request, or `stagehand history --app`", wait)
		case <-t.C:
		}
	}
}

// whoAmI is the login a GitHub token belongs to.
func whoAmI(ctx context.Context, apiURL, token string) (string, error) {
	gh := github.NewClient(nil).WithAuthToken(token)
	if apiURL != "" {
		var err error
		if gh, err = gh.WithEnterpriseURLs(apiURL, apiURL); err != nil {
			return "", err
		}
	}
	u, _, err := gh.Users.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("GITHUB_TOKEN: ask GitHub whose it is: %w", err)
	}
	return u.GetLogin(), nil
}

func dbName(url string) string {
	if url == "" {
		wd, _ := os.Getwd()
		return wd + "/" + db.DefaultSQLitePath
	}
	if driver, target, err := db.ParseURL(url); err == nil && driver == db.SQLite {
		return target
	}
	return "PostgreSQL"
}
