#!/usr/bin/env bash
# test_record_kill.sh: kill -9 a real `headroom record` at random points, many
# times. Every time the session file must pass PRAGMA integrity_check, hold
# whole ticks only (no samples of a tick that was not committed), lose at
# most the last second before the kill, and export afterwards as an
# interrupted session whose end is its last tick. Checked with python3's
# sqlite3 module (no sqlite3 CLI needed). Runs in about 30-40 s.
set -euo pipefail
: "${HEADROOM:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
HR_KILL_RUNS=${HR_KILL_RUNS:-24} python3 - "$HEADROOM" "$work" <<'PY'
import csv, json, os, random, signal, sqlite3, subprocess, sys, time

headroom, work = sys.argv[1], sys.argv[2]
runs = int(os.environ["HR_KILL_RUNS"])
rng = random.Random(int(os.environ.get("HR_KILL_SEED", time.time())))
failures = []

def check(run, path, t_start, t_kill, early):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        # Killed before the file was made (only allowed for the early kills).
        if not early:
            failures.append(f"run {run}: no session file after {t_kill - t_start:.2f} s")
        return None
    db = sqlite3.connect(path)
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        failures.append(f"run {run}: integrity_check: {ok}")
        return None
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "ticks" not in tables:
        if not early:
            failures.append(f"run {run}: no schema after {t_kill - t_start:.2f} s")
        return None
    n, first, last = db.execute("SELECT count(*), min(tick), max(tick) FROM ticks").fetchone()
    if n and (first != 0 or last != n - 1):
        failures.append(f"run {run}: ticks not contiguous: {n} rows, {first}..{last}")
    orphan = db.execute("SELECT count(*) FROM samples WHERE (tick_channel >> 12) > "
                        "coalesce((SELECT max(tick) FROM ticks), -1)").fetchone()[0]
    if orphan:
        failures.append(f"run {run}: {orphan} samples of an uncommitted tick")
    if not early:
        last_wall = db.execute("SELECT max(t_wall_ns) FROM ticks").fetchone()[0]
        lost = t_kill - (last_wall or 0) / 1e9
        if lost > 1.0:
            failures.append(f"run {run}: last tick {lost:.3f} s before the kill")
        per_tick = db.execute("SELECT count(*) FROM samples WHERE (tick_channel >> 12) = ?",
                              (last,)).fetchone()[0]
        if per_tick == 0 and db.execute("SELECT count(*) FROM channels").fetchone()[0]:
            failures.append(f"run {run}: the last tick has no samples")
    db.close()
    return n

for run in range(runs):
    path = os.path.join(work, f"k{run}.db")
    early = run % 8 == 7
    delay = rng.uniform(0.0, 0.05) if early else rng.uniform(0.25, 1.6)
    hz = rng.choice([10, 20, 50, 100])
    t_start = time.time()
    p = subprocess.Popen([headroom, "record", "-o", path, "--hz", str(hz), "--quiet"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    t_kill = time.time()
    p.send_signal(signal.SIGKILL)
    p.wait()
    n = check(run, path, t_start, t_kill, early)
    if n is None or early:
        continue
    out = os.path.join(work, f"k{run}.csv")
    r = subprocess.run([headroom, "export", path, "-o", out], capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"run {run}: export failed: {r.stderr.strip()}")
        continue
    rows = list(csv.reader(open(out)))
    if len(rows) != n + 1 or len({len(x) for x in rows}) != 1:
        failures.append(f"run {run}: export has {len(rows) - 1} rows for {n} ticks "
                        f"or ragged columns")
    meta = json.load(open(out + ".meta.json"))
    sess = meta["session"]
    if sess["state"] != "interrupted":
        failures.append(f"run {run}: state {sess['state']} after kill -9")
    db = sqlite3.connect(path)
    last_mono, last_wall = db.execute(
        "SELECT t_mono_ns, t_wall_ns FROM ticks ORDER BY tick DESC LIMIT 1").fetchone()
    if sess["end_mono_ns"] != last_mono or sess["end_wall_ns"] != last_wall:
        failures.append(f"run {run}: end {sess['end_mono_ns']} is not the last tick {last_mono}")
    db.close()
    print(f"run {run}: {hz} Hz killed after {t_kill - t_start:.2f} s: {n} ticks, "
          f"interrupted at the last tick")

for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
PY
