# stagehand — see README.md. Every target works on a fresh clone with Go installed.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
SHARED  ?= ../shared/github/openapi/api.github.com.json
SHARED_HOOKS ?= ../shared/github/webhooks-openapi/api.github.com.json

.PHONY: all test demo bench build fmt-check vet spec spec-check clean

all: test

## test: gofmt check, go vet, and every test with the race detector
test: fmt-check vet
	$(GO) test -race -count=1 -timeout 20m ./...

## demo: the whole story locally, in seconds, with no network
demo:
	$(GO) run ./cmd/stagehand-demo

## bench: promotion cost (time and GitHub API calls) at 10 and 20,000 files, and more
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/stagehand ./cmd/stagehand

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## spec: regenerate the subsets of GitHub's REST and webhook descriptions the stand-in validates against
spec:
	$(GO) run ./internal/githubfake/specgen -in $(SHARED) -webhooks $(SHARED_HOOKS) -out internal/githubfake/openapi

## spec-check: fail when the committed subset is not what spec would generate
spec-check:
	$(GO) run ./internal/githubfake/specgen -in $(SHARED) -webhooks $(SHARED_HOOKS) -out internal/githubfake/openapi -check

clean:
	rm -rf bin
