package config

import "testing"

func TestParseDashboard(t *testing.T) {
	if cfg := mustParse(t, validBase+"dashboard: issue\n"); cfg.Dashboard != DashboardIssue {
		t.Errorf("dashboard: issue gives %q", cfg.Dashboard)
	}
	if cfg := mustParse(t, validBase); cfg.Dashboard != "" {
		t.Errorf("no dashboard: gives %q, want none", cfg.Dashboard)
	}
	for name, c := range map[string]struct{ src, want string }{
		"misspelt": {"dashboard: issues\n", `c.yaml:14:12: dashboard: want "issue" (a promotions issue in this repository), found "issues"`},
		"a list":   {"dashboard: [issue]\n", `c.yaml:14:12: dashboard: want a string, found a list`},
		"a bool":   {"dashboard: true\n", `c.yaml:14:12: dashboard: want a string, found the boolean true; quote it: "true"`},
	} {
		t.Run(name, func(t *testing.T) { checkProblems(t, validBase+c.src, []string{c.want}) })
	}
}
