package config

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Dashboard is where stagehand keeps the matrix of apps and stages in the
// config repository itself.
type Dashboard string

// DashboardIssue: one issue, kept current, with a checkbox per possible
// promotion.
const DashboardIssue Dashboard = "issue"

// dashboard reads `dashboard: issue`.
func (p *parser) dashboard(n *yaml.Node) Dashboard {
	s, ok := p.str(n, "dashboard")
	if !ok {
		return ""
	}
	if Dashboard(s) != DashboardIssue {
		p.addf(n, "dashboard: want %q (a promotions issue in this repository), found %q", DashboardIssue, s)
		return ""
	}
	return DashboardIssue
}
