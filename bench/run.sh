#!/usr/bin/env bash
# bench/run.sh BUILD_DIR: runs every benchmark and prints ratios against the
# peer measured in the same run. Results also go to bench/out/*.json.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
mkdir -p "$out"
# Debian's interpreter: python3-psutil is installed for it, not for a pyenv python3.
py=${PYTHON:-/usr/bin/python3}
cmake --build "$build" --target probe_bench >/dev/null

echo "== probe: one full sample, live machine =="
"$build/bench/probe_bench" --iterations 20000 | tee "$out/probe_live.json"
"$py" "$here/psutil_probe.py" 5000 | tee "$out/psutil_live.json"
"$py" - "$out/probe_live.json" "$out/psutil_live.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); q = json.load(open(sys.argv[2]))
print(f"headroom refresh {p['probe_cpu_us']:.1f} us CPU, pread floor {p['floor_cpu_us']:.1f} us "
      f"({p['preads_per_sample']} preads): {p['ratio_to_floor']:.2f}x the floor (target <= 1.5x)")
print(f"psutil equivalent {q['psutil_cpu_us']:.1f} us CPU: headroom is "
      f"{q['psutil_cpu_us'] / p['probe_cpu_us']:.1f}x cheaper (target >= 10x)")
PY
for scenario in laptop amd-workstation; do
    dir=$here/../tests/fixtures/linux/$scenario
    [ -d "$dir" ] || continue
    echo "== probe: one full sample, fixture $scenario (regular files, not sysfs) =="
    "$build/bench/probe_bench" --root "$dir" --iterations 20000 | tee "$out/probe_$scenario.json"
done

echo "== governor: thermal simulator, every policy vs the seed and the best duty cycle =="
cmake --build "$build" --target governor_sim >/dev/null
"$build/bench/governor_sim" | tee "$out/governor_sim.md"
"$build/bench/governor_sim" --json > "$out/governor_sim.json"

echo "== report: a 24 h, 1 Hz, 60-channel session =="
"$here/report_bench.sh" "$build"

bash "$here/serve_bench.sh" "$build"

echo "== record: recorder CPU and tick lateness at 1/10/100/1000 Hz vs a psutil loop (same run) =="
"$py" "$here/record_bench.py" "$build/headroom" "$out/record.json" "${RECORD_SECONDS:-20}"
