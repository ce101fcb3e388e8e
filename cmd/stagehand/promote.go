package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/stagehand-dev/stagehand/internal/promote"
)

func runPromote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("promote", "promote --app NAME --to STAGE [--dry-run]\n\nProposes, in the config repository on GitHub, the image that the stage before STAGE pins,\nexactly as it is pinned there (same tag, same digest).", stderr)
	var gh githubFlags
	gh.register(fs)
	app := fs.String("app", "", "app to promote, as named in .stagehand.yaml")
	to := fs.String("to", "", "stage to promote into")
	dry := fs.Bool("dry-run", false, "read and decide, print the change, write nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *app == "" || *to == "" {
		return usageError{msg: "--app and --to are required"}
	}
	client, err := gh.client(ctx)
	if err != nil {
		return err
	}
	resolver, err := gh.resolver()
	if err != nil {
		return err
	}
	eng, err := promote.New(promote.Options{
		GitHub: client, Resolver: resolver, BaseBranch: gh.base, DryRun: *dry,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	out, err := eng.Promote(ctx, *app, *to)
	promote.Describe(stdout, out)
	if err != nil {
		return err
	}
	if !out.Done() {
		return errors.New(out.Reason)
	}
	return nil
}
