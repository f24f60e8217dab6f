# errata developer targets. `make test` is the README's test command.
GO ?= go

.PHONY: build test vet fmt bench ci

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
# and deleted when the run ends: see scripts/test.sh).
test:
	@GO=$(GO) scripts/test.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The pipeline offline on the sample issues in testdata/demo: a fresh
# embedded database in a temporary dir, import, classify, pages; prints
# where the pages are. FORMAT=mkdocs|plain for other generators.
.PHONY: demo
demo:
	@scripts/demo.sh

# Clustering quality on a labelled corpus (issues.jsonl + truth.tsv):
# B-cubed and pairwise precision/recall/F1 and the worst families. The
# corpus is imported into a temporary database on DATABASE_URL's server,
# else on the embedded default database. CORPUS=dir for another corpus.
CORPUS ?= ../shared/corpus/dev
.PHONY: eval
eval:
	$(GO) run ./cmd/errata eval --corpus $(CORPUS)
