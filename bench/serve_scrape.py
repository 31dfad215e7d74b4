#!/usr/bin/env python3
"""serve_scrape.py PID idle SECONDS: the CPU the process PID spends per
second while nobody scrapes it (headroom's sampling thread), as JSON.

serve_scrape.py PID PORT N [keepalive|close]: scrapes
http://127.0.0.1:PORT/metrics N times without compression, over one
persistent connection as Prometheus does (keepalive, the default) or over a
new connection each time (close), and prints one JSON object: the
scrape latency (p50, p99, mean, in ms, measured here around each request),
the series in one scrape (sample lines), and the CPU the server process PID
spent over the N scrapes (utime + stime of /proc/PID/stat, every thread,
and the summed per-thread schedstat run time in ns for finer resolution)."""
import http.client
import json
import os
import sys
import time


class Scraper:
    """GET /metrics; keeps one connection open unless told to close."""

    def __init__(self, port, keepalive):
        self.port, self.keepalive, self.conn = port, keepalive, None

    def __call__(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {} if self.keepalive else {"Connection": "close"}
        self.conn.request("GET", "/metrics", headers=headers)
        r = self.conn.getresponse()
        body = r.read()
        if not self.keepalive or r.will_close:
            self.conn.close()
            self.conn = None
        return r.status, body


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15; after the ")" split they are 11, 12.
    return int(fields[11]) + int(fields[12])


def run_ns(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def series(body):
    text = body.decode("utf-8", "replace")
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def idle(pid, seconds):
    r0, a = run_ns(pid), time.perf_counter()
    time.sleep(seconds)
    r1, b = run_ns(pid), time.perf_counter()
    print(json.dumps({"idle_seconds": round(b - a, 3),
                      "idle_cpu_us_per_s": round((r1 - r0) / 1e3 / (b - a), 2)}))


def main():
    if sys.argv[2] == "idle":
        idle(int(sys.argv[1]), float(sys.argv[3]))
        return
    pid, port, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "keepalive"
    scrape = Scraper(port, mode == "keepalive")
    status, first = scrape()
    if status != 200:
        sys.exit(f"serve_scrape: {port}: status {status}")
    nseries = series(first)
    for _ in range(min(20, n)):  # warm-up
        scrape()
    hz = os.sysconf("SC_CLK_TCK")
    t0, r0 = cpu_ticks(pid), run_ns(pid)
    lat = []
    for _ in range(n):
        a = time.perf_counter()
        status, _ = scrape()
        lat.append((time.perf_counter() - a) * 1000.0)
        if status != 200:
            sys.exit(f"serve_scrape: a scrape failed with status {status}")
    t1, r1 = cpu_ticks(pid), run_ns(pid)
    lat.sort()
    cpu_ms_ticks = (t1 - t0) * 1000.0 / hz / n
    cpu_ms_sched = (r1 - r0) / 1e6 / n if r1 > r0 else None
    cpu_ms = cpu_ms_sched if cpu_ms_sched is not None else cpu_ms_ticks
    print(json.dumps({
        "connection": mode,
        "scrapes": n,
        "series": nseries,
        "latency_p50_ms": round(lat[len(lat) // 2], 4),
        "latency_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 4),
        "latency_mean_ms": round(sum(lat) / len(lat), 4),
        "cpu_ms_per_scrape": round(cpu_ms, 5),
        "cpu_ms_per_scrape_ticks": round(cpu_ms_ticks, 5),
        "cpu_us_per_series": round(cpu_ms * 1000.0 / nseries, 5),
    }))


if __name__ == "__main__":
    main()
