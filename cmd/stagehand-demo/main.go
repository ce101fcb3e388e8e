// Command stagehand-demo tells stagehand's whole story locally, in
// seconds and with no network: a real OCI registry and a GitHub stand-in on
// a real git repository, in this process. It is its own command so that
// the stand-ins stay out of the stagehand binary people deploy.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/stagehand-dev/stagehand/internal/demo"
)

func main() {
	fs := flag.NewFlagSet("stagehand-demo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: stagehand-demo [--config-repo DIR]\n\nRuns the whole story locally in seconds, with no network: an in-process registry, a GitHub\nstand-in on a real git repository, two pushes, and promotions through staging, preprod and prod.")
		fs.PrintDefaults()
	}
	seed := fs.String("config-repo", "testdata/configrepo", "the sample config repository to start from")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := demo.Run(ctx, os.Stdout, demo.Options{Seed: *seed, Validate: true}); err != nil {
		fmt.Fprintf(os.Stderr, "stagehand-demo: %v\n", err)
		stop()
		os.Exit(1)
	}
}
