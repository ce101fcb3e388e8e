package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestDeployments(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, ok, err := s.LastDeployment(ctx, "web", "staging"); ok || err != nil {
			t.Fatalf("no deployment yet: %v %v", ok, err)
		}
		d := Deployment{App: "web", Stage: "staging", PR: 3, Tag: "1.0.0", Digest: "sha256:aa", MergeSHA: "abc",
			State: DeployVerifying, MergedAt: at, Deadline: at.Add(20 * time.Minute)}
		for i, want := range []bool{true, false} { // a merge heard twice is one deployment
			added, err := s.StartDeployment(ctx, d)
			if err != nil || added != want {
				t.Fatalf("start #%d: added %v, %v; want %v", i, added, err, want)
			}
		}
		if err := s.SetGitHubDeployment(ctx, "web", "staging", 3, 77); err != nil {
			t.Fatal(err)
		}
		other := Deployment{App: "web", Stage: "prod", PR: 4, Digest: "sha256:bb", State: DeployDone, MergedAt: at}
		if _, err := s.StartDeployment(ctx, other); err != nil {
			t.Fatal(err)
		}
		v, err := s.Verifying(ctx)
		if err != nil || len(v) != 1 || v[0].PR != 3 || v[0].GitHubID != 77 || !v[0].Deadline.Equal(d.Deadline) {
			t.Fatalf("verifying = %+v, %v; want staging's PR #3 with deployment 77", v, err)
		}
		failed := d
		failed.State, failed.DoneAt, failed.Context, failed.TargetURL, failed.Description = DeployFailed, at.Add(time.Minute), "health", "https://argo/x", "degraded"
		for i, want := range []bool{true, false} { // settled once, whoever comes second
			ok, err := s.SettleDeployment(ctx, failed)
			if err != nil || ok != want {
				t.Fatalf("settle #%d: %v, %v; want %v", i, ok, err, want)
			}
		}
		got, ok, err := s.LastDeployment(ctx, "web", "staging")
		failed.GitHubID = 77
		if err != nil || !ok || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", failed) {
			t.Fatalf("last = %+v %v %v\nwant %+v", got, ok, err, failed)
		}
		if v, err := s.Verifying(ctx); err != nil || len(v) != 0 {
			t.Fatalf("verifying after settling = %+v, %v", v, err)
		}
		for _, app := range []string{"web", "api"} {
			if _, err := s.StartDeployment(ctx, Deployment{App: app, Stage: "staging", PR: 9, Group: "shop", State: DeployVerifying, MergedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		g, err := s.GroupDeployments(ctx, "shop", "staging", 9)
		if err != nil || len(g) != 2 || g[0].App != "api" || g[1].App != "web" {
			t.Fatalf("group's deployments = %+v, %v", g, err)
		}
		// The newest of each app and stage, in one list: web/staging's
		// PR #9 came after #3.
		last, err := s.LastDeployments(ctx)
		if err != nil || len(last) != 3 {
			t.Fatalf("LastDeployments = %+v %v, want api/staging, web/prod, web/staging", last, err)
		}
		for _, d := range last {
			one, _, _ := s.LastDeployment(ctx, d.App, d.Stage)
			if fmt.Sprintf("%+v", one) != fmt.Sprintf("%+v", d) {
				t.Errorf("LastDeployments has %+v for %s/%s, LastDeployment %+v", d, d.App, d.Stage, one)
			}
		}
	})
}
