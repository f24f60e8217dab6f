#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/
# conformance, a client written by the protocol's maintainers) against
# `errata mcp --http` on a loopback port, scenario by scenario.
#
# Database: $ERRATA_MCP_DATABASE_URL when set, else errata's embedded
# database in a fresh temporary data dir (started here, stopped at exit).
# It installs what it needs: the suite from npm into $ERRATA_TOOLS
# (default ~/.cache/errata-tools), Node.js with apt-get when npm is missing.
# Scenarios: $MCP_SCENARIOS, default the server scenarios that need no
# test-only tools (the others exercise the suite's reference server's
# fixtures, such as a tool that always fails).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFORMANCE_VERSION=0.1.10
tools=${ERRATA_TOOLS:-$HOME/.cache/errata-tools}
scenarios=${MCP_SCENARIOS:-server-initialize ping tools-list resources-list}

if ! command -v npm >/dev/null; then
	echo "== installing nodejs and npm"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
suite="$tools/node_modules/.bin/conformance"
if [ ! -x "$suite" ] || [ "$("$suite" --version 2>/dev/null)" != "$CONFORMANCE_VERSION" ]; then
	echo "== installing @modelcontextprotocol/conformance@$CONFORMANCE_VERSION into $tools"
	mkdir -p "$tools"
	npm install --no-audit --no-fund --silent --prefix "$tools" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/errata-mcp-conformance-XXXXXX")
chmod 755 "$work"
server_pid=""
embedded=""
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [ -n "$embedded" ]; then
		"$work/errata" --data-dir "$work/data" db stop >/dev/null 2>&1 || true
		# When the cluster had to live outside the data dir (see
		# store/pgembed), the data dir says where: remove it too.
		loc=$(sed -n 's/.* lives in \(\/var\/lib\/errata\/[0-9a-f]*\)$/\1/p' "$work/data/postgres.location" 2>/dev/null || true)
		if [ -n "$loc" ]; then rm -rf "$loc"; fi
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== building errata"
go build -o "$work/errata" ./cmd/errata

db_args=()
if [ -n "${ERRATA_MCP_DATABASE_URL:-}" ]; then
	db_args=(--database-url "$ERRATA_MCP_DATABASE_URL")
else
	echo "== starting the embedded database in $work/data"
	embedded=1
	# A data dir the postgres account can traverse (errata runs the
	# embedded server as postgres when it is root), so the cluster lives
	# inside it and goes with it.
	mkdir -m 755 "$work/data"
	db_args=(--data-dir "$work/data")
	"$work/errata" "${db_args[@]}" db start
fi

echo "== starting errata mcp --http 127.0.0.1:0"
# Port 0: the kernel picks a free port, which errata logs; wait for that
# line (or for errata to exit) by polling its log.
"$work/errata" "${db_args[@]}" mcp --http 127.0.0.1:0 >"$work/mcp.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 600); do
	url=$(sed -n 's/.*serving streamable HTTP.* url=\(http:[^ ]*\).*/\1/p' "$work/mcp.log" | head -n1)
	[ -n "$url" ] && break
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "errata mcp exited before serving:" >&2
		cat "$work/mcp.log" >&2
		exit 1
	fi
	sleep 0.1
done
if [ -z "$url" ]; then
	echo "errata mcp did not report its address within 60 s:" >&2
	cat "$work/mcp.log" >&2
	exit 1
fi
echo "== errata mcp is serving at $url"

failed=0
for s in $scenarios; do
	echo "== conformance scenario $s"
	if ! (cd "$work" && "$suite" server --url "$url" --scenario "$s" --output-dir "$work/results"); then
		failed=1
		echo "FAILED: $s" >&2
	fi
done
if [ "$failed" != 0 ]; then
	echo "== errata mcp log" >&2
	cat "$work/mcp.log" >&2
	exit 1
fi
echo "== all conformance scenarios passed: $scenarios"
