#!/usr/bin/env bash
# test_report_cli.sh: `headroom report` conventions: usage errors exit 2,
# a missing file or a file that is not a session exits 1 with
# "headroom: report: PATH: why" and a hint; each format from a session
# written by `headroom record`; the default HTML path; a session imported
# from an RLE CSV with collapse rates counted per component; a joined log.
set -euo pipefail
: "${HEADROOM:?set by ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "test_report_cli: $*" >&2
    exit 1
}
# expect RC CMD...: runs CMD, stdout/stderr to $tmp/out, $tmp/err; checks the status.
expect() {
    local want=$1 rc=0
    shift
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$tmp/err")"
}

expect 2 "$HEADROOM" report
grep -q "which session" "$tmp/err" || fail "no 'which session' message"
expect 0 "$HEADROOM" report --help
grep -q "^usage: headroom report SESSION" "$tmp/out" || fail "--help has no usage line"
expect 2 "$HEADROOM" report a.db b.db
expect 2 "$HEADROOM" report a.db --format pdf
grep -q "not html, md, text or json" "$tmp/err" || fail "bad --format message"
expect 2 "$HEADROOM" report a.db --tolerance -1
expect 2 "$HEADROOM" report a.db --slow 2 --critical 1.5
expect 2 "$HEADROOM" report a.db --bogus

expect 1 "$HEADROOM" report "$tmp/none.db"
grep -q "^headroom: report: $tmp/none.db: no such file" "$tmp/err" || fail "missing-file message: $(cat "$tmp/err")"
grep -q "^hint: " "$tmp/err" || fail "no hint for a missing file"
echo "not a database" >"$tmp/notes.txt"
expect 1 "$HEADROOM" report "$tmp/notes.txt"
grep -q "^headroom: report: $tmp/notes.txt: not a headroom session" "$tmp/err" ||
    fail "not-a-session message: $(cat "$tmp/err")"
expect 1 "$HEADROOM" report "$tmp"
grep -q "is a directory" "$tmp/err" || fail "directory message"

# A recorded session, in every format.
expect 0 "$HEADROOM" record -o "$tmp/rec.db" --duration 2s --hz 5
expect 0 "$HEADROOM" report "$tmp/rec.db"
[ -s "$tmp/rec.html" ] || fail "no rec.html beside the session"
grep -q "report: $tmp/rec.html" "$tmp/err" || fail "the HTML path is not printed"
grep -q '^<!DOCTYPE html>' "$tmp/rec.html" || fail "rec.html is not HTML"
expect 0 "$HEADROOM" report "$tmp/rec.db" --format text
grep -q "^headroom report: $tmp/rec.db" "$tmp/out" || fail "text report header"
grep -q "^Findings" "$tmp/out" || fail "text report has no findings section"
expect 0 "$HEADROOM" report "$tmp/rec.db" --format md -o -
head -1 "$tmp/out" | grep -q "^# headroom report" || fail "markdown header"
expect 0 "$HEADROOM" report "$tmp/rec.db" -o "$tmp/rec.json"
python3 - "$tmp/rec.json" <<'PY' || fail "the JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "headroom-report" and r["version"] == 1
assert r["session"]["created_by"] == "headroom record"
assert r["session"]["ticks"] >= 5
assert r["efficiency"]["known"] is False  # record has no steps: unknown, not 0
PY

# An RLE CSV (seed 004's 19 columns): 60 loops of a CPU and a GPU row; the
# GPU collapses on 15 of its 60 rows, the CPU on 3. Rates per component:
# 25 % and 5 % (the seed's mixed rate would be 18 / 120 = 15 % for both).
python3 - "$tmp/rle.csv" <<'PY'
import sys
cols = ("timestamp,device,rle_smoothed,rle_raw,rle_norm,E_th,E_pw,temp_c,vram_temp_c,power_w,"
        "util_pct,a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts,cpu_freq_ghz,"
        "cycles_per_joule")
with open(sys.argv[1], "w") as f:
    f.write(cols + "\n")
    for k in range(60):
        ts = f"2025-10-28T14:{k // 60 + 3:02d}:{k % 60:02d}.000000Z"
        g = 1 if 20 <= k < 35 else 0
        c = 1 if 40 <= k < 43 else 0
        f.write(f"{ts},gpu,{0.3 if g else 0.8:.6f},0.5,0.5,0.9,0.5,{60 + k * 0.1:.2f},,"
                f"{24.9:.2f},{90.0:.2f},0.8,600.0,35.0,0.8,{g},\n")
        f.write(f"{ts},cpu,{0.4:.6f},0.4,0.3,0.9,0.4,,,125.00,45.20,1.000,600.0,,0.6,{c},,3.40,"
                f"2.720000e+07\n")
PY
expect 0 "$HEADROOM" import rle-csv "$tmp/rle.csv" -o "$tmp/imp.db"
expect 0 "$HEADROOM" report "$tmp/imp.db" --format json
python3 - "$tmp/out" <<'PY' || fail "per-component collapse rates of the imported session"
import json, sys
r = json.load(open(sys.argv[1]))
rates = {x["component"]: x["collapse_rate"] for x in r["rle"]}
assert abs(rates["gpu0"] - 0.25) < 1e-9, rates
assert abs(rates["cpu"] - 0.05) < 1e-9, rates
assert any(f["id"] == "rle_collapse" for f in r["findings"])
PY

# A joined log with wall times (the recorded session's start plus 0.5 s per row).
start=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['session']['start_unix_ns'])" "$tmp/rec.json")
python3 - "$start" "$tmp/log.csv" <<'PY'
import sys
t0 = int(sys.argv[1]) / 1e9
with open(sys.argv[2], "w") as f:
    f.write("t,loss\n")
    for k in range(4):
        f.write(f"{t0 + 0.3 + 0.4 * k:.3f},{1.0 / (k + 1):.4f}\n")
PY
expect 0 "$HEADROOM" report "$tmp/rec.db" --steps "$tmp/log.csv" --time-column t --format json
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['session']['external_rows'] == 4, r['session']" "$tmp/out" ||
    fail "the joined log's rows"
expect 1 "$HEADROOM" report "$tmp/rec.db" --steps "$tmp/nolog.csv"
grep -q "^hint: --steps takes" "$tmp/err" || fail "no hint for a missing log"
expect 1 "$HEADROOM" report "$tmp/rec.db" --steps "$tmp/log.csv" --time-column when
grep -q "no column named 'when'" "$tmp/err" || fail "missing time column message"
echo "test_report_cli: ok"
