package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// schemaFile is the JSON Schema editors use for .stagehand.yaml. It is
// written by hand; these tests keep it in step with the parser.
var schemaFile = filepath.Join("..", "..", "schema", "stagehand.schema.json")

var loadSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(schemaFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaFile, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaFile)
})

// schemaValidate validates a YAML document against the schema, the way an
// editor does: as the JSON the YAML stands for.
func schemaValidate(t testing.TB, src string) error {
	t.Helper()
	sch, err := loadSchema()
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("as JSON: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// schemaObjects maps each parser function that reads a mapping with fixed
// keys (p.fields) to the schema object describing that mapping.
var schemaObjects = map[string]string{
	"config":         "",
	"stages":         "definitions/stage",
	"apps":           "definitions/app",
	"tags":           "definitions/app/properties/tags",
	"groups":         "definitions/group",
	"verifyContexts": "definitions/stage/properties/verify/items",
	"receivers":      "definitions/receiver",
	"windows":        "definitions/stage/properties/windows/items",
	"target":         "definitions/target",
}

// parserKeys reads this package's source for every p.fields call and
// returns, per enclosing function, the keys it allows ("name!" required).
func parserKeys(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "fields" || len(call.Args) < 3 {
					return true
				}
				if _, dup := out[fn.Name.Name]; dup {
					t.Fatalf("%s: two p.fields calls in %s; give the test's schemaObjects a way to tell them apart", fset.Position(call.Pos()), fn.Name.Name)
				}
				keys := []string{}
				for _, a := range call.Args[2:] {
					lit, ok := a.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: p.fields with a key that is not a string literal", fset.Position(a.Pos()))
					}
					s, _ := strconv.Unquote(lit.Value)
					keys = append(keys, s)
				}
				out[fn.Name.Name] = keys
				return true
			})
		}
	}
	return out
}

// TestSchemaKeysMatchParser: every key the parser accepts is a property of
// the schema, with a description, required exactly where the parser
// requires it; the schema has no key the parser refuses, and refuses
// unknown keys as the parser does.
func TestSchemaKeysMatchParser(t *testing.T) {
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	at := func(ptr string) map[string]any {
		node := schema
		for _, part := range strings.Split(ptr, "/") {
			if part == "" {
				continue
			}
			next, ok := node[part].(map[string]any)
			if !ok {
				t.Fatalf("schema has no %s", ptr)
			}
			node = next
		}
		return node
	}
	keys := parserKeys(t)
	if len(keys) == 0 {
		t.Fatal("found no p.fields calls in the parser")
	}
	covered := map[string]bool{}
	for fn, allowed := range keys {
		ptr, ok := schemaObjects[fn]
		if !ok {
			t.Errorf("the parser reads fixed keys %v in %s, which the schema test does not map to a schema object; add it to schemaObjects and the schema", allowed, fn)
			continue
		}
		covered[ptr] = true
		obj := at(ptr)
		props, _ := obj["properties"].(map[string]any)
		if obj["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false; the parser refuses unknown keys", where(ptr))
		}
		var names, required []string
		for _, a := range allowed {
			name := strings.TrimSuffix(a, "!")
			names = append(names, name)
			if name != a {
				required = append(required, name)
			}
			prop, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s: the parser accepts %q, the schema has no such property", where(ptr), name)
				continue
			}
			if d, _ := prop["description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("%s: property %q has no description", where(ptr), name)
			}
		}
		for name := range props {
			if !slices.Contains(names, name) {
				t.Errorf("%s: the schema has property %q, which the parser refuses", where(ptr), name)
			}
		}
		var schemaRequired []string
		for _, r := range asList(obj["required"]) {
			schemaRequired = append(schemaRequired, r.(string))
		}
		sort.Strings(required)
		sort.Strings(schemaRequired)
		if !slices.Equal(required, schemaRequired) {
			t.Errorf("%s: the schema requires %v, the parser %v", where(ptr), schemaRequired, required)
		}
	}
	// Every schema object with fixed properties stands for a p.fields call.
	var walk func(ptr string, node any)
	walk = func(ptr string, node any) {
		m, ok := node.(map[string]any)
		if !ok {
			return
		}
		if _, ok := m["properties"]; ok && !covered[ptr] {
			t.Errorf("%s has properties, but no parser function reads that mapping", where(ptr))
		}
		for k, v := range m {
			walk(strings.TrimPrefix(ptr+"/"+k, "/"), v)
		}
	}
	walk("", schema)
}

func where(ptr string) string {
	if ptr == "" {
		return "the schema's top level"
	}
	return "#/" + ptr
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// readmeExample is the .stagehand.yaml the README shows.
func readmeExample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## The config repository.*?```yaml\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("README.md has no yaml block under The config repository")
	}
	return string(m[1])
}

