package githubfake

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// TestGHInstallation: the transport stagehand's client uses gets its
// token from the fake (a JSON null body, a JWT it signs itself) and the
// requests it authenticates go through.
func TestGHInstallation(t *testing.T) {
	var logged []string
	var mu sync.Mutex
	opts := seededOptions(t)
	opts.Logf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(format, args...))
	}
	s := NewTest(t, opts)
	atr := ghinstallation.NewAppsTransportFromPrivateKey(http.DefaultTransport, s.opts.AppID, appKey(t))
	tr := ghinstallation.NewFromAppsTransport(atr, s.InstallationID())
	tr.BaseURL = strings.TrimSuffix(s.URL(), "/") + "/api/v3"
	gh := enterprise(t, github.NewClient(&http.Client{Transport: tr}), s)
	if _, _, err := gh.PullRequests.List(context.Background(), s.Owner(), s.Repo(), nil); err != nil {
		t.Fatal(err)
	}
	if calls := s.Calls(); calls["apps/create-installation-access-token"] != 1 || calls["pulls/list"] != 1 {
		t.Errorf("calls %v", calls)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 2 || !strings.Contains(logged[1], "GET /api/v3/repos/acme/config/pulls") {
		t.Errorf("log: %q", logged)
	}
}

// TestConcurrentRequests: parallel writers on their own branches and
// readers, all served consistently (run with -race).
func TestConcurrentRequests(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	owner, repo := s.Owner(), s.Repo()
	head, _ := s.Head("main")
	main, _, err := gh.Repositories.GetBranch(ctx, owner, repo, "main", 0)
	if err != nil {
		t.Fatal(err)
	}
	base := main.GetCommit().GetCommit().GetTree().GetSHA()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("apps/app-%d/kustomization.yaml", i)
			tr, _, err := gh.Git.CreateTree(ctx, owner, repo, base, []*github.TreeEntry{{Path: github.String(path), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String(path)}})
			if err != nil {
				errs <- err
				return
			}
			cm, _, err := gh.Git.CreateCommit(ctx, owner, repo, &github.Commit{Message: github.String(path), Tree: tr, Parents: []*github.Commit{{SHA: github.String(head)}}}, nil)
			if err != nil {
				errs <- err
				return
			}
			branch := fmt.Sprintf("refs/heads/b%d", i)
			if _, _, err := gh.Git.CreateRef(ctx, owner, repo, &github.Reference{Ref: github.String(branch), Object: &github.GitObject{SHA: cm.SHA}}); err != nil {
				errs <- err
				return
			}
			if got, err := s.FileAt(branch[len("refs/heads/"):], path); err != nil || string(got) != path {
				errs <- fmt.Errorf("%s: %q %v", path, got, err)
			}
			if _, _, _, err := gh.Repositories.GetContents(ctx, owner, repo, stagingPath, nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(s.Branches()); n != 7 {
		t.Errorf("%d branches, want 7", n)
	}
}
