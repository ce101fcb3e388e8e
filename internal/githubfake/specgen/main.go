// Command specgen cuts the operations the GitHub fake serves out of GitHub's
// published REST description, and the webhooks it sends out of GitHub's
// webhook description, so the fake can validate against both without
// carrying 18 MB of JSON.
//
// Run from the repository root:
//
//	go run ./internal/githubfake/specgen -in ../shared/github/openapi/api.github.com.json \
//		-webhooks ../shared/github/webhooks-openapi/api.github.com.json -out internal/githubfake/openapi
//
// With -check it writes nothing and exits 1 when the committed files are
// not what it would generate.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aymanbagabas/go-udiff"
)

const (
	subsetName   = "github-subset.json"
	webhooksName = "webhooks-subset.json"
	licenseName  = "LICENSE"
)

func main() {
	in := flag.String("in", "", "GitHub's api.github.com.json; its LICENSE must sit beside it")
	out := flag.String("out", "", "directory to write "+subsetName+" and "+licenseName+" into")
	hooks := flag.String("webhooks", "", "GitHub's webhook description (octokit/openapi-webhooks api.github.com.json), same licence")
	check := flag.Bool("check", false, "compare with the files in -out instead of writing them")
	flag.Parse()
	if *in == "" || *out == "" || *hooks == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *hooks, *out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(in, hooks, out string, check bool) error {
	files, err := generate(in)
	if err != nil {
		return err
	}
	hookSubset, err := generateWebhooks(hooks, files[licenseName])
	if err != nil {
		return err
	}
	files[webhooksName] = hookSubset
	if check {
		return compare(out, files)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// generate returns the output files by name.
func generate(in string) (map[string][]byte, error) {
	data, err := os.ReadFile(in)
	if err != nil {
		return nil, fmt.Errorf("read description: %w", err)
	}
	license, err := os.ReadFile(filepath.Join(filepath.Dir(in), licenseName))
	if err != nil {
		return nil, fmt.Errorf("read licence: %w", err)
	}
	doc, err := decode(data)
	if err != nil {
		return nil, err
	}
	sub, err := subset(doc, operations)
	if err != nil {
		return nil, err
	}
	if err := applyTransforms(sub); err != nil {
		return nil, err
	}
	enc, err := encode(sub)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{subsetName: enc, licenseName: license}, nil
}

// ErrStale reports committed files that differ from what would be generated.
type ErrStale struct {
	Name string
	Diff string // unified diff, committed → generated, possibly shortened
}

func (e *ErrStale) Error() string {
	return fmt.Sprintf("%s is stale; run make spec\n%s", e.Name, e.Diff)
}

func compare(dir string, files map[string][]byte) error {
	for _, name := range []string{subsetName, webhooksName, licenseName} {
		want := files[name]
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("read committed %s: %w", name, err)
		}
		if bytes.Equal(got, want) {
			continue
		}
		diff := udiff.Unified("committed/"+name, "generated/"+name, string(got), string(want))
		const max = 4000
		if len(diff) > max {
			diff = diff[:max] + "\n... (diff shortened)"
		}
		return &ErrStale{Name: name, Diff: diff}
	}
	return nil
}