// TestSchemaValidatesConfigs: what the parser accepts, the schema accepts
// (an editor must never flag a good file); files of the wrong shape are
// refused by both. What a schema cannot see (a path for every stage,
// unique names, ranges that parse) is stagehand validate's alone.
func TestSchemaValidatesConfigs(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("..", "..", "testdata", "configrepo", FileName))
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]string{
		"sample":       string(sample),
		"two apps":     validBase + secondApp,
		"groups":       groupsBase,
		"no apps yet":  "stages:\n  - name: prod\n    mode: manual\napps: []\n",
		"all optional": edit("    mode: manual\n", "    mode: manual\n    soak: 1h30m\n    approvers: [alice, \"@acme/platform-team\", Bob-2]\n"),
		"file paths":   edit("staging: apps/web/staging", "staging: apps/web/staging/kustomization.yml"),
	}
	// The README's example is right in shape; its group names apps the
	// example leaves out, so only the schema is asked.
	if err := schemaValidate(t, readmeExample(t)); err != nil {
		t.Errorf("README: the schema refuses the README's example: %v", err)
	}
	for name, src := range good {
		if _, err := Parse("c.yaml", []byte(src)); err != nil {
			t.Errorf("%s: Parse refuses it: %v", name, err)
		}
		if err := schemaValidate(t, src); err != nil {
			t.Errorf("%s: the schema refuses a good file: %v", name, err)
		}
	}

	bad := []struct{ name, src, want string }{
		{"no stages", "apps: []\n", "stages"},
		{"unknown top-level key", validBase + "base: main\n", "base"},
		{"stages not a list", "stages: {name: prod}\napps: []\n", "stages"},
		{"empty stages", "stages: []\napps: []\n", "stages"},
		{"mode misspelt", edit("mode: auto-merge", "mode: automerge"), "mode"},
		{"mode missing", edit("    mode: manual\n", ""), "mode"},
		{"upper-case stage", edit("- name: prod", "- name: Prod"), "name"},
		{"soak without unit", edit("    mode: manual\n", "    mode: manual\n    soak: 30\n"), "soak"},
		{"soak words", edit("    mode: manual\n", "    mode: manual\n    soak: half an hour\n"), "soak"},
		{"approver with @", edit("    mode: manual\n", "    mode: manual\n    approvers: [\"@alice\"]\n"), "approvers"},
		{"unknown stage key", edit("    mode: manual\n", "    mode: manual\n    approver: alice\n"), "approver"},
		{"image with tag", edit("image: ghcr.io/acme/web", "image: ghcr.io/acme/web:1.0.0"), "image"},
		{"image with digest", edit("image: ghcr.io/acme/web", "image: ghcr.io/acme/web@sha256:0123"), "image"},
		{"tags both", edit("      semver: \">=1.0.0\"\n", "      semver: \">=1.0.0\"\n      pattern: '^v'\n"), "tags"},
		{"tags neither", edit("      semver: \">=1.0.0\"\n", "      {}\n"), "tags"},
		{"semver a number", edit("semver: \">=1.0.0\"", "semver: 1.10"), "semver"},
		{"tags a string", edit("    tags:\n      semver: \">=1.0.0\"\n", "    tags: \">=1.0.0\"\n"), "tags"},
		{"absolute path", edit("prod: apps/web/prod", "prod: /apps/web/prod"), "prod"},
		{"backslash path", edit("prod: apps/web/prod", `prod: 'apps\web\prod'`), "prod"},
		{"stage list for paths", edit("    stages:\n      staging: apps/web/staging\n      prod: apps/web/prod\n", "    stages: [apps/web/staging, apps/web/prod]\n"), "stages"},
		{"app without image", edit("    image: ghcr.io/acme/web\n", ""), "image"},
		{"group without apps", validBase + "groups:\n  - name: shop\n", "apps"},
		{"group window number", validBase + "groups:\n  - name: shop\n    apps: [web]\n    window: 2\n", "window"},
		{"group member not a name", validBase + "groups:\n  - name: shop\n    apps: [Web_App]\n", "apps"},
	}
	for _, tc := range bad {
		if _, err := Parse("c.yaml", []byte(tc.src)); err == nil {
			t.Errorf("%s: Parse accepts it; the case is wrong", tc.name)
		}
		err := schemaValidate(t, tc.src)
		if err == nil {
			t.Errorf("%s: the schema accepts it:\n%s", tc.name, tc.src)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: the schema's complaint does not name %q:\n%v", tc.name, tc.want, err)
		}
	}

	// The schema cannot see these; stagehand validate does.
	for name, src := range map[string]string{
		"a stage without a path":      edit("      prod: apps/web/prod\n", ""),
		"a range that does not parse": edit(`semver: ">=1.0.0"`, `semver: ">=1.0.x.y"`),
		"a repeated stage":            edit("- name: prod", "- name: staging"),
	} {
		if err := schemaValidate(t, src); err != nil {
			t.Errorf("%s: the schema refuses it (%v); this case was meant to show what only validate sees", name, err)
		}
		if _, err := Parse("c.yaml", []byte(src)); err == nil {
			t.Errorf("%s: Parse accepts it", name)
		}
	}
}
