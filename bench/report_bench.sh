#!/usr/bin/env bash
# bench/report_bench.sh BUILD_DIR: `headroom report` on a 24 h, 1 Hz,
# 60-channel session with a step every 2 s (bench/gen_session.c), in each
# format: wall time (best of 3), peak memory and output size, against the
# targets in ../shared/DESIGN.md (under 2 s, HTML under 5 MB). Results also
# go to bench/out/report.json. The session is written once and reused
# (delete bench/out/report_24h.db to write it again).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
mkdir -p "$out"
cmake --build "$build" --target gen_session headroom_cli >/dev/null
db=$out/report_24h.db
if [ ! -f "$db" ]; then
    echo "== writing a 24 h, 1 Hz, 60-channel session ($db) =="
    "$build/bench/gen_session" "$db" --hours 24 --hz 1
fi
echo "== headroom report: 24 h at 1 Hz, 60 channels =="
python3 - "$build/headroom" "$db" "$out" <<'PY'
import json, os, resource, subprocess, sys, time
exe, db, out = sys.argv[1:4]
results = {}
for fmt in ("html", "json", "text", "md"):
    dest = os.path.join(out, "report_24h." + fmt)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([exe, "report", db, "--format", fmt, "-o", dest], check=True,
                       stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, max over runs
    size = os.path.getsize(dest)
    results[fmt] = {"seconds": round(best, 3), "peak_kib": peak, "bytes": size}
    print(f"  {fmt:5s} {best:6.2f} s (best of 3), {peak / 1024:6.1f} MiB peak memory, "
          f"output {size / 1048576:7.2f} MiB")
json.dump(results, open(os.path.join(out, "report.json"), "w"), indent=2)
h = results["html"]
print(f"HTML report in {h['seconds']:.2f} s (target < 2 s: "
      f"{'ok' if h['seconds'] < 2 else 'MISSED'}), {h['bytes'] / 1048576:.2f} MiB "
      f"(target < 5 MiB: {'ok' if h['bytes'] < 5 * 1048576 else 'MISSED'})")
PY
