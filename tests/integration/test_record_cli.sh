#!/usr/bin/env bash
# test_record_cli.sh: `headroom record` end to end: a duration gives the
# expected ticks and a finished session; SIGTERM and SIGINT finish cleanly
# (exit 0); no live status when stdout is not a terminal; usage errors exit
# 2; an existing file needs --force; a read-only directory and a full disk
# (RLIMIT_FSIZE via `ulimit -f`, SIGXFSZ ignored: the unprivileged stand-in
# for a full file system) fail with a clear message and exit 1.
set -euo pipefail
: "${HEADROOM:?}"
work=$(mktemp -d)
chmod 755 "$work"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
fail=0
say_fail() { echo "FAIL $*"; fail=1; }

meta() { # db key
    python3 -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute('SELECT value FROM meta WHERE key=?',(sys.argv[2],)).fetchone(); print('' if r is None else r[0])" "$1" "$2"
}
sql() { # db query
    python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$1" "$2"
}

# A duration: 20 Hz for 1 s is 20 ticks, finished, with the summary on stdout.
"$HEADROOM" record -o "$work/d.db" --hz 20 --duration 1s --tag run=ci --note "a note" >"$work/d.out"
[ "$(sql "$work/d.db" 'SELECT count(*) FROM ticks')" = 20 ] || say_fail "duration: $(sql "$work/d.db" 'SELECT count(*) FROM ticks') ticks, expected 20"
[ "$(meta "$work/d.db" state)" = finished ] || say_fail "duration: state $(meta "$work/d.db" state)"
[ "$(meta "$work/d.db" notes)" = "a note" ] || say_fail "notes not kept"
[ "$(sql "$work/d.db" "SELECT value FROM tags WHERE key='run'")" = ci ] || say_fail "tag not kept"
grep -q "^recorded 20 ticks in 1.0 s" "$work/d.out" || say_fail "summary: $(head -1 "$work/d.out")"
grep -q $'\r' "$work/d.out" && say_fail "live status written although stdout is not a terminal"
meta "$work/d.db" command_line | grep -q -- "--hz 20 --duration 1s" || say_fail "command line not kept"
[ "$(sql "$work/d.db" "SELECT value FROM meta WHERE key='requested_hz'")" = 20.0 ] || say_fail "requested_hz"

# SIGTERM and SIGINT: a clean finish, exit 0.
for sig in TERM INT; do
    "$HEADROOM" record -o "$work/$sig.db" --hz 50 >"$work/$sig.out" 2>&1 &
    pid=$!
    sleep 0.7
    kill -"$sig" "$pid"
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || say_fail "SIG$sig: exit $rc: $(cat "$work/$sig.out")"
    [ "$(meta "$work/$sig.db" state)" = finished ] || say_fail "SIG$sig: state $(meta "$work/$sig.db" state)"
    ticks=$(sql "$work/$sig.db" 'SELECT count(*) FROM ticks')
    [ "$ticks" -ge 20 ] || say_fail "SIG$sig: only $ticks ticks in 0.7 s at 50 Hz"
    [ ! -e "$work/$sig.db-wal" ] || say_fail "SIG$sig: the WAL was left behind"
done

# Usage errors exit 2 and say what was wrong.
usage_case() { # expected-text args...
    local want=$1
    shift
    local rc=0
    "$HEADROOM" record "$@" >"$work/u.out" 2>&1 || rc=$?
    [ "$rc" = 2 ] || say_fail "record $*: exit $rc, expected 2"
    grep -q -- "$want" "$work/u.out" || say_fail "record $*: no '$want' in: $(cat "$work/u.out")"
}
usage_case "--hz" -o "$work/x.db" --hz 0
usage_case "--hz" -o "$work/x.db" --hz 1001
usage_case "--hz" -o "$work/x.db" --hz fast
usage_case "--duration" -o "$work/x.db" --duration 10parsecs
usage_case "--duration" -o "$work/x.db" --duration 1h30
usage_case "--tag" -o "$work/x.db" --tag novalue
usage_case "--rle" -o "$work/x.db" --rle nosuch=1
usage_case "drop_frac" -o "$work/x.db" --rle drop_frac=1.5
usage_case "unknown" -o "$work/x.db" --bogus
[ ! -e "$work/x.db" ] || say_fail "a usage error left a session file"
"$HEADROOM" record --help | grep -q "^usage: headroom record" || say_fail "--help"

# An existing file needs --force.
rc=0
"$HEADROOM" record -o "$work/d.db" --duration 1s >"$work/e.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "already exists" "$work/e.out" && grep -q -- "--force" "$work/e.out" ||
    say_fail "existing file: exit $rc: $(cat "$work/e.out")"
"$HEADROOM" record -o "$work/d.db" --duration 200ms --hz 10 --force --quiet ||
    say_fail "--force did not replace the file"
[ "$(sql "$work/d.db" 'SELECT count(*) FROM ticks')" = 2 ] || say_fail "--force: old ticks remain"

# A read-only directory (as user nobody when we are root: root ignores modes).
mkdir "$work/ro"
chmod 555 "$work/ro"
run_unpriv() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
    else
        "$@"
    fi
}
rc=0
run_unpriv "$HEADROOM" record -o "$work/ro/s.db" --duration 1s >"$work/ro.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "permission denied" "$work/ro.out" && grep -q "$work/ro/s.db" "$work/ro.out" ||
    say_fail "read-only directory: exit $rc: $(cat "$work/ro.out")"

# A full disk: the file size limit stops the recorder with a clear error;
# what was committed before stays readable and consistent.
rc=0
(ulimit -f 1024; trap '' XFSZ; exec "$HEADROOM" record -o "$work/full.db" --hz 1000 --duration 60s) \
    >"$work/full.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "file size limit" "$work/full.out" ||
    say_fail "full disk: exit $rc: $(cat "$work/full.out")"
[ "$(sql "$work/full.db" 'PRAGMA integrity_check')" = ok ] || say_fail "full disk: integrity"
[ "$(sql "$work/full.db" 'SELECT count(*) FROM ticks')" -gt 0 ] || say_fail "full disk: no ticks kept"
rc=0
"$HEADROOM" export "$work/full.db" -o "$work/full.csv" >/dev/null 2>&1 || rc=$?
[ "$rc" = 0 ] || say_fail "full disk: the partial session does not export"

exit $fail
