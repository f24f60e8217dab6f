#!/usr/bin/env bash
# Quality gate for errata pages: markdownlint-cli2 (with the repository's
# .markdownlint-cli2.yaml) and a Hugo build, on pages generated from test
# data:
#   - the golden pages of reports/pages/testdata/golden (hugo, mkdocs, plain);
#   - the demo pages (testdata/demo through import, classify and pages, as
#     `make demo` runs them), in all three formats, unless --golden-only;
#   - any directories given as arguments (Hugo content when they hold
#     _index.md, else linted only);
#   - README.md and docs/*.md (linted only).
# It installs what it needs: markdownlint-cli2 from npm into
# $ERRATA_TOOLS (default ~/.cache/errata-tools), Hugo with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
MDL_VERSION=0.24.1
tools=${ERRATA_TOOLS:-$HOME/.cache/errata-tools}
golden_only=0
dirs=()
for a in "$@"; do
	case "$a" in
	--golden-only) golden_only=1 ;;
	*) dirs+=("$(cd "$a" && pwd)") ;;
	esac
done

mdl="$tools/node_modules/.bin/markdownlint-cli2"
if [ ! -x "$mdl" ] || ! ("$mdl" --help 2>/dev/null || true) | grep -q "v$MDL_VERSION"; then
	echo "== installing markdownlint-cli2@$MDL_VERSION into $tools"
	mkdir -p "$tools"
	npm install --no-audit --no-fund --silent --prefix "$tools" "markdownlint-cli2@$MDL_VERSION"
fi
if ! command -v hugo >/dev/null; then
	echo "== installing hugo"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hugo >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/errata-check-pages-XXXXXX")
trap 'rm -rf "$work"' EXIT

lint() { # dir
	echo "== markdownlint $1"
	(cd "$1" && "$mdl" --config "$repo/.markdownlint-cli2.yaml" "**/*.md")
}

# The project's own documentation, with the same rules.
echo "== markdownlint README.md docs/"
"$mdl" --config "$repo/.markdownlint-cli2.yaml" README.md "docs/*.md"

hugo_build() { # content dir
	echo "== hugo build $1"
	local site
	site=$(mktemp -d "$work/hugo-XXXXXX")
	mkdir -p "$site/layouts/_default"
	# Minimal layouts, so every page's Markdown is really rendered.
	printf '<!DOCTYPE html><html><head><title>{{ .Title }}</title></head><body>{{ block "main" . }}{{ end }}</body></html>\n' >"$site/layouts/_default/baseof.html"
	printf '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n' >"$site/layouts/_default/single.html"
	printf '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n' >"$site/layouts/_default/list.html"
	cat >"$site/hugo.toml" <<TOML
baseURL = "https://errors.example.org/"
title = "errata pages check"
contentDir = "$1"
disableKinds = ["RSS", "sitemap"]
[markup.goldmark.renderer]
unsafe = false
TOML
	hugo --source "$site" --destination "$site/public" --quiet --panicOnWarning
	local n
	n=$(find "$site/public" -name index.html | wc -l)
	echo "   $n HTML pages"
	# Every alias must have become a redirect page.
	local alias
	for alias in $( (grep -rh '^  - "/' "$1" --include='*.md' || true) | sed 's/^  - "\(.*\)"$/\1/'); do
		if [ ! -f "$site/public${alias}index.html" ]; then
			echo "alias $alias has no redirect page" >&2
			return 1
		fi
	done
}

golden=reports/pages/testdata/golden
for f in hugo mkdocs plain; do
	lint "$repo/$golden/$f"
done
hugo_build "$repo/$golden/hugo"

if [ "$golden_only" = 0 ]; then
	for f in hugo mkdocs plain; do
		echo "== demo pages ($f)"
		DEMO_DIR="$work/demo-$f" FORMAT=$f scripts/demo.sh >/dev/null
		lint "$work/demo-$f/site"
	done
	hugo_build "$work/demo-hugo/site"
fi

for d in "${dirs[@]}"; do
	lint "$d"
	if [ -f "$d/_index.md" ]; then
		hugo_build "$d"
	fi
done
echo "== pages check passed"
