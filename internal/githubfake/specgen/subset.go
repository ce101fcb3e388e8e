package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// keptTopLevel are the document sections copied verbatim besides paths and
// components; tags, externalDocs and x-webhooks describe operations we drop.
var keptTopLevel = []string{"openapi", "info", "servers"}

// subset returns the part of doc that describes ops: those operations (with
// their path-level parameters), every component they reference
// transitively, and the keptTopLevel sections.
func subset(doc map[string]any, ops []operation) (map[string]any, error) {
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("document has no paths object")
	}
	out := map[string]any{}
	for _, k := range keptTopLevel {
		if v, ok := doc[k]; ok {
			out[k] = v
		}
	}

	keptPaths := map[string]any{}
	for _, op := range ops {
		item, ok := paths[op.Path].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("path %s not in document", op.Path)
		}
		o, ok := item[op.Method]
		if !ok {
			return nil, fmt.Errorf("operation %s %s not in document", strings.ToUpper(op.Method), op.Path)
		}
		kept, _ := keptPaths[op.Path].(map[string]any)
		if kept == nil {
			kept = map[string]any{}
			// Path-level fields (parameters, summary, ...) apply to every
			// method, so they come along with any kept operation.
			for k, v := range item {
				if !isMethod(k) {
					kept[k] = v
				}
			}
			keptPaths[op.Path] = kept
		}
		kept[op.Method] = o
	}
	out["paths"] = keptPaths

	components, err := referenced(doc, keptPaths)
	if err != nil {
		return nil, err
	}
	out["components"] = components
	return out, nil
}

func isMethod(k string) bool {
	switch k {
	case "get", "put", "post", "delete", "options", "head", "patch", "trace":
		return true
	}
	return false
}

// referenced collects, breadth first, every "#/components/<kind>/<name>"
// reachable from root and returns them grouped by kind.
func referenced(doc map[string]any, root any) (map[string]any, error) {
	all, _ := doc["components"].(map[string]any)
	out := map[string]any{}
	seen := map[string]bool{}
	queue := []any{root}
	for len(queue) > 0 {
		node := queue[0]
		queue = queue[1:]
		for _, ref := range refsIn(node) {
			if seen[ref] {
				continue
			}
			seen[ref] = true
			kind, name, ok := splitComponentRef(ref)
			if !ok {
				return nil, fmt.Errorf("unsupported $ref %q", ref)
			}
			group, _ := all[kind].(map[string]any)
			target, ok := group[name]
			if !ok {
				return nil, fmt.Errorf("$ref %q does not resolve", ref)
			}
			dst, _ := out[kind].(map[string]any)
			if dst == nil {
				dst = map[string]any{}
				out[kind] = dst
			}
			dst[name] = target
			queue = append(queue, target)
		}
	}
	return out, nil
}

// refsIn lists the $ref values inside node, in a stable order.
func refsIn(node any) []string {
	var refs []string
	var walk func(any)
	walk = func(n any) {
		switch v := n.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				refs = append(refs, r)
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(node)
	return refs
}

func splitComponentRef(ref string) (kind, name string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return "", "", false
	}
	kind, name, ok = strings.Cut(rest, "/")
	if !ok || strings.Contains(name, "/") {
		return "", "", false
	}
	return kind, name, true
}

// decode reads a JSON document keeping numbers exactly as written.
func decode(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	return doc, nil
}

// encode writes doc with sorted keys, two-space indent, no HTML escaping
// and a final newline, so that the same input always gives the same bytes.
func encode(doc map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode subset: %w", err)
	}
	return buf.Bytes(), nil
}
