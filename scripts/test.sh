#!/usr/bin/env bash
# make test: the whole test suite on a real PostgreSQL.
#
# With TEST_DATABASE_URL or DATABASE_URL set, the tests create (and drop)
# their databases on that server. With neither, they need errata's embedded
# database: this script gives the run its own data dir and, when the run
# ends (pass, fail or Ctrl-C), stops and deletes the cluster the tests
# started there, wherever it lives (also under /var/lib/errata for root),
# so `make test` leaves no server or cluster behind. (A plain `go test`
# keeps its shared cluster in $TMPDIR/errata-test-$UID running between
# runs, for speed; stop it with
#   go run ./cmd/errata --data-dir "${TMPDIR:-/tmp}/errata-test-$(id -u)" db destroy --yes
# )
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
if [ -z "${TEST_DATABASE_URL:-}${DATABASE_URL:-}" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/errata-maketest-XXXXXX")
	export ERRATA_TEST_DATA_DIR="$work/data"
	"$GO" build -o "$work/errata" ./cmd/errata
	cleanup() {
		"$work/errata" --data-dir "$work/data" db destroy --yes | sed 's/^/make test: /' ||
			echo "make test: could not delete the test cluster of $work/data" >&2
		rm -rf "$work"
	}
	trap cleanup EXIT
fi
# RACE=1 (as .ci/run sets it) runs the suite under the race detector.
race=()
if [ "${RACE:-}" = 1 ]; then
	race=(-race)
fi
"$GO" test -count=1 "${race[@]}" "$@" ./...
