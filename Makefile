# errata developer targets. `make test` is the README's test command.
GO ?= go

.PHONY: build test vet lint fmt bench ci

build:
	$(GO) build -o bin/errata ./cmd/errata

# errata on your PATH: go install puts it in $(go env GOPATH)/bin (or GOBIN).
.PHONY: install
install:
	$(GO) install ./cmd/errata
	@echo "installed $$($(GO) env GOBIN | grep . || echo $$($(GO) env GOPATH)/bin)/errata"

# The test suite talks to a real PostgreSQL: TEST_DATABASE_URL or
# DATABASE_URL when set, else errata's embedded database (started in a
# temporary data dir from the machine's PostgreSQL binaries, and stopped
# and deleted when the run ends: see scripts/test.sh). RACE=1 runs it
# under the race detector (.ci/run does).
test:
	@GO=$(GO) RACE=$(RACE) scripts/test.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

# golangci-lint v2 (pinned in scripts/lint.sh) with .golangci.yml.
lint:
	@scripts/lint.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The pipeline offline on the sample issues in testdata/demo: a fresh
# embedded database in a temporary dir, import, classify, pages; prints
# where the pages are. FORMAT=mkdocs|plain for other generators.
.PHONY: demo
demo:
	@scripts/demo.sh

# Clustering quality on labelled corpora (issues.jsonl + truth.tsv): per
# corpus and combined, B-cubed and pairwise precision/recall/F1, missed
# reports, noise absorbed and the worst families. Each corpus is imported
# into a temporary database on DATABASE_URL's server, else on the
# embedded default database. CORPUS="dir ..." for other corpora.
CORPUS ?= ../shared/corpus/dev ../shared/corpus/dev2
.PHONY: eval
eval:
	@for d in $(CORPUS); do test -f "$$d/issues.jsonl" -a -f "$$d/truth.tsv" || { \
		echo "make eval: no labelled corpus at $$d (want issues.jsonl and truth.tsv); set CORPUS=\"dir ...\"" >&2; exit 2; }; done
	$(GO) run ./cmd/errata eval $(foreach d,$(CORPUS),--corpus $(d))
