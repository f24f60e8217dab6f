#!/usr/bin/env bash
# make demo: errata's pipeline offline, on the sample issues shipped in
# testdata/demo/issues.jsonl (written for the project). It imports them into
# the embedded default database of a fresh temporary data dir, classifies
# them, writes the pages and prints where they are. Nothing outside that
# temporary directory is touched; DATABASE_URL is ignored on purpose.
#
#   DEMO_DIR=dir   use dir instead of a new temporary directory
#   FORMAT=hugo    page format: hugo, mkdocs or plain
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FORMAT=${FORMAT:-hugo}
dir=${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/errata-demo-XXXXXX")}
mkdir -p "$dir"
unset DATABASE_URL
bin="$dir/errata"
"$GO" build -o "$bin" ./cmd/errata
errata() { "$bin" --data-dir "$dir/data" --log-level warn "$@"; }
stop() { errata db stop >/dev/null 2>&1 || true; }
trap stop EXIT
errata import testdata/demo/issues.jsonl
errata classify
errata pages --out "$dir/site" --format "$FORMAT"
echo
echo "pages ($FORMAT): $dir/site"
echo "start with:      $dir/site/$([ "$FORMAT" = hugo ] && echo _index.md || echo index.md)"
