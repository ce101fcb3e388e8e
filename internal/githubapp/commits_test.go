package githubapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAgainstFakePathCommits(t *testing.T) {
	ctx := context.Background()
	s, c := fakeClient(t)
	const path = "apps/web/overlays/prod/release.yaml" // not in the seed
	// Five commits; the file changes in the 1st, 3rd and 5th.
	var changed []string
	for i := range 5 {
		files := map[string][]byte{fmt.Sprintf("notes/%d.txt", i): []byte("note\n")}
		if i%2 == 0 {
			files[path] = fmt.Appendf(nil, "images: []\n# change %d\n", i)
		}
		sha, err := s.Commit("main", fmt.Sprintf("commit %d", i), files)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			changed = append(changed, sha)
		}
	}
	slices.Reverse(changed) // newest first

	got, err := c.PathCommits(ctx, path, "main", 10)
	if err != nil {
		t.Fatal(err)
	}
	if shas := commitSHAs(got); !slices.Equal(shas, changed) {
		t.Fatalf("PathCommits = %q, want %q", shas, changed)
	}
	if got[0].Message != "commit 4" || got[0].Author != "developer" || got[0].Date.IsZero() {
		t.Errorf("newest commit = %+v, want commit 4 by developer, dated", got[0])
	}

	var two []Commit
	if n := calls(t, c, func() (err error) { two, err = c.PathCommits(ctx, path, "main", 2); return err }); n != 1 {
		t.Errorf("PathCommits with limit 2 made %d calls, want 1", n)
	}
	if shas := commitSHAs(two); !slices.Equal(shas, changed[:2]) {
		t.Errorf("PathCommits with limit 2 = %q, want %q", shas, changed[:2])
	}
	if none, err := c.PathCommits(ctx, "never/touched.yaml", "main", 10); err != nil || len(none) != 0 {
		t.Errorf("PathCommits of an untouched path = %v, %v; want none", none, err)
	}
	if _, err := c.PathCommits(ctx, path, "no-such-branch", 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("PathCommits on a missing branch: %v, want ErrNotFound", err)
	}
	if _, err := c.PathCommits(ctx, path, "main", 0); err == nil {
		t.Error("PathCommits with limit 0: no error")
	}
	checkCallsAgree(t, s, c)
}

// TestAgainstFakePathCommitsOfAMergedPR: GitHub's file history names the
// commit that changed the file on the pull request's branch, not the merge
// commit that brought it in.
func TestAgainstFakePathCommitsOfAMergedPR(t *testing.T) {
	ctx := context.Background()
	_, c := fakeClient(t)
	const path = "apps/web/overlays/staging/kustomization.yaml"
	main, err := c.Branch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	sha, _, err := c.CreateCommit(ctx, main, "Pin web in staging", map[string][]byte{path: []byte("images: []\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBranch(ctx, "stagehand/web/staging", sha); err != nil {
		t.Fatal(err)
	}
	pr, err := c.OpenPR(ctx, "stagehand/web/staging", "main", "Promote web to staging", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Merge(ctx, pr.Number, sha, "Promote web to staging (#1)"); err != nil {
		t.Fatal(err)
	}
	got, err := c.PathCommits(ctx, path, "main", 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("PathCommits = %v, %v", got, err)
	}
	if got[0].SHA != sha || got[0].Message != "Pin web in staging" || got[0].Author != "stagehand[bot]" {
		t.Errorf("PathCommits after the merge = %+v, want the branch commit %s by stagehand[bot]", got[0], sha)
	}
}

func TestPathCommitsFollowsPagesUpToLimit(t *testing.T) {
	s := newStub(t)
	commit := func(sha string) string {
		return fmt.Sprintf(`{"sha":%q,"commit":{"message":"m %s","author":{"name":"Ann","date":"2024-01-02T03:04:05Z"},"committer":{"name":"GitHub","date":"2024-01-02T03:04:05Z"}},"author":null}`, sha, sha)
	}
	s.handle("GET /repos/acme/config/commits", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("path") != "apps/web" || q.Get("sha") != "main" {
			t.Errorf("query %s, want path=apps/web and sha=main", r.URL.RawQuery)
		}
		// Two commits a page whatever per_page says, four pages in all.
		page := max(1, atoi(q.Get("page")))
		var link []string
		if page < 4 {
			link = []string{"Link", fmt.Sprintf(`<http://%s%s?page=%d>; rel="next"`, r.Host, r.URL.Path, page+1)}
		}
		reply(http.StatusOK, "["+commit(fmt.Sprintf("c%d", 2*page-1))+","+commit(fmt.Sprintf("c%d", 2*page))+"]", link...)(w, r)
	})
	c := s.client(t)
	got, err := c.PathCommits(context.Background(), "apps/web", "main", 5)
	if err != nil {
		t.Fatal(err)
	}
	if shas := commitSHAs(got); !slices.Equal(shas, []string{"c1", "c2", "c3", "c4", "c5"}) {
		t.Errorf("PathCommits = %q, want c1…c5", shas)
	}
	if want := (Commit{SHA: "c1", Message: "m c1", Author: "Ann", Date: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}); !got[0].Date.Equal(want.Date) ||
		got[0].SHA != want.SHA || got[0].Message != want.Message || got[0].Author != want.Author {
		t.Errorf("first commit = %+v, want %+v", got[0], want)
	}
	calls := s.recorded()
	if len(calls) != 3 || !strings.Contains(calls[0], "per_page=5") || !strings.Contains(calls[2], "page=3") {
		t.Errorf("calls = %q, want three pages of per_page=5", calls)
	}
}

func commitSHAs(cs []Commit) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.SHA)
	}
	return out
}

func atoi(s string) int {
	var n int
	_, _ = fmt.Sscan(s, &n)
	return n
}
