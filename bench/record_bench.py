#!/usr/bin/env python3
"""Recorder cost and cadence against a psutil loop, in the same run.

For each rate, `headroom record` runs for DURATION seconds (its CPU time from
getrusage of the child, its tick lateness p50/p99 from its own summary) and a
psutil loop samples the equivalent (bench/psutil_probe.py's tick) on absolute
deadlines for the same time (its CPU time and lateness measured the same way).
Also bytes per stored reading from the 1000 Hz session file.
Usage: record_bench.py HEADROOM OUT.json [DURATION_S]"""
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


def headroom_run(headroom, hz, duration, path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([headroom, "record", "-o", path, "--force", "--hz", str(hz),
                          "--duration", f"{duration}s"], capture_output=True, text=True,
                         check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    late = re.search(r"late by p50 ([0-9.]+) ms, p99 ([0-9.]+) ms", out)
    ticks = re.search(r"recorded (\d+) ticks", out)
    missed = re.search(r"(\d+) missed", out)
    chans = re.search(r"channels\s+(\d+)", out)
    return {"cpu_share_of_core": cpu / duration,
            "late_p50_ms": float(late.group(1)), "late_p99_ms": float(late.group(2)),
            "ticks": int(ticks.group(1)), "missed": int(missed.group(1)),
            "channels": int(chans.group(1))}


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
    return {"cpu_share_of_core": cpu / duration, "late_p50_ms": round(pick(0.5), 3),
            "late_p99_ms": round(pick(0.99), 3), "ticks": len(lateness), "missed": missed}


def main():
    headroom, out = sys.argv[1], sys.argv[2]
    duration = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    res = {"duration_s": duration, "rates": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for hz in RATES:
            path = os.path.join(tmp, f"r{hz}.db")
            h = headroom_run(headroom, hz, duration, path)
            p = psutil_run(hz, duration)
            res["rates"][hz] = {"headroom": h, "psutil": p}
            ratio = p["cpu_share_of_core"] / h["cpu_share_of_core"] if h["cpu_share_of_core"] else 0
            print(f"  {hz:5d} Hz  headroom {100 * h['cpu_share_of_core']:6.2f} % of a core, "
                  f"late p50 {h['late_p50_ms']:.3f} p99 {h['late_p99_ms']:.3f} ms, "
                  f"{h['missed']} missed | psutil {100 * p['cpu_share_of_core']:6.2f} %, "
                  f"late p50 {p['late_p50_ms']:.3f} p99 {p['late_p99_ms']:.3f} ms, "
                  f"{p['missed']} missed | psutil/headroom CPU {ratio:.1f}x")
            if hz == RATES[-1]:
                size = os.path.getsize(path)
                readings = h["ticks"] * h["channels"]
                res["bytes_per_reading"] = size / readings if readings else None
                print(f"  bytes per stored reading ({hz} Hz, {h['ticks']} ticks x "
                      f"{h['channels']} channels, file {size} B): {res['bytes_per_reading']:.1f}")
    json.dump(res, open(out, "w"), indent=2)


if __name__ == "__main__":
    main()
