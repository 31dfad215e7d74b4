#!/usr/bin/env bash
# test_serve_http.sh: `headroom serve` as a process: loopback only by
# default (its listening socket in /proc/net/tcp is 127.0.0.1:9968), an
# explicit [::1] address, a port in use and usage errors, then hostile
# traffic (garbage bytes, huge headers, a long URL, slow clients sending a
# byte at a time, 50 concurrent scrapes) after which the server still
# answers and holds no more descriptors than before. SIGINT and SIGTERM
# stop it with exit 0. Traffic goes to 127.0.0.1 and ::1 only; every loop
# is bounded.
set -euo pipefail
: "${HEADROOM:?}" "${HR_FIXTURES:?}"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
fail=0
say_fail() { echo "FAIL $*"; fail=1; }
root=$HR_FIXTURES/linux/laptop

# start NAME ARGS...: starts serve, waits for its URL; sets $url and $pid.
start() {
    local name=$1
    shift
    "$HEADROOM" serve --root "$root" "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    pids+=("$pid")
    url=
    for _ in $(seq 100); do
        url=$(sed -n 's/^serving \(http:[^ ]*\).*/\1/p' "$work/$name.out")
        [ -n "$url" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# stop PID SIGNAL: sets $rc to the exit code of serve after SIGNAL.
stop() {
    kill -"$2" "$1"
    rc=0
    wait "$1" || rc=$?
}

# listening PID: "address:port" (hex, as in /proc/net/tcp*) of each
# listening socket the process holds.
listening() {
    python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
inodes = set()
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        t = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        continue
    if t.startswith("socket:["):
        inodes.add(t[8:-1])
for table in ("tcp", "tcp6"):
    with open(f"/proc/net/{table}") as f:
        next(f)
        for line in f:
            c = line.split()
            if c[3] == "0A" and c[9] in inodes:
                print(table, c[1])
PY
}

fds() { ls "/proc/$1/fd" | wc -l; }

# --- loopback only by default ---
port_free=$(python3 -c 'import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", 9968)); print(1)
except OSError:
    print(0)')
if [ "$port_free" = 1 ]; then
    if start default; then
        [ "$url" = "http://127.0.0.1:9968/metrics" ] || say_fail "default URL is $url"
        l=$(listening "$pid")
        [ "$l" = "tcp 0100007F:26F0" ] || say_fail "default listening sockets: '$l' (want tcp 0100007F:26F0)"
        # A second server on the same port: a clear error, exit 1.
        rc=0
        "$HEADROOM" serve --root "$root" >"$work/busy.out" 2>"$work/busy.err" || rc=$?
        [ "$rc" = 1 ] || say_fail "a port in use: exit $rc"
        grep -q "in use" "$work/busy.err" || say_fail "a port in use: $(cat "$work/busy.err")"
        grep -q "^hint: " "$work/busy.err" || say_fail "a port in use: no hint"
        stop "$pid" INT
        [ "$rc" = 0 ] || say_fail "SIGINT: exit $rc"
    elif grep -q "in use" "$work/default.err"; then
        echo "note: 127.0.0.1:9968 was taken meanwhile; default-address checks skipped"
    else
        say_fail "default serve did not start: $(cat "$work/default.err")"
    fi
else
    echo "note: 127.0.0.1:9968 is taken on this machine; default-address checks skipped"
fi

# --- an explicit IPv6 loopback address ---
if start v6 --listen '[::1]:0'; then
    case $url in http://\[::1\]:*/metrics) ;; *) say_fail "IPv6 URL is $url" ;; esac
    l=$(listening "$pid")
    case $l in "tcp6 00000000000000000000000001000000:"*) ;; *) say_fail "IPv6 listening sockets: '$l'" ;; esac
    kill -TERM "$pid"
    wait "$pid" || true
elif grep -q "Cannot assign\|not available\|not supported" "$work/v6.err"; then
    echo "note: no IPv6 loopback here; [::1] checks skipped"
else
    say_fail "serve on [::1]: $(cat "$work/v6.err")"
fi

# --- usage errors: exit 2 with the reason ---
usage_case() { # expected-text args...
    local want=$1
    shift
    local rc=0
    "$HEADROOM" serve "$@" >"$work/u.out" 2>&1 || rc=$?
    [ "$rc" = 2 ] || say_fail "serve $*: exit $rc, expected 2"
    grep -q -- "$want" "$work/u.out" || say_fail "serve $*: no '$want' in: $(cat "$work/u.out")"
}
usage_case "--hz" --hz 0
usage_case "--hz" --hz 5000
usage_case "unknown option" --bogus
usage_case "HOST:PORT" --listen nonsense
usage_case "IPv6" --listen '::1:9968'
usage_case "65535" --listen 127.0.0.1:70000
usage_case "not an IPv4" --listen example.com:80
"$HEADROOM" serve --help | grep -q "^usage: headroom serve" || say_fail "--help"

# --- hostile traffic against one server ---
start hostile --listen 127.0.0.1:0 --hz 5 || { echo "FAIL serve did not start: $(cat "$work/hostile.err")"; exit 1; }
port=${url##*:}
port=${port%/metrics}
sleep 0.5
base=$(fds "$pid")
python3 - "$port" >"$work/hostile.log" 2>&1 <<'PY' || say_fail "hostile traffic: $(tail -5 "$work/hostile.log")"
import socket, sys, threading, time
port = int(sys.argv[1])

def exchange(data, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
    except OSError:
        pass
    out = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            out += c
    except OSError:
        pass
    s.close()
    return out

def status(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0

def scrape():
    return exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

bad = []
for name, data, ok in [
    ("garbage", bytes((i * 7919) % 256 for i in range(8192)), {0, 400}),
    ("huge header", b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n", {0, 413, 431}),
    ("long url", b"GET /" + b"x" * 100000 + b" HTTP/1.1\r\n\r\n", {0, 414, 431}),
    ("no version", b"GET /metrics\r\n\r\n", {0, 400, 505}),
    ("bad method", b"BREW /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", {405}),
]:
    st = status(exchange(data))
    print(name, st)
    if st not in ok:
        bad.append(f"{name}: status {st}")

# Ten slow clients send a request a byte every 0.3 s for 3 s; scrapes
# meanwhile succeed.
def slow(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        for b in b"GET /metrics HTTP/1.1\r\n"[:10]:
            s.send(bytes([b]))
            time.sleep(0.3)
        s.close()
    except OSError:
        pass
slow_threads = [threading.Thread(target=slow, args=(i,)) for i in range(10)]
for t in slow_threads:
    t.start()
time.sleep(0.5)
if status(scrape()) != 200:
    bad.append("a scrape failed while slow clients were connected")

# 50 concurrent scrapes.
results = []
def one():
    r = scrape()
    results.append(status(r) == 200 and r.endswith(b"\n") and b"\nheadroom_build_info{" in r)
threads = [threading.Thread(target=one) for _ in range(50)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for t in slow_threads:
    t.join()
print("concurrent ok:", sum(results), "of", len(results))
if sum(results) != 50:
    bad.append(f"only {sum(results)} of 50 concurrent scrapes succeeded")
if status(scrape()) != 200:
    bad.append("the server does not answer after the hostile traffic")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
cat "$work/hostile.log"
kill -0 "$pid" 2>/dev/null || say_fail "serve died under hostile traffic: $(cat "$work/hostile.err")"
# Every connection is gone once its client is (the server closes idle ones
# after its 5 s timeout): descriptors back to the baseline.
now=$(fds "$pid")
for _ in $(seq 80); do
    [ "$now" -le "$base" ] && break
    sleep 0.1
    now=$(fds "$pid")
done
[ "$now" -le "$base" ] || say_fail "descriptors: $base before, $now after the traffic"
stop "$pid" TERM
[ "$rc" = 0 ] || say_fail "SIGTERM: exit $rc"
[ ! -s "$work/hostile.err" ] || say_fail "serve wrote to stderr: $(cat "$work/hostile.err")"
exit $fail
