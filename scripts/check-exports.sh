#!/usr/bin/env bash
# check-exports.sh LIB: fails when the shared library exports anything but
# the public hr_* API (internal hr__* symbols and vendored code stay hidden).
# Section bounds the linker adds for sanitizer coverage are not API.
set -euo pipefail
lib=${1:?usage: check-exports.sh path/to/libheadroom.so}
syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
public=$(printf '%s\n' "$syms" | grep -E '^hr_[a-z0-9][a-z0-9_]*$' || true)
bad=$(printf '%s\n' "$syms" | grep -Ev '^(hr_[a-z0-9][a-z0-9_]*|_init|_fini|_edata|_end|__bss_start|__(start|stop)___sancov_[a-z]+)$' |
      grep . || true)
if [ -n "$bad" ]; then
    echo "check-exports: $lib exports symbols outside the public hr_ API:" >&2
    printf '%s\n' "$bad" | sed 's/^/  /' >&2
    exit 1
fi
if [ -z "$public" ]; then
    echo "check-exports: $lib exports no hr_ symbols at all" >&2
    exit 1
fi
echo "check-exports: $(printf '%s\n' "$public" | wc -l) public hr_ symbols, nothing else"
