#!/usr/bin/env bash
# capture-fixture.sh: copies the sysfs/procfs files the Linux OS layer reads
# (src/platform/linux/*.c) from a live machine into a fixture scenario.
#
# Usage: scripts/capture-fixture.sh [--from ROOT] [--hostname NAME] OUT_DIR
#
#   OUT_DIR          new scenario folder, e.g. tests/fixtures/linux/my-laptop
#   --from ROOT      read ROOT/sys, ROOT/proc, ROOT/etc instead of / (for tests)
#   --hostname NAME  hostname to write instead of the real one (default "captured-host")
#
# Only a whitelist is copied: a full /sys is huge and some of its files block.
# Class symlinks (sys/class/hwmon/hwmonN -> ../../devices/...) are recreated
# with their relative targets and the files they lead to are copied at their
# physical place, so the tree resolves exactly as on the machine. Serial
# numbers, UUIDs and the hostname are not copied. No root is needed: a file
# the capturing user cannot read (RAPL energy_uj since Linux 5.10) is left out
# and listed in the SCENARIO.md stub this script writes.
set -euo pipefail

from=/
hostname_out=captured-host
while [ $# -gt 0 ]; do
    case "$1" in
        --from) from=${2:?--from needs a directory}; shift 2 ;;
        --hostname) hostname_out=${2:?--hostname needs a name}; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "capture-fixture: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -eq 1 ] || { echo "usage: capture-fixture.sh [--from ROOT] [--hostname NAME] OUT_DIR" >&2; exit 2; }
