# shellcheck shell=bash
# Sourced by the CI scripts: tool NAME MODULE@VERSION installs a Go tool at
# a pinned version with `go install` into $ERRATA_TOOLS/bin (default
# ~/.cache/errata-tools/bin), once per version, and puts that directory
# first on PATH.
bin=${ERRATA_TOOLS:-$HOME/.cache/errata-tools}/bin
mkdir -p "$bin"
export PATH="$bin:$PATH"
tool() { # name module@version
	if [ "$(cat "$bin/$1.version" 2>/dev/null)" != "$2" ] || [ ! -x "$bin/$1" ]; then
		echo "== installing $2"
		GOBIN="$bin" go install "$2"
		echo "$2" >"$bin/$1.version"
	fi
}
