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

## bench: every benchmark $(BENCH_COUNT) times, then the table of figures (min/median/max of the runs)
## against what is wanted; PostgreSQL's rows when it answers on 127.0.0.1:5432 (or STAGEHAND_TEST_DATABASE_URL)
BENCH_COUNT ?= 3
PG_URL      ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
bench:
	@url="$${STAGEHAND_TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then url='$(PG_URL)'; fi; \
	STAGEHAND_TEST_DATABASE_URL="$$url" bash -o pipefail -c \
	  '$(GO) test -run "^$$" -bench . -benchmem -count $(BENCH_COUNT) -timeout 120m ./... 2>&1 | $(GO) run ./internal/testkit/benchtable'

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
