package githubapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// jsonEqual compares decoded JSON values.
func jsonEqual(got, want any) bool {
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	return string(g) == string(w)
}

const prJSON = `{"number":5,"html_url":"https://github.com/acme/config/pull/5","title":"Promote web","body":"b",
"state":"open","draft":false,"mergeable":true,"head":{"ref":"stagehand/web/staging","sha":"beef"},"base":{"ref":"main"},
"labels":[{"name":"stagehand"},{"name":"web"}],"merge_commit_sha":"testmerge"}`

func TestFindOpenPR(t *testing.T) {
	s := newStub(t)
	var empty atomic.Bool
	s.handle("GET /repos/acme/config/pulls", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != "open" || q.Get("head") != "acme:stagehand/web/staging" || q.Get("base") != "main" {
			t.Errorf("query = %v", q)
		}
		if empty.Load() {
			reply(http.StatusOK, `[]`)(w, r)
			return
		}
		reply(http.StatusOK, "["+prJSON+"]")(w, r)
	})
	c := s.client(t)

	pr, err := c.FindOpenPR(context.Background(), "stagehand/web/staging", "main")
	if err != nil {
		t.Fatal(err)
	}
	if pr == nil || pr.Number != 5 || pr.HeadSHA != "beef" {
		t.Errorf("FindOpenPR = %+v", pr)
	}
	empty.Store(true)
	pr, err = c.FindOpenPR(context.Background(), "stagehand/web/staging", "main")
	if pr != nil || err != nil {
		t.Errorf("FindOpenPR with none open = %+v, %v; want nil, nil", pr, err)
	}
}

