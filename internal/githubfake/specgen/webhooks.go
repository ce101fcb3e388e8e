package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// webhooks are the deliveries the fake sends, named as the webhook
// description names them ("<event>-<action>", or the event alone).
var webhooks = []string{
	"push",
	"pull-request-opened",
	"pull-request-closed",
	"pull-request-edited",
	"pull-request-reopened",
	"pull-request-synchronize",
	"issue-comment-created",
	"issues-opened",
	"issues-edited",
	"issues-closed",
	"issues-reopened",
	"status",
	"check-run-completed",
	"installation-created",
	"installation-deleted",
	"installation-repositories-added",
	"installation-repositories-removed",
}

// generateWebhooks cuts webhooks out of GitHub's webhook description (an
// OpenAPI 3.1 document whose top-level "webhooks" hold one POST each),
// with every component they reference. Its licence must be the REST
// description's, the one LICENSE beside the subsets.
func generateWebhooks(in string, restLicense []byte) ([]byte, error) {
	data, err := os.ReadFile(in)
	if err != nil {
		return nil, fmt.Errorf("read webhook description: %w", err)
	}
	license, err := os.ReadFile(filepath.Join(filepath.Dir(in), licenseName))
	if err != nil {
		return nil, fmt.Errorf("read webhook licence: %w", err)
	}
	if !bytes.Equal(license, restLicense) {
		return nil, fmt.Errorf("the webhook description's licence differs from the REST description's; keep both beside the subsets")
	}
	doc, err := decode(data)
	if err != nil {
		return nil, err
	}
	sub, err := webhookSubset(doc, webhooks)
	if err != nil {
		return nil, err
	}
	return encode(sub)
}

// webhookSubset keeps the named webhooks and what they reference; examples
// are dropped, as nothing validates against them.
func webhookSubset(doc map[string]any, names []string) (map[string]any, error) {
	all, ok := doc["webhooks"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("document has no webhooks object")
	}
	out := map[string]any{}
	for _, k := range []string{"openapi", "info"} {
		if v, ok := doc[k]; ok {
			out[k] = v
		}
	}
	kept := map[string]any{}
	for _, name := range names {
		w, ok := all[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("webhook %s not in document", name)
		}
		kept[name] = withoutExamples(w)
	}
	out["webhooks"] = kept
	components, err := referenced(doc, kept)
	if err != nil {
		return nil, err
	}
	delete(components, "examples")
	out["components"] = components
	return out, nil
}

// withoutExamples copies node without "examples" members of media types.
func withoutExamples(node any) any {
	switch v := node.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if k == "examples" {
				if _, isMap := x.(map[string]any); isMap {
					continue
				}
			}
			out[k] = withoutExamples(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = withoutExamples(x)
		}
		return out
	}
	return node
}
