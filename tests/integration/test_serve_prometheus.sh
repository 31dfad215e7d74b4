#!/usr/bin/env bash
# test_serve_prometheus.sh: a real Prometheus scrapes `headroom serve` on
# loopback and stores its series, and the Grafana dashboard's queries are
# valid PromQL that find those series. headroom serves the laptop fixture with
# the fake NVML H100; `promtool check metrics` must find a real scrape
# clean; Prometheus (started here on a free loopback port, a temporary
# config scraping every second, a temporary TSDB) is queried through its
# HTTP API until our series appear (at most 30 s), then both are stopped.
# Skips (77) when prometheus, promtool or curl is missing.
set -euo pipefail
: "${HEADROOM:?}" "${HR_FIXTURES:?}" "${HR_BUILD_DIR:?}" "${HR_SOURCE_DIR:?}"
for tool in prometheus promtool curl python3; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/install-deps.sh test)"; exit 77; }
done

work=$(mktemp -d)
serve_pid=
prom_pid=
cleanup() {
    [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
    [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail=0
say_fail() { echo "FAIL $*"; fail=1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# headroom serve on a free loopback port; the URL is its first line.
FAKE_NVML_SCENARIO="$HR_FIXTURES/nvml/h100.json" \
HEADROOM_NVML_LIBRARY="$HR_BUILD_DIR/tests/fakes/libnvidia-ml.so.1" \
    "$HEADROOM" serve --listen 127.0.0.1:0 --hz 4 --root "$HR_FIXTURES/linux/laptop" \
    >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
url=
for _ in $(seq 100); do
    url=$(sed -n 's/^serving \(http:[^ ]*\).*/\1/p' "$work/serve.out")
    [ -n "$url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$url" ] || { echo "FAIL serve did not start: $(cat "$work/serve.err")"; exit 1; }
hostport=${url#http://}
hostport=${hostport%/metrics}

# promtool on a real scrape, once the first sample is in; a loaded machine
# may take longer than the 0.25 s that 4 Hz promises.
for _ in $(seq 100); do
    sleep 0.1
    curl -sf "$url" >"$work/scrape.prom" 2>/dev/null || continue
    grep -q '^headroom_gpu_throttle_active{.*reason="sw_thermal_slowdown"} 1$' "$work/scrape.prom" &&
        break
done
[ -s "$work/scrape.prom" ] || say_fail "scrape of $url failed"
if ! promtool check metrics <"$work/scrape.prom" >"$work/promtool.out" 2>&1; then
    say_fail "promtool check metrics: $(cat "$work/promtool.out")"
fi
grep -q '^headroom_gpu_throttle_active{.*reason="sw_thermal_slowdown"} 1$' "$work/scrape.prom" ||
    say_fail "no active sw_thermal_slowdown throttle gauge in the scrape"

# Prometheus on another free loopback port, scraping every second.
prom_port=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: headroom
    static_configs:
      - targets: ['$hostport']
EOF
promtool check config "$work/prometheus.yml" >/dev/null 2>&1 || say_fail "promtool rejects the test's own config"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prom.log" 2>&1 &
prom_pid=$!

# query EXPR: prints the first result's value, or nothing.
query() {
    curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
        python3 -c 'import json,sys
d=json.load(sys.stdin)
r=d.get("data",{}).get("result",[])
print(r[0]["value"][1] if d.get("status")=="success" and r else "")' 2>/dev/null || true
}

deadline=$((SECONDS + 30))
temp=
while [ $SECONDS -lt $deadline ]; do
    kill -0 "$prom_pid" 2>/dev/null || { say_fail "prometheus exited: $(tail -5 "$work/prom.log")"; break; }
    temp=$(query 'headroom_cpu_temperature_celsius{job="headroom"}')
    [ -n "$temp" ] && break
    sleep 0.5
done
[ "$temp" = 67 ] || say_fail "Prometheus did not store headroom_cpu_temperature_celsius (got '$temp')"

if [ -n "$temp" ]; then
    up=$(query 'up{job="headroom"}')
    [ "$up" = 1 ] || say_fail "up{job=\"headroom\"} is '$up'"
    thr=$(query 'headroom_gpu_throttle_active{reason="sw_thermal_slowdown",name="NVIDIA H100 80GB HBM3"}')
    [ "$thr" = 1 ] || say_fail "throttle gauge in Prometheus: '$thr'"
    gpu_t=$(query 'headroom_gpu_temperature_celsius{index="0"}')
    [ "$gpu_t" = 44 ] || say_fail "GPU temperature in Prometheus: '$gpu_t'"
    n=$(query 'count({__name__=~"headroom_.+",job="headroom"})')
    [ "${n:-0}" -ge 100 ] 2>/dev/null || say_fail "only '$n' headroom series stored"
    # No unknown value was stored as 0: the fixture's cgroup has no limit.
    lim=$(query 'headroom_memory_cgroup_limit_bytes')
    [ -z "$lim" ] || say_fail "an unlimited cgroup limit was stored as '$lim'"
    echo "prometheus stored $n headroom series; cpu ${temp} C, gpu ${gpu_t} C, up ${up}"

    # The dashboard: every panel query parses (promtool check rules) and
    # runs; the panels whose metrics this fixture has return data.
    python3 - "$HR_SOURCE_DIR/contrib/grafana/headroom.json" "$work" "$prom_port" <<'PY' || say_fail "dashboard queries"
import json, subprocess, sys, urllib.parse, urllib.request
dash, work, port = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(dash))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
subst = lambda e: e.replace("$instance", ".*").replace("$job", "headroom").replace("$__rate_interval", "1m")
with open(f"{work}/dash-rules.yml", "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        f.write(f"      - record: dashboard:q{i}\n        expr: {json.dumps(subst(e))}\n")
r = subprocess.run(["promtool", "check", "rules", f"{work}/dash-rules.yml"], capture_output=True, text=True)
if r.returncode != 0:
    sys.exit("promtool check rules: " + r.stdout + r.stderr)
with_data, bad = 0, []
for e in exprs:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": subst(e)})
    res = json.load(urllib.request.urlopen(url, timeout=10))
    if res.get("status") != "success":
        bad.append(e)
    elif res["data"]["result"]:
        with_data += 1
print(f"dashboard: {len(exprs)} queries, {with_data} with data on the fixture")
if bad:
    sys.exit("queries failed: " + "; ".join(bad))
if with_data < 20:
    sys.exit(f"only {with_data} dashboard queries found data")
PY
fi

kill "$prom_pid"
wait "$prom_pid" 2>/dev/null || true
prom_pid=
kill -TERM "$serve_pid"
rc=0
wait "$serve_pid" || rc=$?
serve_pid=
[ "$rc" = 0 ] || say_fail "serve exited $rc on SIGTERM: $(cat "$work/serve.err")"
[ ! -s "$work/serve.err" ] || say_fail "serve wrote to stderr: $(cat "$work/serve.err")"
exit $fail
