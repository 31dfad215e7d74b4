#!/usr/bin/env bash
# bench/serve_bench.sh BUILD_DIR: /metrics scrape latency (p50, p99) and
# server CPU per series, headroom serve against prometheus-node-exporter,
# both started here on loopback and scraped the same way in the same run
# (bench/serve_scrape.py: no compression; over one kept-alive connection as
# Prometheus scrapes, then over a new connection per scrape; CPU from the
# server's /proc/PID/stat and per-thread schedstat, so the sampling thread's
# work counts too). Prints the ratio of CPU per series for both; DESIGN.md's
# target is at least 10x cheaper.
# Results go to bench/out/serve.json. Environment: HEADROOM (the CLI,
# default BUILD_DIR/headroom), SERVE_SCRAPES (headroom, default 3000),
# NODE_SCRAPES (node_exporter, default 300), PYTHON.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
mkdir -p "$out"
py=${PYTHON:-/usr/bin/python3}
headroom=${HEADROOM:-$build/headroom}
if [ -z "${HEADROOM:-}" ]; then
    cmake --build "$build" --target headroom_cli >/dev/null
fi
node=$(command -v prometheus-node-exporter || command -v node_exporter || true)
if [ ! -x "$headroom" ]; then
    echo "serve_bench: $headroom not built (cmake --build $build)" >&2
    exit 1
fi
if [ -z "$node" ]; then
    echo "serve_bench: prometheus-node-exporter not installed (scripts/install-deps.sh test)" >&2
    exit 1
fi

work=$(mktemp -d)
hr_pid=
ne_pid=
cleanup() {
    [ -n "$hr_pid" ] && kill "$hr_pid" 2>/dev/null && wait "$hr_pid" 2>/dev/null || true
    [ -n "$ne_pid" ] && kill "$ne_pid" 2>/dev/null && wait "$ne_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # port pid
    for _ in $(seq 100); do
        "$py" -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),timeout=1)' "$1" \
            2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

hr_port=$(free_port)
"$headroom" serve --listen "127.0.0.1:$hr_port" >"$work/hr.out" 2>&1 &
hr_pid=$!
ne_port=$(free_port)
"$node" --web.listen-address="127.0.0.1:$ne_port" --log.level=error >"$work/ne.out" 2>&1 &
ne_pid=$!
wait_port "$hr_port" "$hr_pid" || { cat "$work/hr.out" >&2; exit 1; }
wait_port "$ne_port" "$ne_pid" || { cat "$work/ne.out" >&2; exit 1; }
sleep 1.5 # two samples, so that rates are in the headroom scrape

echo "== serve: /metrics scrape, headroom serve vs prometheus-node-exporter (same run) =="
for mode in keepalive close; do
    "$py" "$here/serve_scrape.py" "$hr_pid" "$hr_port" "${SERVE_SCRAPES:-3000}" "$mode" >"$work/hr-$mode.json"
    "$py" "$here/serve_scrape.py" "$ne_pid" "$ne_port" "${NODE_SCRAPES:-300}" "$mode" >"$work/ne-$mode.json"
done
# headroom samples on its own clock (1 Hz here) whether or not anyone
# scrapes; node_exporter reads at scrape time. Measure the sampling apart.
"$py" "$here/serve_scrape.py" "$hr_pid" idle "${IDLE_SECONDS:-5}" >"$work/hr-idle.json"
"$py" - "$work" "$out/serve.json" "$("$node" --version 2>&1 | head -1)" <<'PY'
import json, sys
work, out, version = sys.argv[1:4]
res = {"node_exporter_version": version, "target_ratio": 10}
idle = json.load(open(f"{work}/hr-idle.json"))
res["headroom_sampling"] = idle
labels = {"keepalive": "one kept-alive connection, as Prometheus scrapes",
          "close": "a new connection per scrape"}
for mode in ("keepalive", "close"):
    h = json.load(open(f"{work}/hr-{mode}.json")); n = json.load(open(f"{work}/ne-{mode}.json"))
    ratio = n["cpu_us_per_series"] / h["cpu_us_per_series"] if h["cpu_us_per_series"] > 0 else float("inf")
    res[mode] = {"headroom": h, "node_exporter": n, "cpu_per_series_ratio": round(ratio, 2)}
    print(f"-- {labels[mode]}")
    for name, r in (("headroom serve", h), ("node_exporter", n)):
        print(f"   {name:15s} {r['series']:5d} series  latency p50 {r['latency_p50_ms']:.3f} ms  "
              f"p99 {r['latency_p99_ms']:.3f} ms  CPU {r['cpu_ms_per_scrape']*1000:.1f} us/scrape  "
              f"{r['cpu_us_per_series']:.3f} us/series ({r['scrapes']} scrapes)")
    print(f"   headroom serve is {ratio:.1f}x cheaper in CPU per series than node_exporter "
          f"(target >= 10x)")
# All in: a 15 s scrape interval, headroom sampling at 1 Hz (15 samples per
# scrape) or at the scrape's own pace (1 sample per scrape).
sample_us = idle["idle_cpu_us_per_s"]  # at 1 Hz: one sample per second
h = res["keepalive"]["headroom"]; n = res["keepalive"]["node_exporter"]
node_us = n["cpu_ms_per_scrape"] * 1000 / n["series"]
print(f"-- all in, 15 s scrape interval (sampling {sample_us:.0f} us per sample here)")
allin = {}
for label, samples in (("--hz 1", 15), ("--hz 0.0667", 1)):
    per_series = (h["cpu_ms_per_scrape"] * 1000 + samples * sample_us) / h["series"]
    allin[label] = round(node_us / per_series, 2)
    print(f"   {label:12s} headroom {per_series:.2f} us/series per scrape interval, "
          f"node_exporter {node_us:.2f}: {node_us / per_series:.1f}x")
res["all_in_15s_ratio"] = allin
json.dump(res, open(out, "w"), indent=2)
PY
