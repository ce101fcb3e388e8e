package githubfake

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestDeployments: a deployment of a commit with its statuses, listed by
// environment and SHA, as GitHub's Environments view shows them; a newer
// success makes the older deployment of the environment inactive.
func TestDeployments(t *testing.T) {
	ctx := context.Background()
	s := NewTest(t, seededOptions(t))
	gh, _ := installationClient(t, s)
	head, err := s.Head("main")
	if err != nil {
		t.Fatal(err)
	}
	create := func(env string) *github.Deployment {
		t.Helper()
		d, _, err := gh.Repositories.CreateDeployment(ctx, s.Owner(), s.Repo(), &github.DeploymentRequest{
			Ref: github.String(head), Environment: github.String(env), AutoMerge: github.Bool(false), RequiredContexts: &[]string{},
			Payload: map[string]any{"app": "web", "tag": "1.0.0"}, Description: github.String("web 1.0.0"),
		})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := create("staging")
	if first.GetSHA() != head || first.GetEnvironment() != "staging" || first.Payload == nil {
		t.Fatalf("deployment %+v", first)
	}
	for _, state := range []string{"in_progress", "success"} {
		if _, _, err := gh.Repositories.CreateDeploymentStatus(ctx, s.Owner(), s.Repo(), first.GetID(), &github.DeploymentStatusRequest{
			State: github.String(state), Description: github.String("health " + state), LogURL: github.String("https://argo.example/web"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	second := create("staging")
	if _, _, err := gh.Repositories.CreateDeploymentStatus(ctx, s.Owner(), s.Repo(), second.GetID(), &github.DeploymentStatusRequest{State: github.String("success")}); err != nil {
		t.Fatal(err)
	}
	list, _, err := gh.Repositories.ListDeployments(ctx, s.Owner(), s.Repo(), &github.DeploymentsListOptions{Environment: "staging", SHA: head})
	if err != nil || len(list) != 2 || list[0].GetID() != second.GetID() {
		t.Fatalf("list: %v %v", list, err)
	}
	sts, _, err := gh.Repositories.ListDeploymentStatuses(ctx, s.Owner(), s.Repo(), first.GetID(), nil)
	if err != nil || len(sts) != 3 || sts[0].GetState() != "inactive" || sts[1].GetState() != "success" || sts[2].GetState() != "in_progress" {
		t.Fatalf("statuses of the first, newest first: %v %v", sts, err)
	}
	if got := s.Deployments(); len(got) != 2 || got[0].Payload["app"] != "web" || len(got[0].Statuses) != 3 {
		t.Errorf("Deployments() = %+v", got)
	}
	_, resp, _ := gh.Repositories.CreateDeploymentStatus(ctx, s.Owner(), s.Repo(), 999999, &github.DeploymentStatusRequest{State: github.String("success")})
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("status of no deployment: %v", resp)
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}
