package main

// operation is one REST operation kept in the subset, named by path and
// method exactly as GitHub's description spells them.
type operation struct {
	Path, Method string
}

// operations are the calls stagehand's GitHub client makes (and the fake
// serves). Keep in step with the route table in ../routes.go; a test there
// checks that both name the same operations.
var operations = []operation{
	{"/app/installations/{installation_id}/access_tokens", "post"},
	{"/repos/{owner}/{repo}/installation", "get"},
	{"/app/installations", "get"},
	{"/installation/repositories", "get"},
	{"/app-manifests/{code}/conversions", "post"},

	{"/repos/{owner}/{repo}", "get"},
	{"/repos/{owner}/{repo}/branches/{branch}", "get"},
	{"/repos/{owner}/{repo}/contents/{path}", "get"},
	{"/repos/{owner}/{repo}/commits", "get"},
	{"/repos/{owner}/{repo}/commits/{ref}", "get"},
	{"/repos/{owner}/{repo}/commits/{commit_sha}/pulls", "get"},
	{"/repos/{owner}/{repo}/compare/{basehead}", "get"},

	{"/repos/{owner}/{repo}/git/blobs", "post"},
	{"/repos/{owner}/{repo}/git/trees", "post"},
	{"/repos/{owner}/{repo}/git/commits", "post"},
	{"/repos/{owner}/{repo}/git/ref/{ref}", "get"},
	{"/repos/{owner}/{repo}/git/refs", "post"},
	{"/repos/{owner}/{repo}/git/refs/{ref}", "patch"},
	{"/repos/{owner}/{repo}/git/refs/{ref}", "delete"},

	{"/repos/{owner}/{repo}/pulls", "get"},
	{"/repos/{owner}/{repo}/pulls", "post"},
	{"/repos/{owner}/{repo}/pulls/{pull_number}", "get"},
	{"/repos/{owner}/{repo}/pulls/{pull_number}", "patch"},
	{"/repos/{owner}/{repo}/pulls/{pull_number}/merge", "put"},
	{"/repos/{owner}/{repo}/pulls/{pull_number}/files", "get"},

	{"/repos/{owner}/{repo}/issues", "get"},
	{"/repos/{owner}/{repo}/issues", "post"},
	{"/repos/{owner}/{repo}/issues/{issue_number}", "patch"},
	{"/repos/{owner}/{repo}/issues/{issue_number}/labels", "post"},
	{"/repos/{owner}/{repo}/issues/{issue_number}/comments", "post"},
	{"/repos/{owner}/{repo}/issues/{issue_number}/comments", "get"},
	{"/repos/{owner}/{repo}/issues/comments/{comment_id}", "patch"},
	{"/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", "post"},

	{"/repos/{owner}/{repo}/collaborators/{username}/permission", "get"},
	{"/orgs/{org}/teams/{team_slug}/memberships/{username}", "get"},

	{"/user", "get"},

	{"/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks", "get"},
	{"/repos/{owner}/{repo}/commits/{ref}/status", "get"},
	{"/repos/{owner}/{repo}/commits/{ref}/check-runs", "get"},
	{"/repos/{owner}/{repo}/check-runs", "post"},
	{"/repos/{owner}/{repo}/check-runs/{check_run_id}", "patch"},
	{"/repos/{owner}/{repo}/statuses/{sha}", "post"},

	{"/repos/{owner}/{repo}/deployments", "post"},
	{"/repos/{owner}/{repo}/deployments", "get"},
	{"/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", "post"},
	{"/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", "get"},
}
