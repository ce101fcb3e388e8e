package githubfake

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// webhooksJSON is the part of GitHub's webhook description (OpenAPI 3.1,
// from octokit/openapi-webhooks, MIT, see openapi/LICENSE) for the
// deliveries the fake sends, cut by ./specgen.
//
//go:embed openapi/webhooks-subset.json
var webhooksJSON []byte

const webhooksURL = "file:///githubfake/webhooks-subset.json"

// hookSchemas compiles, once per process, the JSON Schema (2020-12, the
// dialect of OpenAPI 3.1) of each webhook's payload, by webhook name
// ("push", "pull-request-closed"). Formats are asserted.
var hookSchemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(webhooksJSON))
	if err != nil {
		return nil, fmt.Errorf("load GitHub's webhook description: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	// The library's own uri-template check refuses GitHub's every
	// "{/owner}{/repo}"; this one checks RFC 6570's braces.
	c.RegisterFormat(&jsonschema.Format{Name: "uri-template", Validate: validURITemplate})
	// GitHub's bots commit as "41898282+github-actions[bot]@users.noreply…",
	// which RFC 5322 allows only quoted and GitHub sends unquoted: an
	// address is checked for one "@" between non-empty parts, no spaces.
	c.RegisterFormat(&jsonschema.Format{Name: "email", Validate: validEmail})
	if err := c.AddResource(webhooksURL, doc); err != nil {
		return nil, err
	}
	hooks, _ := doc.(map[string]any)["webhooks"].(map[string]any)
	out := make(map[string]*jsonschema.Schema, len(hooks))
	for name := range hooks {
		sch, err := c.Compile(webhooksURL + "#/webhooks/" + name + "/post/requestBody/content/application~1json/schema")
		if err != nil {
			return nil, fmt.Errorf("compile webhook %s: %w", name, err)
		}
		out[name] = sch
	}
	return out, nil
})

// hookName is the description's name of a delivery: "pull-request-closed"
// for event pull_request, action closed.
func hookName(event, action string) string {
	name := strings.ReplaceAll(event, "_", "-")
	if action != "" {
		name += "-" + action
	}
	return name
}

// validatePayload checks a payload against its webhook's schema.
func validatePayload(event, action string, payload []byte) error {
	schemas, err := hookSchemas()
	if err != nil {
		return err
	}
	sch, ok := schemas[hookName(event, action)]
	if !ok {
		return fmt.Errorf("no schema for webhook %s", hookName(event, action))
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// validURITemplate accepts a string whose braces pair up, unnested, each
// holding an expression.
func validURITemplate(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	open := false
	start := 0
	for i, r := range s {
		switch r {
		case '{':
			if open {
				return fmt.Errorf("nested '{' at %d", i)
			}
			open, start = true, i
		case '}':
			if !open || i == start+1 {
				return fmt.Errorf("unmatched or empty '}' at %d", i)
			}
			open = false
		}
	}
	if open {
		return fmt.Errorf("unclosed '{' at %d", start)
	}
	return nil
}

func validEmail(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	local, domain, found := strings.Cut(s, "@")
	if !found || local == "" || domain == "" || strings.Contains(domain, "@") || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("%q is not an email address", s)
	}
	return nil
}
