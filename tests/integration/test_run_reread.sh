#!/usr/bin/env bash
# test_run_reread.sh: `headroom run --dataset-bytes` stores the job's own
# read total from /proc/PID/io, and the report finds a job that re-reads its
# data set (seed 001's input-bound job) and not one that reads it once.
set -euo pipefail
: "${HEADROOM:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# 32 MiB: large against what python3 itself reads at start-up (its modules),
# which rchar counts too.
head -c 33554432 /dev/urandom >"$work/data.bin"


for passes in 40 1; do
    "$HEADROOM" run -o "$work/r$passes.db" --hz 4 --quiet --dataset-bytes 32MiB -- \
        python3 -c '
import sys, time
for _ in range(int(sys.argv[2])):
    with open(sys.argv[1], "rb") as f:
        f.read()
time.sleep(1.5)' "$work/data.bin" "$passes" || fail "run exited non-zero"
    "$HEADROOM" report "$work/r$passes.db" --format json -o "$work/r$passes.json" >/dev/null
done

python3 - "$work" <<'PY'
import json, sqlite3, sys
work = sys.argv[1]
def meta(db, key):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = dict(con.execute("select key, value from meta").fetchall())
    finally:
        con.close()
    return rows.get(key)
rchar = int(meta(f"{work}/r40.db", "job_rchar_bytes"))
assert int(meta(f"{work}/r40.db", "dataset_bytes")) == 32 << 20
assert rchar >= 40 * (32 << 20), rchar
def findings(path):
    doc = json.load(open(path))
    return [f.get("id") or f.get("kind") for f in doc.get("findings", [])]
f40, f1 = findings(f"{work}/r40.json"), findings(f"{work}/r1.json")
assert "input_reread" in f40, f40
assert "input_reread" not in f1, f1
print("re-read found at 40 passes (rchar %d bytes), not at 1" % rchar)
PY
