package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// graphFile is a config whose stages are given as "name" or
// "name after a b" (after: [a, b]), with an app that has a path for each.
// A stage takes two lines (name, mode), three with after:.
func graphFile(stages ...string) string {
	var b strings.Builder
	b.WriteString("stages:\n")
	var names []string
	for _, s := range stages {
		f := strings.Fields(s)
		names = append(names, f[0])
		fmt.Fprintf(&b, "  - name: %s\n    mode: auto-merge\n", f[0])
		if len(f) > 1 {
			fmt.Fprintf(&b, "    after: [%s]\n", strings.Join(f[2:], ", "))
		}
	}
	b.WriteString("apps:\n  - name: web\n    image: ghcr.io/acme/web\n    tags: {semver: \">=1.0.0\"}\n    stages:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "      %s: apps/web/%s\n", n, n)
	}
	return b.String()
}

// fanOut is the pipeline: staging → preprod → {prod-eu, prod-us}
// → global.
var fanOut = graphFile("staging", "preprod", "prod-eu after preprod", "prod-us after preprod", "global after prod-eu prod-us")

func TestGraph(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(fanOut))
	if err != nil {
		t.Fatal(err)
	}
	names := func(ss []Stage) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct{ stage, prev, next string }{
		{"staging", "", "preprod"},
		{"preprod", "staging", "prod-eu prod-us"},
		{"prod-eu", "preprod", "global"},
		{"prod-us", "preprod", "global"},
		{"global", "prod-eu prod-us", ""},
		{"nowhere", "", ""},
	} {
		if got := names(cfg.Prev(tc.stage)); got != tc.prev {
			t.Errorf("Prev(%s) = %q, want %q", tc.stage, got, tc.prev)
		}
		if got := names(cfg.Next(tc.stage)); got != tc.next {
			t.Errorf("Next(%s) = %q, want %q", tc.stage, got, tc.next)
		}
	}
}

// TestGraphMixed: a stage without after: follows the stage above it, also
// among stages that have one, and after: may name a stage further down.
func TestGraphMixed(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(graphFile("staging", "eu after staging", "eu-canary", "us after staging", "global after eu-canary us")))
	if err != nil {
		t.Fatal(err)
	}
	for stage, want := range map[string][]string{"staging": nil, "eu": {"staging"}, "eu-canary": {"eu"}, "us": {"staging"}, "global": {"eu-canary", "us"}} {
		if st, _ := cfg.Stage(stage); !slices.Equal(st.After, want) {
			t.Errorf("%s.After = %v, want %v", stage, st.After, want)
		}
	}
	cfg, err = Parse("c.yaml", []byte(graphFile("staging", "global after prod", "prod after staging")))
	if err != nil {
		t.Fatal(err)
	}
	if n := cfg.Next("prod"); len(n) != 1 || n[0].Name != "global" {
		t.Errorf("Next(prod) = %v, want global, listed above it", n)
	}
}

// badGraphs are the graph's mistakes. In graphFile, stage i (from 0)
// starts at line 2+2i plus one line per earlier stage with after:.
var badGraphs = []badFile{
	{"unknown stage", graphFile("staging", "prod after stagin"), []string{
		`c.yaml:6:13: after: there is no stage "stagin"; did you mean staging? stages are staging, prod`,
	}},
	{"self", graphFile("staging", "prod after prod"), []string{
		"c.yaml:6:13: after: prod cannot follow itself",
	}},
	{"repeated", graphFile("staging", "prod after staging staging"), []string{
		"c.yaml:6:22: after: staging is already listed (line 6)",
	}},
	{"empty", graphFile("staging", "prod after"), []string{
		"c.yaml:6:12: after: is empty; name the stage(s) prod follows, or leave after: out to follow the stage above it",
	}},
	{"first stage", graphFile("staging after prod", "prod"), []string{
		"c.yaml:4:12: after: staging is the first stage, where images enter, so it follows no stage; list the stage it should follow above it",
	}},
	{"cycle", graphFile("staging", "preprod", "prod-eu after prod-us", "prod-us after prod-eu"), []string{
		"c.yaml:8:12: after: the stages form a cycle, prod-eu → prod-us → prod-eu; images could never enter it from staging",
	}},
	{"cycle through three, and what follows it", graphFile("staging", "a after c", "b after a", "c after b", "d"), []string{
		"c.yaml:6:12: after: the stages form a cycle, a → b → c → a; images could never enter it from staging",
		"c.yaml:13:11: stage d cannot be reached from staging, where images enter: every stage it follows comes after a cycle",
	}},
	{"not a list", strings.Replace(graphFile("staging", "prod after staging"), "[staging]", "staging", 1), []string{
		"c.yaml:6:12: after: want a list (- item lines), found the string \"staging\"",
	}},
	{"reserved name", graphFile("staging", "all"), []string{
		`c.yaml:4:11: name: "all" is reserved: ` + "`/promote <app> to all`" + ` means every stage that follows; name the stage otherwise`,
	}},
}

func TestGraphProblems(t *testing.T) {
	for _, tc := range badGraphs {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.src, tc.want)
		})
	}
}

func TestOutline(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string
	}{
		{validBase, []string{"stages: staging → prod"}},
		{graphFile("staging", "prod after staging", "dr"), []string{"stages: staging → prod → dr"}},
		{fanOut, []string{
			"stages: staging → preprod",
			"stages: preprod → prod-eu, prod-us",
			"stages: prod-eu → global",
			"stages: prod-us → global",
			"stages: global takes an image only once prod-eu, prod-us all run it",
		}},
	} {
		cfg, err := Parse("c.yaml", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Outline(); !slices.Equal(got, tc.want) {
			t.Errorf("Outline() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}
