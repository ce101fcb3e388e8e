package githubfake

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// handlers maps each served operationId to its handler. Every operation in
// the embedded description has one (a test checks).
var handlers = map[string]handler{
	"apps/create-installation-access-token":      (*Server).createInstallationToken,
	"apps/get-repo-installation":                 (*Server).getRepoInstallation,
	"apps/list-installations":                    (*Server).listInstallations,
	"apps/list-repos-accessible-to-installation": (*Server).listInstallationRepos,
	"apps/create-from-manifest":                  (*Server).createFromManifest,

	"repos/get":             (*Server).getRepo,
	"repos/get-branch":      (*Server).getBranch,
	"repos/get-content":     (*Server).getContent,
	"repos/list-commits":    (*Server).listCommits,
	"repos/get-commit":      (*Server).getCommit,
	"git/create-blob":       (*Server).createBlob,
	"git/create-tree":       (*Server).createTree,
	"git/create-commit":     (*Server).createCommit,
	"git/get-ref":           (*Server).getRef,
	"git/create-ref":        (*Server).createRef,
	"git/update-ref":        (*Server).updateRef,
	"git/delete-ref":        (*Server).deleteRef,
	"pulls/list":            (*Server).listPulls,
	"pulls/create":          (*Server).createPull,
	"pulls/get":             (*Server).getPull,
	"pulls/update":          (*Server).updatePull,
	"pulls/merge":           (*Server).mergePull,
	"pulls/list-files":      (*Server).listPullFiles,
	"issues/list-for-repo":  (*Server).listIssues,
	"issues/create":         (*Server).createIssue,
	"issues/update":         (*Server).updateIssue,
	"issues/add-labels":     (*Server).addLabels,
	"issues/create-comment": (*Server).createComment,
	"issues/list-comments":  (*Server).listComments,
	"issues/update-comment": (*Server).updateComment,

	"reactions/create-for-issue-comment":      (*Server).createCommentReaction,
	"repos/get-collaborator-permission-level": (*Server).getCollaboratorPermission,
	"teams/get-membership-for-user-in-org":    (*Server).getTeamMembership,
	"users/get-authenticated":                 (*Server).getAuthenticatedUser,

	"repos/get-status-checks-protection": (*Server).getStatusChecksProtection,
	"repos/get-combined-status-for-ref":  (*Server).getCombinedStatus,
	"checks/list-for-ref":                (*Server).listCheckRuns,
	"checks/create":                      (*Server).createCheckRun,
	"checks/update":                      (*Server).updateCheckRun,

	"repos/list-pull-requests-associated-with-commit": (*Server).listCommitPulls,
	"repos/compare-commits-with-basehead":             (*Server).compareCommits,
	"repos/create-commit-status":                      (*Server).createCommitStatus,

	"repos/create-deployment":        (*Server).createDeployment,
	"repos/list-deployments":         (*Server).listDeployments,
	"repos/create-deployment-status": (*Server).createDeploymentStatus,
	"repos/list-deployment-statuses": (*Server).listDeploymentStatuses,
}

// route is one operation of the description, matched against the escaped
// request path. Parameters GitHub marks x-multi-segment (branch, ref, sha,
// path) may span slashes, as GitHub accepts them.
type route struct {
	Method   string // upper case
	Path     string // template as in the description
	OpID     string
	re       *regexp.Regexp
	names    []string
	literals int
}

// buildRoutes derives the route table from the description, most specific
// (most literal segments) first, so /commits/{ref}/status wins over
// /commits/{ref} with a ref of "x/status".
func buildRoutes(doc *openapi3.T) ([]route, error) {
	var out []route
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			if _, ok := handlers[op.OperationID]; !ok {
				return nil, fmt.Errorf("no handler for %s %s (%s)", method, path, op.OperationID)
			}
			multi := map[string]bool{}
			for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range params {
					if p.Value != nil && p.Value.In == openapi3.ParameterInPath && p.Value.Extensions["x-multi-segment"] == true {
						multi[p.Value.Name] = true
					}
				}
			}
			r := route{Method: method, Path: path, OpID: op.OperationID}
			var pat strings.Builder
			pat.WriteString("^")
			for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
				pat.WriteString("/")
				if name, ok := strings.CutPrefix(seg, "{"); ok && strings.HasSuffix(name, "}") {
					name = strings.TrimSuffix(name, "}")
					r.names = append(r.names, name)
					if multi[name] {
						pat.WriteString("(.+)")
					} else {
						pat.WriteString("([^/]+)")
					}
					continue
				}
				r.literals++
				pat.WriteString(regexp.QuoteMeta(seg))
			}
			pat.WriteString("$")
			r.re = regexp.MustCompile(pat.String())
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].literals > out[j].literals })
	return out, nil
}

// match finds the route for method and an escaped path; params come back
// unescaped.
func match(routes []route, method, escapedPath string) (*route, map[string]string, bool) {
	for i := range routes {
		r := &routes[i]
		if r.Method != method {
			continue
		}
		m := r.re.FindStringSubmatch(escapedPath)
		if m == nil {
			continue
		}
		params := make(map[string]string, len(r.names))
		ok := true
		for k, name := range r.names {
			v, err := url.PathUnescape(m[k+1])
			if err != nil {
				ok = false
				break
			}
			params[name] = v
		}
		if ok {
			return r, params, true
		}
	}
	return nil, nil, false
}

// specPath renders a route's template with params escaped segment-wise, the
// form kin-openapi's router matches (one segment per parameter).
func (r *route) specPath(params map[string]string) string {
	out := r.Path
	for _, name := range r.names {
		out = strings.Replace(out, "{"+name+"}", url.PathEscape(params[name]), 1)
	}
	return out
}
