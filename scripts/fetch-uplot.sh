#!/usr/bin/env bash
# fetch-uplot.sh: puts uPlot (the chart library the HTML report embeds) into
# tools/node_modules/uplot, from the npm registry, only when it is missing or
# not the pinned version. The build (cmake/EmbedUplot.cmake) runs it before it
# turns uPlot's dist files into a C source; a report never needs the network.
#
# How: npm installs into a private staging prefix, then the package directory
# is moved into place. That way other packages in tools/node_modules (zig for
# the macOS check) are never pruned by npm, and two builds running at once
# never see half a package (a lock serialises them; the move is a rename).
#
# Usage: scripts/fetch-uplot.sh [--check]
#   --check   only say whether the pinned version is there (exit 0) or not (1)
# Exits non-zero, naming the step, when npm is missing or the install fails.
set -euo pipefail

UPLOT_VERSION=1.6.32
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/tools"
dest="$tools/node_modules/uplot"

die() {
    echo "fetch-uplot: $*" >&2
    exit 1
}

have_pinned() {
    [ -f "$dest/dist/uPlot.iife.min.js" ] && [ -f "$dest/dist/uPlot.min.css" ] &&
        [ -f "$dest/package.json" ] &&
        grep -q "\"version\": *\"$UPLOT_VERSION\"" "$dest/package.json"
}

if [ "${1:-}" = "--check" ]; then
    have_pinned
    exit $?
fi
have_pinned && exit 0

command -v npm >/dev/null || die "npm is missing (hint: scripts/install-deps.sh test, or install Node.js)"
mkdir -p "$tools/node_modules"

# One fetch at a time: a second build waits, then finds the package there.
exec 9>"$tools/node_modules/.fetch-uplot.lock"
if command -v flock >/dev/null; then
    flock 9
fi
have_pinned && exit 0

stage=$(mktemp -d "$tools/node_modules/.uplot-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
echo "fetch-uplot: installing uplot@$UPLOT_VERSION into tools/node_modules" >&2
npm install --prefix "$stage" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "uplot@$UPLOT_VERSION" >&2 || die "npm install of uplot@$UPLOT_VERSION failed"
[ -f "$stage/node_modules/uplot/dist/uPlot.iife.min.js" ] ||
    die "uplot@$UPLOT_VERSION has no dist/uPlot.iife.min.js"

old="$tools/node_modules/.uplot-old.$$"
[ -e "$dest" ] && mv "$dest" "$old"
mv "$stage/node_modules/uplot" "$dest"
rm -rf "$old"
have_pinned || die "uplot in $dest is not version $UPLOT_VERSION"
