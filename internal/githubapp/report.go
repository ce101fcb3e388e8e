package githubapp

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
)

// ConfigCheck is the name of the check run that says whether the config
// repository's .stagehand.yaml (and the files it names) can be used.
const ConfigCheck = "stagehand/config"

// maxAnnotations is what GitHub takes in one check run request.
const maxAnnotations = 50

// problemRE reads "file:line:col: message" and "file:line: message".
var problemRE = regexp.MustCompile(`^([^\s:]+):(\d+)(?::(\d+))?:\s*(.*)$`)

// ConfigBroken reports problems on commit sha as a failing check run, each
// problem that names a file and line as an annotation there, so that the
// person whose commit broke the config sees it on the commit and its PR.
// It needs the App's "Checks: write" permission.
func (c *Client) ConfigBroken(ctx context.Context, sha string, problems []string) error {
	var anns []*github.CheckRunAnnotation
	for _, p := range problems {
		m := problemRE.FindStringSubmatch(p)
		if m == nil || len(anns) == maxAnnotations {
			continue
		}
		line, _ := strconv.Atoi(m[2])
		anns = append(anns, &github.CheckRunAnnotation{Path: github.String(m[1]), StartLine: github.Int(line), EndLine: github.Int(line),
			AnnotationLevel: github.String("failure"), Message: github.String(m[4])})
	}
	summary := "stagehand cannot use the configuration at this commit, so it changes nothing (pushes wait until it is fixed):\n\n```\n" +
		strings.Join(problems, "\n") + "\n```\n\nCheck a checkout with `stagehand validate`."
	_, _, err := c.gh.Checks.CreateCheckRun(ctx, c.owner, c.name, github.CreateCheckRunOptions{
		Name: ConfigCheck, HeadSHA: sha, Status: github.String("completed"), Conclusion: github.String("failure"),
		Output: &github.CheckRunOutput{Title: github.String(".stagehand.yaml cannot be used"), Summary: github.String(clip(summary, 65000)), Annotations: anns},
	})
	if err != nil {
		return wrap(fmt.Sprintf("report the config broken on %s", sha), err, nil)
	}
	return nil
}

// ConfigFixed reports commit sha's config fine, after a broken one.
func (c *Client) ConfigFixed(ctx context.Context, sha string) error {
	_, _, err := c.gh.Checks.CreateCheckRun(ctx, c.owner, c.name, github.CreateCheckRunOptions{
		Name: ConfigCheck, HeadSHA: sha, Status: github.String("completed"), Conclusion: github.String("success"),
		Output: &github.CheckRunOutput{Title: github.String(".stagehand.yaml is valid"), Summary: github.String("stagehand reads the configuration at this commit and acts on it again.")},
	})
	if err != nil {
		return wrap(fmt.Sprintf("report the config fixed on %s", sha), err, nil)
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
