package config

import (
	"errors"
	"strings"
	"testing"
)

// validBase is the smallest good file; the bad files below each change it
// in one place, so the line numbers here hold for them:
//
//	 1 stages:
//	 2   - name: staging
//	 3     mode: auto-merge
//	 4   - name: prod
//	 5     mode: manual
//	 6 apps:
//	 7   - name: web
//	 8     image: ghcr.io/acme/web
//	 9     tags:
//	10       semver: ">=1.0.0"
//	11     stages:
//	12       staging: apps/web/staging
//	13       prod: apps/web/prod
const validBase = `stages:
  - name: staging
    mode: auto-merge
  - name: prod
    mode: manual
apps:
  - name: web
    image: ghcr.io/acme/web
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/web/staging
      prod: apps/web/prod
`

// secondApp follows validBase from line 14 on.
const secondApp = `  - name: api
    image: ghcr.io/acme/api
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/api/staging
      prod: apps/api/prod
`

// edit returns validBase with old replaced by new, once.
func edit(old, new string) string {
	if !strings.Contains(validBase, old) {
		panic("edit: " + old + " is not in validBase")
	}
	return strings.Replace(validBase, old, new, 1)
}

type badFile struct {
	name string
	src  string
	want []string // Error() lines
}

// badFiles has one file per rule, with every problem it must report.
var badFiles = []badFile{
	// YAML itself.
	{"syntax", edit("  - name: prod\n", "  - name: prod: x\n"), []string{
		"c.yaml:4: YAML syntax: mapping values are not allowed in this context",
	}},
	{"tab indentation", edit("    mode: manual\n", "\tmode: manual\n"), []string{
		// The parser names the line of the mapping the tab breaks.
		"c.yaml:4: YAML syntax: found a tab character that violates indentation",
	}},
	{"empty file", "# nothing yet\n", []string{
		"c.yaml:1: the file is empty; it needs stages: and apps:",
	}},
	{"second document", validBase + "---\nstages: []\n", []string{
		"c.yaml:14:1: a second YAML document; keep the whole config in one (remove the ---)",
	}},
	{"root is a list", "- stages\n- apps\n", []string{
		"c.yaml:1:1: the file must be a mapping with stages: and apps:, found a list",
	}},
	{"alias", edit("    stages:\n", "    stages: &paths\n") + `  - name: api
    image: ghcr.io/acme/api
    tags: {semver: ">=1.0.0"}
    stages: *paths
`, []string{
		"c.yaml:17:13: stages: aliases (*paths) are not supported; write the value out",
	}},
	{"repeated key", edit("    mode: manual\n", "    mode: manual\n    mode: auto-merge\n"), []string{
		`c.yaml:6:5: stage "prod": key "mode" is repeated (first at line 5); keep one`,
	}},

	// Keys.
	{"unknown top-level key", edit("apps:\n", "app:\n"), []string{
		"c.yaml:1:1: the file lacks apps:",
		`c.yaml:6:1: unknown key "app" in the file; did you mean apps? allowed keys are stages, apps, groups, notify`,
	}},
	{"unknown stage key", edit("    mode: manual\n", "    mdoe: manual\n"), []string{
		`c.yaml:4:5: stage "prod" lacks mode:`,
		`c.yaml:5:5: unknown key "mdoe" in stage "prod"; did you mean mode? allowed keys are name, mode, after, soak, approvers, verify, verify_timeout, on_failure, windows`,
	}},
	{"unknown app key", edit("    image: ghcr.io/acme/web\n", "    image: ghcr.io/acme/web\n    registry: ghcr.io\n"), []string{
		`c.yaml:9:5: unknown key "registry" in app "web"; allowed keys are name, image, tags, stages`,
	}},
	{"unknown tags key", edit(`      semver: ">=1.0.0"`, `      regex: ".*"`), []string{
		`c.yaml:10:7: unknown key "regex" in tags; allowed keys are semver, pattern`,
		`c.yaml:10:7: tags: give semver: (a version range such as ">=1.0.0") or pattern: (a regular expression such as '^main-[0-9a-f]{7}$')`,
	}},

	// Required fields and types.
	{"missing image", edit("    image: ghcr.io/acme/web\n", ""), []string{
		`c.yaml:7:5: app "web" lacks image:`,
	}},
	{"missing stages", "apps: []\n", []string{
		"c.yaml:1:1: the file lacks stages:",
	}},
	{"empty value", edit("    image: ghcr.io/acme/web\n", "    image:\n"), []string{
		"c.yaml:8:11: image: missing value; want a string",
	}},
	{"list where a mapping is expected", edit("    tags:\n      semver:", "    tags:\n      - semver:"), []string{
		"c.yaml:10:7: tags: want a mapping (key: value lines), found a list",
	}},
	{"mapping where a list is expected", "stages:\n  name: staging\n  mode: manual\napps: []\n", []string{
		"c.yaml:2:3: stages: want a list (- item lines), found a mapping",
	}},
	{"number where a string is expected", edit("  - name: web\n", "  - name: 42\n"), []string{
		`c.yaml:7:11: name: want a string, found the number 42; quote it: "42"`,
	}},
	{"stage is not a mapping", edit("  - name: prod\n    mode: manual\n", "  - prod\n"), []string{
		`c.yaml:4:5: stage 2: want a mapping (key: value lines), found the string "prod"`,
	}},

	// Stages.
	{"empty stages", "stages: []\napps: []\n", []string{
		"c.yaml:1:9: stages: is empty; list at least one stage, first to last",
	}},
	{"duplicate stage", edit("  - name: prod\n", "  - name: staging\n"), []string{
		`c.yaml:4:11: name: "staging" is already a stage (line 2); stage names are unique`,
	}},
	{"unknown mode", edit("mode: auto-merge", "mode: automerge"), []string{
		`c.yaml:3:11: mode: "automerge" is not a mode; use auto-merge, pull-request or manual`,
	}},
	{"bad stage name", edit("name: prod", "name: Prod_EU"), []string{
		`c.yaml:4:11: name: "Prod_EU" is not a valid name; use lower-case letters, digits and inner dashes (it becomes part of the branch stagehand/<app>/<stage>); try "prod-eu"`,
	}},
	{"soak without unit", edit("    mode: manual\n", "    mode: manual\n    soak: 30\n"), []string{
		"c.yaml:6:11: soak: 30 has no unit; write a duration such as 30m or 30h",
	}},
	{"soak not a duration", edit("    mode: manual\n", "    mode: manual\n    soak: a day\n"), []string{
		`c.yaml:6:11: soak: "a day" is not a duration; write a number with a unit, such as 30m, 2h or 1h30m`,
	}},
	{"soak not above zero", edit("    mode: manual\n", "    mode: manual\n    soak: -5m\n"), []string{
		`c.yaml:6:11: soak: "-5m" must be longer than zero; leave soak out for no wait`,
	}},
	{"bad approvers", edit("    mode: manual\n", "    mode: manual\n    approvers:\n      - \"@alice\"\n      - alice smith\n      - \"@acme/Platform\"\n      - bob\n      - BOB\n      - -x\n"), []string{
		`c.yaml:7:9: approvers: "@alice": write a login without the @ (alice); only teams take it (@org/team)`,
		`c.yaml:8:9: approvers: "alice smith" is not a GitHub login; logins are letters, digits and single inner dashes, at most 39 long`,
		`c.yaml:9:9: approvers: "@acme/Platform" is not a team; write a team as @org/team-slug`,
		`c.yaml:11:9: approvers: "BOB" is already listed (line 10)`,
		`c.yaml:12:9: approvers: "-x" is not a GitHub login; logins are letters, digits and single inner dashes, at most 39 long`,
	}},
	{"approvers not a list", edit("    mode: manual\n", "    mode: manual\n    approvers: alice\n"), []string{
		`c.yaml:6:16: approvers: want a list (- item lines), found the string "alice"`,
	}},

	// Apps.
	{"duplicate app", validBase + strings.Replace(secondApp, "name: api", "name: web", 1), []string{
		`c.yaml:14:11: name: "web" is already an app (line 7); app names are unique`,
	}},
	{"bad app name", edit("name: web", "name: web.app"), []string{
		`c.yaml:7:11: name: "web.app" is not a valid name; use lower-case letters, digits and inner dashes (it becomes part of the branch stagehand/<app>/<stage>); try "web-app"`,
	}},
	{"app names an unknown stage", edit("      prod: apps/web/prod\n", "      production: apps/web/prod\n"), []string{
		`c.yaml:11:5: stages: no path for stage "prod"; every app lists every stage`,
		`c.yaml:13:7: stages: "production" is not a stage; the stages are staging, prod`,
	}},
	{"app misspells a stage", edit("      prod: apps/web/prod\n", "      prd: apps/web/prod\n"), []string{
		`c.yaml:11:5: stages: no path for stage "prod"; every app lists every stage`,
		`c.yaml:13:7: stages: "prd" is not a stage; did you mean prod? the stages are staging, prod`,
	}},
	{"app lacks a stage", edit("      prod: apps/web/prod\n", ""), []string{
		`c.yaml:11:5: stages: no path for stage "prod"; every app lists every stage`,
	}},
	{"two stages share a file", edit("prod: apps/web/prod", "prod: apps/web/staging/kustomization.yaml"), []string{
		`c.yaml:13:13: prod: apps/web/staging/kustomization.yaml is also the kustomization of stage staging; each stage needs its own`,
	}},
	{"semver and pattern", edit(`      semver: ">=1.0.0"`, `      semver: ">=1.0.0"`+"\n      pattern: '^v'"), []string{
		"c.yaml:10:7: tags: give semver or pattern, not both",
	}},
	{"neither semver nor pattern", edit("    tags:\n      semver: \">=1.0.0\"\n", "    tags: {}\n"), []string{
		`c.yaml:9:11: tags: give semver: (a version range such as ">=1.0.0") or pattern: (a regular expression such as '^main-[0-9a-f]{7}$')`,
	}},
	{"bad semver", edit(`">=1.0.0"`, `">=1.0.x.y"`), []string{
		`c.yaml:10:15: semver: ">=1.0.x.y" is not a version range (improper constraint: ">=1.0.x.y"); write one such as ">=1.0.0" or "~1.4"`,
	}},
	{"bad regex", edit(`semver: ">=1.0.0"`, `pattern: '^main-[0-9a-f{7}$'`), []string{
		"c.yaml:10:16: pattern: \"^main-[0-9a-f{7}$\" is not a regular expression (error parsing regexp: missing closing ]: `[0-9a-f{7}$`); write one such as '^main-[0-9a-f]{7}$'",
	}},
	{"empty pattern", edit(`semver: ">=1.0.0"`, `pattern: ""`), []string{
		"c.yaml:10:16: pattern: is empty",
	}},
	{"image with a tag", edit("image: ghcr.io/acme/web", "image: ghcr.io/acme/web:1.2.3"), []string{
		`c.yaml:8:12: image: "ghcr.io/acme/web:1.2.3": image names a repository; tags come from the registry (write "ghcr.io/acme/web")`,
	}},
	{"image with a digest", edit("image: ghcr.io/acme/web", "image: ghcr.io/acme/web@sha256:"+sha), []string{
		`c.yaml:8:12: image: "ghcr.io/acme/web@sha256:` + sha + `": image names a repository; tags come from the registry (write "ghcr.io/acme/web")`,
	}},
	{"image not a repository", edit("image: ghcr.io/acme/web", "image: ghcr.io/Acme/Web"), []string{
		"c.yaml:8:12: image: \"ghcr.io/Acme/Web\" is not an image repository: repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: Acme/Web",
	}},
	{"image with an empty part", edit("image: ghcr.io/acme/web", "image: ghcr.io/acme//web"), []string{
		`c.yaml:8:12: image: "ghcr.io/acme//web" is not an image repository: a part between slashes is empty`,
	}},
	{"image a slash", edit("image: ghcr.io/acme/web", `image: "/"`), []string{
		`c.yaml:8:12: image: "/" is not an image repository: a part between slashes is empty`,
	}},
	{"path leaves the repo", edit("prod: apps/web/prod", "prod: apps/../../other/prod"), []string{
		`c.yaml:13:13: prod: "../other/prod" leaves the repository; paths are relative to the repo root`,
	}},
	{"absolute path", edit("prod: apps/web/prod", "prod: /apps/web/prod"), []string{
		`c.yaml:13:13: prod: "/apps/web/prod": paths are relative to the repo root; write "apps/web/prod"`,
	}},
	{"backslash path", edit(`prod: apps/web/prod`, `prod: apps\web\prod`), []string{
		`c.yaml:13:13: prod: "apps\\web\\prod": separate folders with /`,
	}},
}

