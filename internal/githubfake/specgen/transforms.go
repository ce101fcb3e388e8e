package main

import "fmt"

// transform is one documented edit of GitHub's description, made where
// the description says less than GitHub accepts and real clients rely on
// the difference. Each stays as small as the case needs.
type transform struct {
	Path, Method string
	Why          string
	Apply        func(op map[string]any) error
}

var transforms = []transform{
	{
		Path: "/app/installations/{installation_id}/access_tokens", Method: "post",
		Why: "GitHub accepts a JSON null body here, and ghinstallation sends exactly " +
			"that (json.Encode of a nil *InstallationTokenOptions) on every token " +
			"refresh; the schema is made nullable, as pulls/merge's already is.",
		Apply: func(op map[string]any) error {
			schema, err := bodySchema(op)
			if err != nil {
				return err
			}
			schema["nullable"] = true
			return nil
		},
	},
	{
		Path: "/repos/{owner}/{repo}/issues/{issue_number}/labels", Method: "post",
		Why: "The description text says \"You can also pass an array of labels " +
			"directly\", and go-github's AddLabelsToIssue does, but the oneOf lists " +
			"only the {labels: [...]} object; the bare array is added as a second " +
			"alternative.",
		Apply: func(op map[string]any) error {
			schema, err := bodySchema(op)
			if err != nil {
				return err
			}
			oneOf, ok := schema["oneOf"].([]any)
			if !ok {
				return fmt.Errorf("request body has no oneOf")
			}
			schema["oneOf"] = append(oneOf, map[string]any{
				"type":     "array",
				"minItems": 1,
				"items":    map[string]any{"type": "string"},
			})
			return nil
		},
	},
	{
		Path: "/app/installations", Method: "get",
		Why: "Each installation's account is inlined as allOf [Simple User, Enterprise], " +
			"which no account satisfies (a user has no slug, an enterprise no login); " +
			"the installation schema every other operation uses says anyOf, and so " +
			"does this one after the edit.",
		Apply: func(op map[string]any) error {
			resps, _ := op["responses"].(map[string]any)
			ok, _ := resps["200"].(map[string]any)
			content, _ := ok["content"].(map[string]any)
			js, _ := content["application/json"].(map[string]any)
			schema, _ := js["schema"].(map[string]any)
			items, _ := schema["items"].(map[string]any)
			props, _ := items["properties"].(map[string]any)
			account, _ := props["account"].(map[string]any)
			all, isAll := account["allOf"].([]any)
			if !isAll || len(all) != 2 {
				return fmt.Errorf("account is not allOf two schemas")
			}
			delete(account, "allOf")
			account["anyOf"] = all
			return nil
		},
	},
}

// applyTransforms makes the edits in transforms on the subset and records
// each one, with its reason, under info.x-githubfake-transforms so the
// committed file says how it differs from GitHub's.
func applyTransforms(doc map[string]any) error {
	paths, _ := doc["paths"].(map[string]any)
	var notes []any
	for _, t := range transforms {
		item, _ := paths[t.Path].(map[string]any)
		op, ok := item[t.Method].(map[string]any)
		if !ok {
			return fmt.Errorf("transform: %s %s not in subset", t.Method, t.Path)
		}
		if err := t.Apply(op); err != nil {
			return fmt.Errorf("transform %s %s: %w", t.Method, t.Path, err)
		}
		notes = append(notes, map[string]any{"path": t.Path, "method": t.Method, "why": t.Why})
	}
	info, ok := doc["info"].(map[string]any)
	if !ok {
		return fmt.Errorf("document has no info")
	}
	copied := make(map[string]any, len(info)+1)
	for k, v := range info {
		copied[k] = v
	}
	copied["x-githubfake-transforms"] = notes
	doc["info"] = copied
	return nil
}

func bodySchema(op map[string]any) (map[string]any, error) {
	rb, _ := op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	schema, ok := media["schema"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no application/json request body schema")
	}
	return schema, nil
}
