#!/usr/bin/env bash
# test_serve_attached.sh: `record --serve` and `run --serve` expose /metrics
# from the recorder's own ticks, with the job's state under run.
set -euo pipefail
: "${HEADROOM:?}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# scrape URL PATTERN: polls for up to 5 s until the body matches PATTERN.
scrape() {
    python3 - "$1" "$2" <<'PY'
import re, sys, time, urllib.request
url, pat = sys.argv[1], sys.argv[2]
deadline, body = time.time() + 5, ""
while time.time() < deadline:
    try:
        body = urllib.request.urlopen(url, timeout=1).read().decode()
        if re.search(pat, body, re.M):
            print(body)
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
sys.stderr.write(body[-2000:])
sys.exit(1)
PY
}

port=$(free_port)
"$HEADROOM" record -o "$work/r.db" --duration 6s --hz 4 --quiet --serve "127.0.0.1:$port" \
    2>"$work/rec.err" &
rec=$!
scrape "http://127.0.0.1:$port/metrics" '^headroom_memory_total_bytes [0-9]' >"$work/rec.prom" ||
    fail "record --serve: no memory series ($(cat "$work/rec.err"))"
grep -q '^headroom_job_state' "$work/rec.prom" && fail "record has no job, yet a job state was served"
grep -q "serving http://127.0.0.1:$port/metrics" "$work/rec.err" || fail "record --serve prints its URL"
wait $rec || fail "record --serve exited non-zero"

port=$(free_port)
"$HEADROOM" run -o "$work/run.db" --hz 4 --policy batch --batch-size 3 --break 2 \
    --serve "127.0.0.1:$port" -- "$HEADROOM" stress --steps 8 --units-per-step 50 \
    >/dev/null 2>"$work/run.err" &
run=$!
scrape "http://127.0.0.1:$port/metrics" '^headroom_job_state\{state="paused"\} 1' >"$work/run.prom" ||
    fail "run --serve never showed the job paused ($(tail -5 "$work/run.err"))"
grep -Eq '^headroom_job_cooling_pauses_total [1-9]' "$work/run.prom" || fail "cooling pauses counted"
wait $run || fail "run --serve: the job's status was not 0"

set +e
"$HEADROOM" run --no-record --serve 127.0.0.1:1 -- true 2>"$work/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "--serve with --no-record is a usage error (got $rc)"
grep -q -- '--serve needs recording' "$work/err" || fail "usage error names the conflict"
echo "serve attached to record and run ok"
