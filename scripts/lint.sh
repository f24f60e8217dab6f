#!/usr/bin/env bash
# make lint: golangci-lint at a pinned version with the repository's
# .golangci.yml (linters, formatters and the reasoned exclusions are
# there). The tool is installed once per version into $ERRATA_TOOLS/bin
# (default ~/.cache/errata-tools/bin), as the other CI tools are.
#
#   scripts/lint.sh              # the whole module
#   scripts/lint.sh ./store/...  # some packages
set -euo pipefail
cd "$(dirname "$0")/.."
GOLANGCI_LINT=github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
. scripts/tools.sh
tool golangci-lint "$GOLANGCI_LINT"
golangci-lint version
if [ $# -eq 0 ]; then
	set -- ./...
fi
golangci-lint run "$@"
