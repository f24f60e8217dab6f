#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short, fixed time each
# (FUZZTIME, default 10s), one target at a time (go test -fuzz takes one
# target per package per run). Seed corpora live in each package's
# testdata/fuzz/<Target>/; a failure writes the crashing input there, and
# the script exits non-zero naming the target.
#
#   scripts/fuzz.sh                 # every target, 10 s each
#   FUZZTIME=2m scripts/fuzz.sh     # longer
#   scripts/fuzz.sh ./ingest        # only the targets under ./ingest
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-10s}"
root="${1:-.}"

targets=$(grep -rE --include='*_test.go' -l '^func Fuzz[A-Za-z0-9_]*\(' "$root" | sort)
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz targets found under $root" >&2
	exit 1
fi
failed=()
count=0
for file in $targets; do
	dir="./$(dirname "${file#./}")"
	for name in $(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		count=$((count + 1))
		echo "== fuzz $dir $name ($FUZZTIME)"
		if ! "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir"; then
			failed+=("$dir $name")
		fi
	done
done
if [ "${#failed[@]}" -gt 0 ]; then
	echo "fuzz: ${#failed[@]} of $count targets failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	echo "fuzz: the crashing inputs are in <package>/testdata/fuzz/<Target>/; rerun one with go test -run '<Target>/<file>' <package>" >&2
	exit 1
fi
echo "fuzz: $count targets passed"
