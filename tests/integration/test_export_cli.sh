#!/usr/bin/env bash
# test_export_cli.sh: `headroom export` and `headroom import rle-csv` end to
# end on a session recorded from the laptop fixture: CSV and JSONL with the
# same columns on every row and a sidecar that names them; the seed's
# 19-column layout; that layout imported back; '-o -' to stdout; errors.
set -euo pipefail
: "${HEADROOM:?}" "${HR_FIXTURES:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HEADROOM_NVML_LIBRARY=/nonexistent/headroom-test/libnvidia-ml.so.1
HEADROOM_ROOT=$HR_FIXTURES/linux/laptop "$HEADROOM" record -o "$work/s.db" --hz 10 --duration 2s \
    --cpu-power-limit 28 --tag model=test --quiet
fail=0
"$HEADROOM" export "$work/s.db" >"$work/csv.out"
"$HEADROOM" export "$work/s.db" --format jsonl -o "$work/s.jsonl" >/dev/null
"$HEADROOM" export "$work/s.db" --format rle-csv >/dev/null
grep -q "^wrote $work/s.csv (20 rows)" "$work/csv.out" || { echo "FAIL csv: $(cat "$work/csv.out")"; fail=1; }
"$HEADROOM" export "$work/s.db" -o - >"$work/stdout.csv"
cmp -s "$work/stdout.csv" "$work/s.csv" || { echo "FAIL '-o -' differs from the file"; fail=1; }
[ ! -e "$work/-.meta.json" ] || { echo "FAIL '-o -' wrote a sidecar"; fail=1; }

python3 - "$work" <<'PY' || fail=1
import csv, json, sys
w = sys.argv[1]
fail = []
rows = list(csv.reader(open(f"{w}/s.csv")))
header, body = rows[0], rows[1:]
if len(body) != 20 or any(len(r) != len(header) for r in body):
    fail.append(f"csv: {len(body)} rows, ragged: {sorted({len(r) for r in body})}")
meta = json.load(open(f"{w}/s.csv.meta.json"))
if meta["export"]["columns"] != header:
    fail.append("sidecar columns differ from the CSV header")
if meta["session"]["state"] != "finished" or meta["session"]["ticks"] != 20:
    fail.append(f"sidecar session: {meta['session']}")
if meta["tags"] != {"model": "test"} or not meta.get("host"):
    fail.append(f"sidecar tags/host: {meta['tags']}, host {bool(meta.get('host'))}")
if "coretemp/Package id 0[celsius]" not in header or "cpu/rle[index]" not in header:
    fail.append(f"expected channels missing from {header[:8]}...")
col = header.index("coretemp/Package id 0[celsius]")
if not all(float(r[col]) > 20 for r in body):
    fail.append("fixture temperature not in base units (celsius)")
lines = [json.loads(l) for l in open(f"{w}/s.jsonl")]
if len(lines) != 20 or any(list(l.keys()) != header for l in lines):
    fail.append("jsonl: keys differ from the CSV columns or between rows")
rle = list(csv.reader(open(f"{w}/s.rle.csv")))
if rle[0][:3] != ["timestamp", "device", "rle_smoothed"] or any(len(r) != 19 for r in rle):
    fail.append(f"rle-csv: header {rle[0][:3]}, widths {sorted({len(r) for r in rle})}")
if not all(r[1] == "cpu" for r in rle[1:]) or len(rle) != 21:
    fail.append(f"rle-csv: {len(rle) - 1} rows (expected 20 CPU rows, no GPU here)")
for f in fail:
    print("FAIL", f)
sys.exit(1 if fail else 0)
PY

# The seed's layout imports back into a session.
"$HEADROOM" import rle-csv "$work/s.rle.csv" -o "$work/back.db" >"$work/imp.out"
grep -q "^imported 20 of 20 rows" "$work/imp.out" || { echo "FAIL import: $(cat "$work/imp.out")"; fail=1; }
rc=0
"$HEADROOM" import rle-csv "$work/s.rle.csv" -o "$work/back.db" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || { echo "FAIL import over an existing session: exit $rc"; fail=1; }
printf 'junk\n\n' >"$work/junk.csv"
rc=0
"$HEADROOM" import rle-csv "$work/junk.csv" -o "$work/junk.db" 2>"$work/junk.err" || rc=$?
[ "$rc" = 1 ] && grep -q "no readable row" "$work/junk.err" && [ ! -e "$work/junk.db" ] ||
    { echo "FAIL import of junk: exit $rc: $(cat "$work/junk.err")"; fail=1; }

# Errors: a missing session, a bad format, no file.
rc=0
"$HEADROOM" export "$work/none.db" 2>"$work/e.err" || rc=$?
[ "$rc" = 1 ] && grep -q "none.db" "$work/e.err" || { echo "FAIL missing session: exit $rc"; fail=1; }
rc=0
"$HEADROOM" export "$work/s.db" --format xml 2>/dev/null || rc=$?
[ "$rc" = 2 ] || { echo "FAIL --format xml: exit $rc"; fail=1; }
rc=0
"$HEADROOM" export 2>/dev/null || rc=$?
[ "$rc" = 2 ] || { echo "FAIL export without a file: exit $rc"; fail=1; }
rc=0
"$HEADROOM" import csv x -o y 2>/dev/null || rc=$?
[ "$rc" = 2 ] || { echo "FAIL import csv: exit $rc"; fail=1; }
exit $fail
