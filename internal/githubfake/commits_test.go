package githubfake

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestListCommitsByPath: commits?path= lists what git log -- path lists,
// as GitHub's file history does: commits that changed the path, newest
// first, and for a change merged with a merge commit the commit on the
// branch, not the merge (GitHub has no first-parent view).
func TestListCommitsByPath(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()
	seed, _ := s.Head("main")
	commit := func(branch, msg string, files map[string][]byte) string {
		t.Helper()
		sha, err := s.Commit(branch, msg, files)
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	a := commit("main", "a", map[string][]byte{stagingPath: []byte("images: []\n# a\n")})
	commit("main", "b", map[string][]byte{"docs/b.md": []byte("b\n")})
	c := commit("topic", "c", map[string][]byte{stagingPath: []byte("images: []\n# c\n")})
	d := commit("main", "d", map[string][]byte{"docs/d.md": []byte("d\n")})
	pr, _, err := gh.PullRequests.Create(ctx, owner, repo, &github.NewPullRequest{Title: github.String("c"), Head: github.String("topic"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	merge, err := s.MergeAsUser(pr.GetNumber(), "alice")
	if err != nil {
		t.Fatal(err)
	}

	list := func(opts *github.CommitsListOptions) ([]string, *github.Response) {
		t.Helper()
		got, resp, err := gh.Repositories.ListCommits(ctx, owner, repo, opts)
		if err != nil {
			t.Fatal(err)
		}
		var shas []string
		for _, rc := range got {
			shas = append(shas, rc.GetSHA())
		}
		return shas, resp
	}
	for _, tc := range []struct {
		name string
		opts github.CommitsListOptions
		want []string
	}{
		{"file", github.CommitsListOptions{SHA: "main", Path: stagingPath}, []string{c, a, seed}},
		{"leading slash", github.CommitsListOptions{Path: "/" + stagingPath}, []string{c, a, seed}},
		{"folder", github.CommitsListOptions{SHA: "main", Path: "apps/web/overlays"}, []string{c, a, seed}},
		{"page 2 of 1", github.CommitsListOptions{SHA: "main", Path: stagingPath, ListOptions: github.ListOptions{PerPage: 1, Page: 2}}, []string{a}},
		{"before the merge", github.CommitsListOptions{SHA: d, Path: stagingPath}, []string{a, seed}},
		{"never changed", github.CommitsListOptions{SHA: "main", Path: "nope.yaml"}, nil},
	} {
		got, _ := list(&tc.opts)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if all, _ := list(&github.CommitsListOptions{SHA: "main", ListOptions: github.ListOptions{PerPage: 100}}); len(all) != 6 || all[0] != merge {
		t.Errorf("without a path: %d commits from %s, want 6 from the merge %s", len(all), all[0], merge)
	}
	_, resp := list(&github.CommitsListOptions{SHA: "main", Path: stagingPath, ListOptions: github.ListOptions{PerPage: 1, Page: 2}})
	if resp.NextPage != 3 || resp.PrevPage != 1 {
		t.Errorf("page 2 links: next %d prev %d, want 3 and 1", resp.NextPage, resp.PrevPage)
	}
	_, resp = list(&github.CommitsListOptions{SHA: "main", Path: stagingPath, ListOptions: github.ListOptions{PerPage: 1, Page: 3}})
	if resp.NextPage != 0 {
		t.Errorf("last page: next %d, want none", resp.NextPage)
	}
}
