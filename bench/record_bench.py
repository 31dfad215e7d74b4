#!/usr/bin/env python3
"""Recorder cost and cadence against a psutil loop, in the same run.

For each rate, `headroom record` runs for DURATION seconds (its CPU time from
getrusage of the child, its tick lateness p50/p99 from its own summary) and a
psutil loop samples the equivalent (bench/psutil_probe.py's tick) on absolute
deadlines for the same time (its CPU time and lateness measured the same way).
CPU is given as a share of one core for the whole process, start-up and the
session file included, and per tick: the whole process's CPU less its
start-up (a 1-tick recording, measured first), divided by the ticks.
Also bytes per stored reading from the 1000 Hz session file, and, when
probe_bench is built next to HEADROOM (bench/probe_bench), the floor under
sampling at 100 Hz: a loop woken on the same deadlines doing nothing, the
same preads, and a full probe refresh, without storage.
Usage: record_bench.py HEADROOM OUT.json [DURATION_S] [RATES, e.g. 1,10,100,1000]"""
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import psutil_probe  # noqa: E402

RATES = (1, 10, 100, 1000)
FLOOR_HZ = 100


def cpu_of_children(before):
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup_cpu(headroom, path, runs=3):
    """CPU of a 1 Hz recording of one tick: start-up, one tick, the finish."""
    best = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([headroom, "record", "-o", path, "--force", "--hz", "1",
                        "--duration", "1s", "--quiet"], capture_output=True, check=True)
        cpu = cpu_of_children(before)
        best = cpu if best is None else min(best, cpu)
    return best


def floor_run(headroom, seconds):
    bench = os.path.join(os.path.dirname(os.path.abspath(headroom)), "bench", "probe_bench")
    if not os.access(bench, os.X_OK):
        return None
    out = subprocess.run([bench, "--hz", str(FLOOR_HZ), "--seconds", str(seconds)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def headroom_run(headroom, hz, duration, path, startup):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([headroom, "record", "-o", path, "--force", "--hz", str(hz),
                          "--duration", f"{duration}s"], capture_output=True, text=True,
                         check=True).stdout
    cpu = cpu_of_children(before)
    late = re.search(r"late by p50 ([0-9.]+) ms, p99 ([0-9.]+) ms", out)
    ticks = re.search(r"recorded (\d+) ticks", out)
    missed = re.search(r"(\d+) missed", out)
    chans = re.search(r"channels\s+(\d+)", out)
    n = int(ticks.group(1))
    return {"cpu_share_of_core": cpu / duration,
            "cpu_us_per_tick": max(cpu - startup, 0) / max(n - 1, 1) * 1e6,
            "late_p50_ms": float(late.group(1)), "late_p99_ms": float(late.group(2)),
            "ticks": n, "missed": int(missed.group(1)),
            "channels": int(chans.group(1)), "store": store_figures(out)}


def store_figures(out):
    m = re.search(r"store p50 ([0-9.]+) ms, p99 ([0-9.]+) ms", out)
    return {"p50_ms": float(m.group(1)), "p99_ms": float(m.group(2))} if m else None


def psutil_run(hz, duration):
    files = psutil_probe.extra_files()
    period = 1.0 / hz
    start = time.monotonic() + period
    lateness, missed, k = [], 0, 0
    c0 = time.process_time()
    while True:
        deadline = start + k * period
        if deadline - start >= duration:
            break
        now = time.monotonic()
        if now < deadline:
            time.sleep(deadline - now)
        woke = time.monotonic()
        lateness.append(woke - deadline)
        psutil_probe.tick(files)
        k += 1
        behind = int((time.monotonic() - start) / period)
        if behind > k:
            missed += behind - k
            k = behind
    cpu = time.process_time() - c0
    lateness.sort()
    pick = lambda q: lateness[min(len(lateness) - 1, int(q * len(lateness)))] * 1e3
    return {"cpu_share_of_core": cpu / duration,
            "cpu_us_per_tick": cpu / max(len(lateness), 1) * 1e6,
            "late_p50_ms": round(pick(0.5), 3),
            "late_p99_ms": round(pick(0.99), 3), "ticks": len(lateness), "missed": missed}


def main():
    headroom, out = sys.argv[1], sys.argv[2]
    duration = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    rates = tuple(int(r) for r in sys.argv[4].split(",")) if len(sys.argv) > 4 else RATES
    res = {"duration_s": duration, "rates": {}}
    with tempfile.TemporaryDirectory() as tmp:
        startup = startup_cpu(headroom, os.path.join(tmp, "startup.db"))
        res["startup_cpu_ms"] = startup * 1e3
        print(f"  start-up (a 1-tick recording, best of 3): {startup * 1e3:.1f} ms CPU")
        for hz in rates:
            path = os.path.join(tmp, f"r{hz}.db")
            h = headroom_run(headroom, hz, duration, path, startup)
            p = psutil_run(hz, duration)
            res["rates"][hz] = {"headroom": h, "psutil": p}
            ratio = p["cpu_share_of_core"] / h["cpu_share_of_core"] if h["cpu_share_of_core"] else 0
            store = h["store"] or {"p50_ms": float("nan"), "p99_ms": float("nan")}
            print(f"  {hz:5d} Hz  headroom {100 * h['cpu_share_of_core']:6.2f} % of a core "
                  f"({h['cpu_us_per_tick']:.0f} us/tick), "
                  f"late p50 {h['late_p50_ms']:.3f} p99 {h['late_p99_ms']:.3f} ms, "
                  f"{h['missed']} missed, store p50 {store['p50_ms']:.3f} p99 "
                  f"{store['p99_ms']:.3f} ms | psutil {100 * p['cpu_share_of_core']:6.2f} % "
                  f"({p['cpu_us_per_tick']:.0f} us/tick), "
                  f"late p50 {p['late_p50_ms']:.3f} p99 {p['late_p99_ms']:.3f} ms, "
                  f"{p['missed']} missed | psutil/headroom CPU {ratio:.1f}x")
            if hz == 1000:
                size = os.path.getsize(path)
                readings = h["ticks"] * h["channels"]
                res["bytes_per_reading"] = size / readings if readings else None
                print(f"  bytes per stored reading ({hz} Hz, {h['ticks']} ticks x "
                      f"{h['channels']} channels, file {size} B): {res['bytes_per_reading']:.1f}")
    floor = floor_run(headroom, min(duration, 10.0))
    if floor:
        res["floor"] = floor
        print(f"  floor at {FLOOR_HZ} Hz without storage (probe_bench --hz): waking only "
              f"{floor['sleep_cpu_us_per_tick']:.0f} us/tick; + the {floor['preads_per_sample']} "
              f"preads {floor['floor_cpu_us_per_tick']:.0f} us/tick "
              f"({100 * floor['floor_share_of_core']:.2f} % of a core); + parsing (a full "
              f"refresh) {floor['refresh_cpu_us_per_tick']:.0f} us/tick "
              f"({100 * floor['refresh_share_of_core']:.2f} %)")
    json.dump(res, open(out, "w"), indent=2)


if __name__ == "__main__":
    main()
