#!/usr/bin/env bash
# make demo: errata's pipeline offline, on the sample issues shipped in
# testdata/demo/issues.jsonl (written for the project). It imports them into
# the embedded default database of a fresh temporary data dir, classifies
# them, writes the pages and prints where they are. DATABASE_URL is ignored
# on purpose. When it ends (also on failure or Ctrl-C) it stops and deletes
# its database (with `errata db destroy`, which also finds a cluster root's
# errata placed under /var/lib/errata) and deletes the binary it built, so
# only the pages stay; DEMO_KEEP=1 keeps database and binary to explore.
#
#   DEMO_DIR=dir   use dir instead of a new temporary directory
#   FORMAT=hugo    page format: hugo, mkdocs or plain
#   DEMO_KEEP=1    keep the database (stopped) and the binary
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
cleanup() {
	if [ "${DEMO_KEEP:-}" = 1 ]; then
		errata db stop >/dev/null 2>&1 || true
		return
	fi
	errata db destroy --yes >/dev/null || echo "demo: could not delete the demo database in $dir/data" >&2
	rm -rf "$bin" "$dir/data"
}
trap cleanup EXIT
errata import testdata/demo/issues.jsonl
errata classify
errata pages --out "$dir/site" --format "$FORMAT"
echo
echo "pages ($FORMAT): $dir/site"
echo "start with:      $dir/site/$([ "$FORMAT" = hugo ] && echo _index.md || echo index.md)"
if [ "${DEMO_KEEP:-}" != 1 ]; then
	echo "the demo's database and binary are deleted on exit; remove the pages with: rm -rf $dir"
fi
