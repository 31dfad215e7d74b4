#!/usr/bin/env bash
# test_record_vanish.sh: a sensor that disappears while `headroom record`
# runs (a copy of the laptop fixture; coretemp's Core 0 input is emptied and
# deleted after about a second) is recorded as missing from then on, with a
# "channel_missing" event saying why, while every other channel and the
# recording itself go on to the end of the duration.
set -euo pipefail
: "${HEADROOM:?}" "${HR_FIXTURES:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$HR_FIXTURES/linux/laptop" "$work/root"
input=$(readlink -f "$work/root/sys/class/hwmon/hwmon3")/temp2_input
[ "$(cat "$(dirname "$input")/temp2_label")" = "Core 0" ] || { echo "FAIL fixture changed: temp2 is not Core 0"; exit 1; }
export HEADROOM_ROOT=$work/root HEADROOM_NVML_LIBRARY=/nonexistent/headroom-test/libnvidia-ml.so.1
"$HEADROOM" record -o "$work/v.db" --hz 10 --duration 3s --quiet &
pid=$!
sleep 1.2
: >"$input"
rm -f "$input"
wait "$pid"
unset HEADROOM_ROOT
"$HEADROOM" export "$work/v.db" -o "$work/v.csv" >/dev/null
python3 - "$work/v.csv" "$work/v.db" <<'PY'
import csv, sqlite3, sys
rows = list(csv.DictReader(open(sys.argv[1])))
fail = []
if len(rows) != 30:
    fail.append(f"{len(rows)} ticks, expected 30: recording did not go on")
core0 = [r["coretemp/Core 0[celsius]"] for r in rows]
core1 = [r["coretemp/Core 1[celsius]"] for r in rows]
known = [v != "" for v in core0]
first_gap = known.index(False) if False in known else None
if first_gap is None or first_gap < 5:
    fail.append(f"Core 0 never went missing, or too early: {core0}")
elif any(known[first_gap:]):
    fail.append(f"Core 0 came back: {core0}")
elif any(v in ("0", "0.0") for v in core0):
    fail.append("a missing value was written as 0")
if any(v == "" for v in core1):
    fail.append(f"Core 1 lost values: {core1}")
db = sqlite3.connect(sys.argv[2])
ev = db.execute("SELECT kind, detail FROM events WHERE kind = 'channel_missing'").fetchall()
if len(ev) != 1 or "coretemp/Core 0" not in ev[0][1]:
    fail.append(f"events: {ev}")
state = db.execute("SELECT value FROM meta WHERE key = 'state'").fetchone()[0]
if state != "finished":
    fail.append(f"state {state}")
for f in fail:
    print("FAIL", f)
if not fail:
    print(f"Core 0 missing from tick {first_gap} of 30; event: {ev[0][1]}")
sys.exit(1 if fail else 0)
PY