// groupsBase is validBase with two more apps, api and shop-worker (lines
// 14 to 27), and a group of all three from line 28 on:
//
//	28 groups:
//	29   - name: shop
//	30     apps: [web, api, shop-worker]
const groupsBase = validBase + secondApp + `  - name: shop-worker
    image: ghcr.io/acme/worker
    tags:
      semver: ">=1.0.0"
    stages:
      staging: apps/worker/staging
      prod: apps/worker/prod
groups:
  - name: shop
    apps: [web, api, shop-worker]
`

// groupsEdit returns groupsBase with old replaced by new, once.
func groupsEdit(old, new string) string {
	if !strings.Contains(groupsBase, old) {
		panic("groupsEdit: " + old + " is not in groupsBase")
	}
	return strings.Replace(groupsBase, old, new, 1)
}

// badGroups has one file per rule of groups:, with every problem it must
// report.
var badGroups = []badFile{
	{"groups not a list", groupsEdit("groups:\n  - name: shop\n    apps: [web, api, shop-worker]\n", "groups: shop\n"), []string{
		`c.yaml:28:9: groups: want a list (- item lines), found the string "shop"`,
	}},
	{"group without apps", groupsEdit("    apps: [web, api, shop-worker]\n", ""), []string{
		`c.yaml:29:5: group "shop" lacks apps:`,
	}},
	{"group without name", groupsEdit("  - name: shop\n    apps:", "  - apps:"), []string{
		`c.yaml:29:5: group 1 lacks name:`,
	}},
	{"unknown group key", groupsEdit("    apps: [web, api, shop-worker]\n", "    apps: [web, api, shop-worker]\n    windwo: 5s\n"), []string{
		`c.yaml:31:5: unknown key "windwo" in group "shop"; did you mean window? allowed keys are name, apps, window`,
	}},
	{"bad group name", groupsEdit("name: shop\n    apps", "name: Shop_Front\n    apps"), []string{
		`c.yaml:29:11: name: "Shop_Front" is not a valid name; use lower-case letters, digits and inner dashes (it becomes part of the branch stagehand/<group>/<stage>); try "shop-front"`,
	}},
	{"group named like an app", groupsEdit("name: shop\n    apps", "name: web\n    apps"), []string{
		`c.yaml:29:11: name: "web" is already an app; a group needs a name of its own, since /promote takes either`,
	}},
	{"duplicate group", groupsEdit("    apps: [web, api, shop-worker]\n", "    apps: [web]\n  - name: shop\n    apps: [api]\n"), []string{
		`c.yaml:31:11: name: "shop" is already a group (line 29); group names are unique`,
	}},
	{"empty apps", groupsEdit("[web, api, shop-worker]", "[]"), []string{
		`c.yaml:30:11: apps: is empty; list the apps that release together`,
	}},
	{"unknown app", groupsEdit("[web, api, shop-worker]", "[web, apii, shop-worker]"), []string{
		`c.yaml:30:17: apps: "apii" is not an app; did you mean api? name an app of apps:, or match several with a wildcard such as "apii-*"`,
	}},
	{"app listed twice", groupsEdit("[web, api, shop-worker]", "[web, api, web]"), []string{
		`c.yaml:30:22: apps: "web" is already listed (line 30)`,
	}},
	{"app in two groups", groupsEdit("    apps: [web, api, shop-worker]\n", "    apps: [web, api]\n  - name: back\n    apps: [shop-*, api]\n"), []string{
		`c.yaml:32:20: apps: api is already in group "shop"; an app is in one group at most`,
	}},
	{"wildcard matches nothing", groupsEdit("[web, api, shop-worker]", "[web, cart-*]"), []string{
		`c.yaml:30:17: apps: "cart-*" matches no app`,
	}},
	{"bad wildcard", groupsEdit("[web, api, shop-worker]", "[web, 'Shop/*']"), []string{
		`c.yaml:30:17: apps: "Shop/*" is not a wildcard; use lower-case letters, digits, dashes and * (such as shop-*)`,
	}},
	{"app not a string", groupsEdit("[web, api, shop-worker]", "[web, 7]"), []string{
		`c.yaml:30:17: apps: want a string, found the number 7; quote it: "7"`,
	}},
	{"window without unit", groupsEdit("    apps: [web, api, shop-worker]\n", "    apps: [web, api, shop-worker]\n    window: 5\n"), []string{
		"c.yaml:31:13: window: 5 has no unit; write a duration such as 5s",
	}},
	{"window not a duration", groupsEdit("    apps: [web, api, shop-worker]\n", "    apps: [web, api, shop-worker]\n    window: soon\n"), []string{
		`c.yaml:31:13: window: "soon" is not a duration; write a number with a unit, such as 2s or 500ms`,
	}},
	{"window not above zero", groupsEdit("    apps: [web, api, shop-worker]\n", "    apps: [web, api, shop-worker]\n    window: 0s\n"), []string{
		`c.yaml:31:13: window: "0s" must be longer than zero; leave window out for the default of 2s`,
	}},
	{"window too long", groupsEdit("    apps: [web, api, shop-worker]\n", "    apps: [web, api, shop-worker]\n    window: 2m\n"), []string{
		`c.yaml:31:13: window: "2m" is longer than 1m0s; a push waits for its group at most 10 windows`,
	}},
	// A broken app is the app's mistake, not the group's that names it.
	{"group names a broken app", groupsEdit("  - name: api\n", "  - name: API\n"), []string{
		`c.yaml:14:11: name: "API" is not a valid name; use lower-case letters, digits and inner dashes (it becomes part of the branch stagehand/<app>/<stage>); try "api"`,
	}},
}

