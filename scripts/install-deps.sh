#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages headroom builds and tests with.
# Idempotent: asks dpkg first and runs apt-get only for what is missing.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
set -euo pipefail

want=${1:-all}
build_pkgs=(cmake make gcc pkg-config libjansson-dev libsqlite3-dev libmicrohttpd-dev)
# prometheus (promtool and the server) and prometheus-node-exporter (the
# bench's peer) are used as binaries only; on a systemd host their packages
# also start services (systemctl disable --now prometheus prometheus-node-exporter).
test_pkgs=(libcmocka-dev clang libclang-rt-14-dev python3 python3-psutil python3-setuptools python3-wheel
           prometheus prometheus-node-exporter
           chromium)  # headless check that the HTML report renders

pkgs=("${build_pkgs[@]}")
if [ "$want" != build ]; then
    pkgs+=("${test_pkgs[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing+=("$p") ;;
    esac
done

uplot_present() {
    "$(dirname "$0")/fetch-uplot.sh" --check
}

# npm fetches zig for the macOS cross build. It may come with a non-Debian
# Node.js (NodeSource bundles it), so ask for the command, not the package.
# The build needs it too: uPlot, embedded in the HTML report, comes from npm
# (scripts/fetch-uplot.sh, only while tools/node_modules/uplot is missing).
if ! command -v npm >/dev/null 2>&1 &&
    { [ "$want" != build ] || ! uplot_present; }; then
    missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "headroom: missing Debian packages: ${missing[*]}" >&2
    echo "hint: run as root, or: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "headroom: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
