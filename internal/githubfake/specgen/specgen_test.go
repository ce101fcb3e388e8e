package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The published description sits in the workspace's shared folder, which
// a plain clone of the repository does not have.
const (
	published         = "../../../../shared/github/openapi/api.github.com.json"
	publishedWebhooks = "../../../../shared/github/webhooks-openapi/api.github.com.json"
)

func TestCommittedSubsetIsCurrent(t *testing.T) {
	if _, err := os.Stat(published); err != nil {
		t.Skipf("GitHub's description is not at %s (it lives outside the repository); skipping the -check of the committed subset", published)
	}
	if raceEnabled {
		t.Skip("skipped under -race: decoding 13 MB of JSON takes ~20 s there; plain go test runs it")
	}
	if err := run(published, publishedWebhooks, "../openapi", true); err != nil {
		t.Fatal(err)
	}
}

func TestSubset(t *testing.T) {
	doc, err := decode([]byte(`{
		"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": "https://api.github.com"}],
		"tags": [{"name": "dropped"}],
		"paths": {
			"/a/{id}": {
				"parameters": [{"$ref": "#/components/parameters/id"}],
				"get": {"operationId": "a/get", "responses": {"200": {"$ref": "#/components/responses/ok"}}},
				"delete": {"operationId": "a/delete", "responses": {"204": {"description": "gone"}}}
			},
			"/b": {"get": {"operationId": "b/get", "responses": {"200": {"description": "x", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/unused"}}}}}}}
		},
		"components": {
			"parameters": {"id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}},
			"responses": {"ok": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}}},
			"schemas": {
				"thing": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/user"}, "n": {"type": "number", "example": 1.50}}},
				"user": {"type": "object", "properties": {"self": {"$ref": "#/components/schemas/user"}}},
				"unused": {"type": "string"}
			}
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := subset(doc, []operation{{"/a/{id}", "get"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := encode(sub)
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{`"a/get"`, `"thing"`, `"user"`, `"ok"`, `"id"`, `"servers"`, `1.50`} {
		if !strings.Contains(got, want) {
			t.Errorf("subset lacks %s:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{`"a/delete"`, `"/b"`, `"unused"`, `"tags"`} {
		if strings.Contains(got, unwanted) {
			t.Errorf("subset keeps %s", unwanted)
		}
	}
	again, _ := encode(sub)
	if string(again) != got {
		t.Error("encoding is not deterministic")
	}
	if _, err := subset(doc, []operation{{"/a/{id}", "put"}}); err == nil {
		t.Error("a missing operation is not an error")
	}
}

func TestCheckReportsStaleFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{subsetName: []byte("{\n  \"a\": 1\n}\n"), webhooksName: []byte("{}\n"), licenseName: []byte("MIT\n")}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := compare(dir, files); err != nil {
		t.Fatalf("identical files: %v", err)
	}
	files[subsetName] = []byte("{\n  \"a\": 2\n}\n")
	err := compare(dir, files)
	var stale *ErrStale
	if !errors.As(err, &stale) || stale.Name != subsetName || !strings.Contains(stale.Diff, `+  "a": 2`) {
		t.Fatalf("got %v", err)
	}
}

func TestWebhookSubset(t *testing.T) {
	doc, err := decode([]byte(`{
		"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "tags": [{"name": "dropped"}],
		"webhooks": {
			"push": {"post": {"requestBody": {"content": {"application/json": {
				"schema": {"$ref": "#/components/schemas/webhook-push"},
				"examples": {"default": {"$ref": "#/components/examples/push"}}}}}}},
			"ping": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/webhook-ping"}}}}}}
		},
		"components": {
			"schemas": {
				"webhook-push": {"type": "object", "properties": {"sender": {"$ref": "#/components/schemas/simple-user"}}},
				"simple-user": {"type": "object"},
				"webhook-ping": {"type": "object"}
			},
			"examples": {"push": {"value": {}}}
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := webhookSubset(doc, []string{"push"})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := encode(sub)
	got := string(out)
	for _, want := range []string{`"webhook-push"`, `"simple-user"`, `"3.1.0"`} {
		if !strings.Contains(got, want) {
			t.Errorf("subset lacks %s:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{`"ping"`, `"webhook-ping"`, `"examples"`, `"tags"`} {
		if strings.Contains(got, unwanted) {
			t.Errorf("subset keeps %s:\n%s", unwanted, got)
		}
	}
	if _, err := webhookSubset(doc, []string{"issues-opened"}); err == nil {
		t.Error("a missing webhook is not an error")
	}
}