out=$1
from=$(cd "$from" && pwd -P)
[ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ] && {
    echo "capture-fixture: $out exists and is not empty" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
skipped=()
copied=0

# rel PATH: PATH (absolute, under $from) relative to $from, without leading slash.
rel() { local p=${1#"$from"}; echo "${p#/}"; }

# copy_file ABS: copies one regular file to the same physical place under $out.
# Reads are bounded (a slow hwmon driver can stall for a second or more).
copy_file() {
    local src=$1 real dst
    real=$(realpath -e "$src" 2>/dev/null) || return 0
    [ -f "$real" ] || return 0
    dst="$out/$(rel "$real")"
    mkdir -p "$(dirname "$dst")"
    if timeout 2 cat "$real" >"$dst.tmp" 2>/dev/null; then
        mv "$dst.tmp" "$dst"
        copied=$((copied + 1))
    else
        rm -f "$dst.tmp"
        skipped+=("$(rel "$real")")
    fi
}

# copy_link ABS: recreates the symlink ABS under $out with a relative target.
copy_link() {
    local src=$1 target dst
    [ -L "$src" ] || return 0
    target=$(readlink "$src")
    case "$target" in
        /*) target=$(realpath -m --relative-to="$(dirname "$src")" "$from$target") ;;
    esac
    dst="$out/$(rel "$src")"
    mkdir -p "$(dirname "$dst")"
    ln -sfn "$target" "$dst"
}

# copy_path ABS: links along ABS's own path are recreated, then the file copied.
copy_path() {
    local src=$1 prefix=$from part
    local -a parts
    IFS=/ read -r -a parts <<<"$(rel "$src")"
    for part in "${parts[@]}"; do
        prefix="$prefix/$part"
        prefix=${prefix//\/\//\/}
        if [ -L "$prefix" ]; then
            copy_link "$prefix"
            prefix=$(realpath -m "$prefix")
        fi
    done
    copy_file "$src"
}

# copy_glob DIR PATTERN...: every existing DIR/PATTERN.
copy_glob() {
    local dir=$1 f pat
    shift
    for pat in "$@"; do
        for f in "$dir"/$pat; do
            [ -e "$f" ] || [ -L "$f" ] || continue
            if [ -e "$f" ]; then copy_path "$f"; else copy_link "$f"; fi
        done
    done
}

capture_proc() {
    local p=$from/proc
    copy_glob "$p" stat meminfo uptime pressure/memory pressure/cpu pressure/io \
        sys/kernel/osrelease sys/kernel/ostype sys/kernel/arch
    # cpuinfo without serial numbers (Raspberry Pi prints one).
    if [ -r "$p/cpuinfo" ]; then
        mkdir -p "$out/proc"
        grep -v -i '^serial' "$p/cpuinfo" >"$out/proc/cpuinfo" || true
    fi
    mkdir -p "$out/proc/sys/kernel"
    echo "$hostname_out" >"$out/proc/sys/kernel/hostname"
    # proc/self is this shell's pid; the cgroup of a child is the same.
    if [ -r "$p/self/cgroup" ]; then
        mkdir -p "$out/proc/$$"
        cat "$p/self/cgroup" >"$out/proc/$$/cgroup"
        ln -sfn "$$" "$out/proc/self"
    fi
}

capture_etc() {
    local f
    for f in etc/os-release usr/lib/os-release; do
        [ -e "$from/$f" ] && copy_path "$from/$f"
    done
    return 0
}

capture_cpus() {
    local c=$from/sys/devices/system/cpu cpu
    copy_glob "$c" online possible present
    for cpu in "$c"/cpu[0-9]*; do
        [ -d "$cpu" ] || continue
        copy_glob "$cpu" topology/core_id topology/physical_package_id \
            cpufreq/scaling_cur_freq cpufreq/cpuinfo_max_freq cpufreq/cpuinfo_min_freq \
            cpufreq/scaling_driver cpufreq/scaling_governor \
            'thermal_throttle/*_count'
    done
}

capture_hwmon() {
    local h dev
    for h in "$from"/sys/class/hwmon/hwmon*; do
        [ -L "$h" ] || [ -d "$h" ] || continue
        copy_link "$h"
        copy_glob "$h" name 'temp*_input' 'temp*_label' 'temp*_max' 'temp*_crit' \
            'fan*_input' 'fan*_label' 'fan*_max' 'power*_input' 'power*_average' 'power*_label' \
            'power*_max' 'power*_crit' 'energy*_input' 'energy*_label' 'in*_input' 'in*_label' \
            'in*_max' 'in*_crit' 'curr*_input' 'curr*_label' 'curr*_max' 'curr*_crit'
        [ -L "$h/device" ] && copy_link "$(realpath -m "$h")/device"
        # Kernels before 3.13 keep name and attributes in device/.
        dev=$(realpath -m "$h")/device
        if [ ! -e "$h/name" ] && [ -e "$dev/name" ]; then
            copy_glob "$dev" name 'temp*_input' 'temp*_label' 'temp*_max' 'temp*_crit' \
                'fan*_input' 'in*_input' 'power*_input' 'curr*_input'
        fi
    done
}

capture_classes() {
    local z
    for z in "$from"/sys/class/thermal/thermal_zone*; do
        copy_link "$z"
        copy_glob "$z" type temp mode policy 'trip_point_*_type' 'trip_point_*_temp' \
            'trip_point_*_hyst'
    done
    for z in "$from"/sys/class/powercap/*; do
        copy_link "$z"
        copy_glob "$z" name energy_uj max_energy_range_uj enabled
    done
    copy_glob "$from/sys/class/dmi/id" product_name product_version sys_vendor board_name \
        board_vendor
    copy_glob "$from/sys/firmware/devicetree/base" model
}

# GPUs behind sys/class/drm (the AMD backend, src/gpu/amd_sysfs.c). unique_id
# is the GPU's serial number and is not copied; the driver link is kept as a
# link (its target, the driver, is not part of the tree).
capture_drm() {
    local c dev
    for c in "$from"/sys/class/drm/card[0-9]*; do
        case "$(basename "$c")" in *-*) continue ;; esac
        copy_link "$c"
        dev=$(realpath -m "$c")/device
        [ -L "$dev" ] && copy_link "$dev"
        dev=$(realpath -m "$dev")
        copy_glob "$dev" vendor device revision subsystem_vendor subsystem_device class uevent \
            product_name 'mem_info_*' gpu_busy_percent mem_busy_percent pp_dpm_sclk \
            pp_dpm_mclk power_dpm_force_performance_level current_link_speed \
            current_link_width gpu_metrics
        [ -L "$dev/driver" ] && copy_link "$dev/driver"
    done
    copy_glob "$from/sys/module/amdgpu" version
    return 0
}

# The memory cgroup levels of this shell, v1 and v2, up to the mount root.
capture_cgroup() {
    local line path base dir
    [ -r "$from/proc/self/cgroup" ] || return 0
    while IFS= read -r line; do
        path=${line#*:*:}
        case "$line" in
            0::*) base=$from/sys/fs/cgroup
                  [ -e "$base/cgroup.controllers" ] || base=$from/sys/fs/cgroup/unified ;;
            *:*memory*:*) base=$from/sys/fs/cgroup/memory ;;
            *) continue ;;
        esac
        copy_glob "$base" cgroup.controllers
        dir=$base${path%/}
        while :; do
            copy_glob "$dir" memory.max memory.current memory.high memory.limit_in_bytes \
                memory.usage_in_bytes
            [ "$dir" = "$base" ] && break
            dir=${dir%/*}
            [ ${#dir} -lt ${#base} ] && break
        done
    done <"$from/proc/self/cgroup"
}

write_scenario() {
    local kernel arch
    kernel=$(cat "$from/proc/sys/kernel/osrelease" 2>/dev/null || echo unknown)
    arch=$(cat "$from/proc/sys/kernel/arch" 2>/dev/null || uname -m)
    {
        echo "# $(basename "$out")"
        echo
        echo "Captured with \`scripts/capture-fixture.sh\` on $(date -u +%Y-%m-%d) from a machine"
        echo "running Linux $kernel ($arch)."
        echo
        echo "Machine: describe the hardware (CPU, memory, sensors) this tree mirrors."
        echo
        echo "Deliberately in it: list what a test relies on (limits, sensors, odd values)."
        echo
        echo "Hostname replaced by \"$hostname_out\"; serial numbers and UUIDs not copied."
        if [ ${#skipped[@]} -gt 0 ]; then
            echo
            echo "Not readable by the capturing user (left out):"
            printf -- '- `%s`\n' "${skipped[@]}"
        fi
    } >"$out/SCENARIO.md"
}

capture_proc
capture_etc
capture_cpus
capture_hwmon
capture_classes
capture_drm
capture_cgroup
write_scenario
echo "capture-fixture: $copied files into $out (${#skipped[@]} unreadable)"
