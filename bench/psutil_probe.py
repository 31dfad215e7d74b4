#!/usr/bin/env python3
"""psutil reading the equivalent of one headroom probe sample, timed per tick.

The equivalent: per-CPU times (utilisation and iowait), memory and swap,
temperatures, fans, per-CPU frequency, and the cgroup memory limit and PSI
files (psutil has no API for those, so they are read the way a Python user
would, with open().read()). Prints one JSON object."""
import json
import os
import sys
import time

import psutil



def extra_files():
    files = ["/proc/pressure/memory", "/proc/pressure/cpu", "/proc/pressure/io"]
    for f in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"):
        if os.path.exists(f):
            files.append(f)
    return [f for f in files if os.access(f, os.R_OK)]


def tick(files):
    psutil.cpu_times(percpu=True)
    psutil.cpu_times_percent(interval=None, percpu=True)
    psutil.virtual_memory()
    psutil.swap_memory()
    psutil.sensors_temperatures()
    psutil.sensors_fans()
    psutil.cpu_freq(percpu=True)
    for f in files:
        with open(f) as fh:
            fh.read()


def main():
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    files = extra_files()
    for _ in range(50):
        tick(files)
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(iterations):
        tick(files)
    cpu_us = (time.process_time() - c0) * 1e6 / iterations
    wall_us = (time.perf_counter() - w0) * 1e6 / iterations
    print(json.dumps({"psutil_version": psutil.__version__, "iterations": iterations,
                      "psutil_cpu_us": round(cpu_us, 2), "psutil_wall_us": round(wall_us, 2)}))


if __name__ == "__main__":
    main()
