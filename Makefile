# errata developer targets. `make test` is the README's test command.
GO ?= go

.PHONY: build test vet fmt bench ci

build:
	$(GO) build -o bin/errata ./cmd/errata

# The test suite talks to a real PostgreSQL: TEST_DATABASE_URL or
# DATABASE_URL when set, else errata's embedded database (started in a
# temporary data dir from the machine's PostgreSQL binaries).
test:
	$(GO) test -count=1 ./...

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