func TestParseBadGroups(t *testing.T) {
	for _, tc := range badGroups {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.src, tc.want)
		})
	}
}

func TestParseBadFiles(t *testing.T) {
	for _, tc := range badFiles {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.src, tc.want)
		})
	}
}

// TestParseReportsEveryProblem checks that mistakes in different parts of
// one file are all reported, in file order, each at its own line.
func TestParseReportsEveryProblem(t *testing.T) {
	src := `stages:
  - name: staging
    mode: automerge
  - name: prod
    mode: manual
    soak: 1 day
apps:
  - name: web
    image: ghcr.io/acme/web:latest
    tags:
      semver: ">=1.0.0"
      pattern: "^v"
    stages:
      staging: apps/web/staging
      prod: ../prod
`
	checkProblems(t, src, []string{
		`c.yaml:3:11: mode: "automerge" is not a mode; use auto-merge, pull-request or manual`,
		`c.yaml:6:11: soak: "1 day" is not a duration; write a number with a unit, such as 30m, 2h or 1h30m`,
		`c.yaml:9:12: image: "ghcr.io/acme/web:latest": image names a repository; tags come from the registry (write "ghcr.io/acme/web")`,
		`c.yaml:11:7: tags: give semver or pattern, not both`,
		`c.yaml:15:13: prod: "../prod" leaves the repository; paths are relative to the repo root`,
	})
}

func checkProblems(t *testing.T, src string, want []string) {
	t.Helper()
	cfg, err := Parse("c.yaml", []byte(src))
	if cfg != nil {
		t.Errorf("Parse returned a Config along with problems: %+v", cfg)
	}
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("Parse error = %v (%T), want *Error", err, err)
	}
	got := strings.Split(perr.Error(), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(perr.Problems) != len(want) {
		t.Errorf("%d problems, want %d", len(perr.Problems), len(want))
	}
}

func TestBaseIsValid(t *testing.T) {
	for _, src := range []string{validBase, validBase + secondApp, groupsBase} {
		if _, err := Parse("c.yaml", []byte(src)); err != nil {
			t.Errorf("Parse: %v", err)
		}
	}
}
