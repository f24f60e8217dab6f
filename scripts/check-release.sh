#!/usr/bin/env bash
# Release checks, run by .ci/run:
#   - actionlint on .github/workflows (and, through the workflow that uses
#     it, the composite action.yml) and on the example workflow;
#   - goreleaser check on .goreleaser.yaml;
#   - a goreleaser snapshot release (build, archive, checksums, SBOM, no
#     publishing) for the host platform only, to keep CI short; the built
#     binary must run and report the snapshot's version. RELEASE_ALL=1
#     builds every platform of .goreleaser.yaml instead.
# It installs its tools at pinned versions with `go install` into
# $ERRATA_TOOLS/bin (default ~/.cache/errata-tools/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
GORELEASER=github.com/goreleaser/goreleaser/v2@v2.15.1
CYCLONEDX=github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0
. scripts/tools.sh
tool actionlint "$ACTIONLINT"
tool goreleaser "$GORELEASER"
tool cyclonedx-gomod "$CYCLONEDX"

echo "== actionlint"
actionlint
actionlint examples/github-actions/*.yml

echo "== goreleaser check"
goreleaser check

work=$(mktemp -d "${TMPDIR:-/tmp}/errata-check-release-XXXXXX")
trap 'rm -rf "$work" dist' EXIT
config=.goreleaser.yaml
goos=$(go env GOOS)
goarch=$(go env GOARCH)
if [ "${RELEASE_ALL:-}" != 1 ]; then
	config="$work/goreleaser-host.yaml"
	sed -e "s/^    goos: \[.*\]$/    goos: [$goos]/" -e "s/^    goarch: \[.*\]$/    goarch: [$goarch]/" .goreleaser.yaml >"$config"
	grep -q "goos: \[$goos\]" "$config" && grep -q "goarch: \[$goarch\]" "$config" || {
		echo "check-release: could not narrow $config to $goos/$goarch" >&2
		exit 1
	}
fi
echo "== goreleaser snapshot release ($([ "${RELEASE_ALL:-}" = 1 ] && echo "all platforms" || echo "$goos/$goarch"))"
goreleaser release --snapshot --clean --config "$config"

echo "== the snapshot's artifacts"
ls dist/*.tar.gz dist/*_checksums.txt dist/*.cdx.json
(cd dist && sha256sum --check --quiet ./*_checksums.txt)
grep -q '"bomFormat": *"CycloneDX"' dist/*_"$goos"_"$goarch".cdx.json
grep -q 'github.com/jackc/pgx/v5' dist/*_"$goos"_"$goarch".cdx.json
binary=$(find dist -path "*_${goos}_${goarch}*" -name errata -type f | head -n 1)
buildinfo=$(go version -m "$binary")
grep -q "CGO_ENABLED=0" <<<"$buildinfo" || {
	echo "check-release: $binary was not built with CGO_ENABLED=0 (static)" >&2
	exit 1
}
version=$("$binary" version)
echo "$version"
# From a git clone (not a worktree, whose .git is a file Go does not read),
# the Go build info carries the commit: errata version must report it.
# (grep reads a variable, not a pipe: grep -q quitting early would kill
# errata with SIGPIPE and fail the pipeline under pipefail.)
if [ -d .git ]; then
	grep -q "^commit: *$(git rev-parse HEAD)" <<<"$version" || {
		echo "check-release: errata version does not report commit $(git rev-parse HEAD)" >&2
		exit 1
	}
fi
# The snapshot builds the host platform only; the others must at least
# compile (platform-only syscalls hide behind build tags).
echo "== cross-compile for every release platform"
for target in linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
	CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go build -o /dev/null ./cmd/errata
	echo "$target: ok"
done

echo "== release checks passed"