func TestOpenPRsListsEveryPageWithoutForks(t *testing.T) {
	s := newStub(t)
	s.handle("GET /repos/acme/config/pulls", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != "open" || q.Get("base") != "main" || q.Get("head") != "" {
			t.Errorf("query = %v", q)
		}
		if q.Get("page") == "" {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?state=open&base=main&per_page=100&page=2>; rel="next"`, r.Host, r.URL.Path))
			reply(http.StatusOK, `[{"number":7,"head":{"ref":"stagehand/web/preprod","label":"acme:stagehand/web/preprod","sha":"cafe"},"base":{"ref":"main"}},
				{"number":6,"head":{"ref":"stagehand/web/staging","label":"mallory:stagehand/web/staging","sha":"bad"},"base":{"ref":"main"}}]`)(w, r)
			return
		}
		reply(http.StatusOK, "["+strings.Replace(prJSON, `"head":{`, `"head":{"label":"Acme:stagehand/web/staging",`, 1)+"]")(w, r)
	})
	c := s.client(t)

	prs, err := c.OpenPRs(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pr := range prs {
		got = append(got, fmt.Sprintf("#%d %s %s", pr.Number, pr.Head, pr.HeadSHA))
	}
	// #6 is from a fork's branch of the same name: not the repository's.
	if want := []string{"#7 stagehand/web/preprod cafe", "#5 stagehand/web/staging beef"}; !reflect.DeepEqual(got, want) {
		t.Errorf("OpenPRs = %q, want %q", got, want)
	}
	if c.Calls() != 2 {
		t.Errorf("Calls = %d, want 2 (two pages)", c.Calls())
	}
}

func TestPullRequestWrites(t *testing.T) {
	s := newStub(t)
	s.handle("POST /repos/acme/config/pulls", reply(http.StatusCreated, prJSON))
	s.handle("PATCH /repos/acme/config/pulls/5", reply(http.StatusOK, prJSON))
	s.handle("POST /repos/acme/config/issues/5/labels", reply(http.StatusOK, `[{"name":"stagehand"}]`))
	s.handle("POST /repos/acme/config/issues/5/comments", reply(http.StatusCreated, `{"id":1,"body":"hi"}`))
	c := s.client(t)
	ctx := context.Background()

	pr, err := c.OpenPR(ctx, "stagehand/web/staging", "main", "Promote web", "body")
	if err != nil || pr.Number != 5 {
		t.Fatalf("OpenPR = %+v, %v", pr, err)
	}
	want := map[string]any{"title": "Promote web", "head": "stagehand/web/staging", "base": "main", "body": "body"}
	if got := s.body(t, "POST /repos/acme/config/pulls"); !jsonEqual(got, want) {
		t.Errorf("create body = %v, want %v", got, want)
	}
	if err := c.UpdatePR(ctx, 5, "T2", "B2"); err != nil {
		t.Fatal(err)
	}
	if got := s.body(t, "PATCH /repos/acme/config/pulls/5"); !jsonEqual(got, map[string]any{"body": "B2", "title": "T2"}) {
		t.Errorf("update body = %v", got)
	}
	if err := c.ClosePR(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if got := s.body(t, "PATCH /repos/acme/config/pulls/5"); !jsonEqual(got, map[string]any{"state": "closed"}) {
		t.Errorf("close body = %v", got)
	}
	if err := c.AddLabels(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if err := c.AddLabels(ctx, 5, "stagehand", "web"); err != nil {
		t.Fatal(err)
	}
	if got := s.json(t, "POST /repos/acme/config/issues/5/labels"); !jsonEqual(got, []string{"stagehand", "web"}) {
		t.Errorf("labels body = %v", got)
	}
	if err := c.Comment(ctx, 5, "hi"); err != nil {
		t.Fatal(err)
	}
	if got := s.body(t, "POST /repos/acme/config/issues/5/comments"); !jsonEqual(got, map[string]any{"body": "hi"}) {
		t.Errorf("comment body = %v", got)
	}
	if c.Calls() != 5 {
		t.Errorf("Calls = %d, want 5 (AddLabels without labels makes none)", c.Calls())
	}
}

func TestMergePinsHeadSHA(t *testing.T) {
	s := newStub(t)
	s.handle("PUT /repos/acme/config/pulls/5/merge", reply(http.StatusOK, `{"sha":"m3rge","merged":true,"message":"Pull Request successfully merged"}`))
	c := s.client(t)

	sha, err := c.Merge(context.Background(), 5, "beef", "Promote web to staging (#5)")
	if err != nil || sha != "m3rge" {
		t.Fatalf("Merge = %q, %v", sha, err)
	}
	want := map[string]any{"commit_title": "Promote web to staging (#5)", "merge_method": "merge", "sha": "beef"}
	if got := s.body(t, "PUT /repos/acme/config/pulls/5/merge"); !jsonEqual(got, want) {
		t.Errorf("merge body = %v, want %v", got, want)
	}
	if _, err := c.Merge(context.Background(), 5, "", "t"); err == nil {
		t.Error("Merge without a head SHA succeeded")
	}
	if c.Calls() != 1 {
		t.Errorf("Calls = %d, want 1", c.Calls())
	}
}

func TestToPullRequest(t *testing.T) {
	merged := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	no := false
	tests := []struct {
		name string
		in   *github.PullRequest
		want PullRequest
	}{
		{"empty", &github.PullRequest{}, PullRequest{}},
		{"open, merge sha not yet meaningful", &github.PullRequest{
			Number: github.Int(5), HTMLURL: github.String("u"), Title: github.String("t"), Body: github.String("b"),
			State: github.String("open"), Draft: github.Bool(true), Mergeable: &no,
			Head:           &github.PullRequestBranch{Ref: github.String("h"), SHA: github.String("hs")},
			Base:           &github.PullRequestBranch{Ref: github.String("main")},
			Labels:         []*github.Label{{Name: github.String("a")}, {Name: github.String("b")}},
			MergeCommitSHA: github.String("testmerge"),
		}, PullRequest{Number: 5, URL: "u", Title: "t", Body: "b", State: "open", Draft: true, Mergeable: &no,
			Head: "h", HeadSHA: "hs", Base: "main", Labels: []string{"a", "b"}}},
		{"merged, as a list reports it", &github.PullRequest{
			State: github.String("closed"), MergedAt: &github.Timestamp{Time: merged},
			MergedBy: &github.User{Login: github.String("stagehand[bot]")}, MergeCommitSHA: github.String("m"),
		}, PullRequest{State: "closed", Merged: true, MergedAt: merged, MergedBy: "stagehand[bot]", MergeSHA: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toPullRequest(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("toPullRequest = %+v, want %+v", got, tt.want)
			}
		})
	}
}
