package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/scaffold"
)

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("init", "init [--write [--force]] [dir]\n\nProposes a "+config.FileName+" for a config repository checkout (default: the current directory)\nfrom its kustomizations: stages from the overlay folders, apps from the images they pin.\nPrints it, or writes it with --write; an existing file is replaced only with --force.", stderr)
	write := fs.Bool("write", false, "write "+config.FileName+" into the checkout instead of printing it")
	force := fs.Bool("force", false, "with --write, replace an existing "+config.FileName)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{msg: "init takes at most one directory"}
	}
	if *force && !*write {
		return usageError{msg: "--force only goes with --write"}
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	target := filepath.Join(dir, config.FileName)
	if *write && !*force {
		if _, err := os.Lstat(target); err == nil {
			return fmt.Errorf("%s exists; init does not replace it without --force (check it with: stagehand validate %s)", target, dir)
		}
	}
	p, err := scaffold.Propose(os.DirFS(dir))
	if err != nil {
		return err
	}
	for _, n := range p.Notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	data := p.YAML()
	// A proposal stagehand would refuse is a bug here; say so and write nothing.
	if _, err := config.Parse(config.FileName, data); err != nil {
		return fmt.Errorf("the proposal does not parse, nothing written (please report this):\n%w", err)
	}
	if !*write {
		_, err := stdout.Write(data)
		return err
	}
	if err := writeConfig(target, data, *force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d stage(s), %d app(s); review it, then run: stagehand validate %s\n", target, len(p.Stages), len(p.Apps), dir)
	return nil
}

// writeConfig writes the file, creating it exclusively unless force, so
// that a file that appeared meanwhile is not replaced either.
func writeConfig(target string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(target, flags, 0o644)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists; init does not replace it without --force", target)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
