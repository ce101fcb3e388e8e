package main

import (
	"context"
	"io"

	"github.com/stagehand-dev/stagehand/internal/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [--config-repo DIR]\n\nRuns the whole story locally in seconds, with no network: an in-process registry, a GitHub\nstand-in on a real git repository, two pushes, and promotions through staging, preprod and prod.", stderr)
	seed := fs.String("config-repo", "testdata/configrepo", "the sample config repository to start from")
	if err := parse(fs, args); err != nil {
		return err
	}
	_, err := demo.Run(ctx, stdout, demo.Options{Seed: *seed, Validate: true})
	return err
}
