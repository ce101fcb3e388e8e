package githubfake

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-github/v60/github"
)

// writeSeed lays out n files: the config repo's seven, three docs, and the
// rest spread over teams/team-NN/apps/app-NNN/ (20 teams of 200 apps), the
// shape of a large monorepo of overlays.
func writeSeed(b *testing.B, dir string, n int) {
	b.Helper()
	put := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	src := "../../testdata/configrepo"
	files, err := walk(src)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			b.Fatal(err)
		}
		put(f, data)
	}
	for i := range 3 {
		put(fmt.Sprintf("docs/page-%d.md", i), []byte("# docs\n"))
	}
	names := []string{"base/deployment.yaml", "base/kustomization.yaml", "overlays/staging/kustomization.yaml", "overlays/preprod/kustomization.yaml", "overlays/prod/kustomization.yaml"}
	for i := range n - len(files) - 3 {
		put(fmt.Sprintf("teams/team-%02d/apps/app-%03d/%s", i/1000, i%1000/5, names[i%5]),
			fmt.Appendf(nil, "# file %d\nkind: Kustomization\n", i))
	}
}

func walk(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	return out, err
}

// BenchmarkCreateTree times POST /git/trees (validation on, over HTTP with
// go-github) changing one nested file, on a repository of 10 files and one
// of 20,000. Only the directories on the changed path are read and
// written, so both should take about the same time per operation.
func BenchmarkCreateTree(b *testing.B) {
	for _, n := range []int{10, 20_000} {
		seed := b.TempDir()
		writeSeed(b, seed, n)
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			ctx := context.Background()
			s, err := New(Options{Seed: seed, AppKey: &appKey(b).PublicKey, Validate: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			gh, _ := installationClient(b, s)
			main, _, err := gh.Repositories.GetBranch(ctx, s.Owner(), s.Repo(), "main", 0)
			if err != nil {
				b.Fatal(err)
			}
			base := main.GetCommit().GetCommit().GetTree().GetSHA()
			for i := 0; b.Loop(); i++ {
				_, _, err := gh.Git.CreateTree(ctx, s.Owner(), s.Repo(), base, []*github.TreeEntry{{
					Path: github.String(stagingPath), Mode: github.String("100644"), Type: github.String("blob"),
					Content: github.String(fmt.Sprintf("kind: Kustomization\n# %d\n", i)),
				}})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if v := s.Violations(); len(v) > 0 {
				b.Fatalf("violations: %q", v)
			}
		})
	}
}

// BenchmarkCommitWebhooks times Commit (one push) with webhook deliveries
// off and on (each push then renders a payload, with a diff-tree per
// commit, and a goroutine validates and posts it).
func BenchmarkCommitWebhooks(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprint("webhooks=", on), func(b *testing.B) {
			opts := Options{Seed: "../../testdata/configrepo", AppKey: &appKey(b).PublicKey, Validate: true}
			if on {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
				defer srv.Close()
				opts.Webhook = &Webhook{URL: srv.URL, Secret: "s", Active: true}
			}
			s, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for i := 0; b.Loop(); i++ {
				if _, err := s.Commit("main", "change", map[string][]byte{"x.txt": fmt.Appendf(nil, "%d\n", i)}); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.WaitDeliveries(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if v := s.Violations(); len(v) > 0 {
				b.Fatalf("violations: %q", v)
			}
		})
	}
}
