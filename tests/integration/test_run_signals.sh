#!/usr/bin/env bash
# test_run_signals.sh: signals sent to `headroom run` reach the job's whole
# process group (SIGTERM, SIGINT, SIGHUP); a job that ignores SIGTERM keeps
# running and headroom waits for it; a SIGINT during a cooling break resumes
# the job first, then reaches it; a break stops every member of a job that
# forked workers, and the end of the break resumes them all.
# Env: HEADROOM = the CLI. Skips (77) without /proc.
set -u
set -m # background jobs keep SIGINT (bash ignores it for them otherwise)
HR=${HEADROOM:?set HEADROOM to the headroom binary}
[ -r /proc/self/stat ] || { echo "skip: no /proc"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
now_ms() { date +%s%3N; }

# The states of the members of process group $1, one letter each.
group_states() {
    # cat, not awk on the files: awk gives up at the first process that ended.
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pg="$1" '{ sub(/.*\) /, ""); if ($3 == pg) printf "%s", $1 }'
}

# Waits up to $2 ms for file $1 to be non-empty.
wait_file() {
    local t0
    t0=$(now_ms)
    while [ ! -s "$1" ] && [ $(($(now_ms) - t0)) -lt "$2" ]; do sleep 0.01; done
    [ -s "$1" ]
}

# Waits up to $2 ms for PID $1 to end; sets rc to its status.
wait_pid() {
    local t0
    t0=$(now_ms)
    while kill -0 "$1" 2>/dev/null && [ $(($(now_ms) - t0)) -lt "$2" ]; do sleep 0.01; done
    if kill -0 "$1" 2>/dev/null; then
        kill -9 "$1"
        wait "$1" 2>/dev/null
        rc=999
        return 1
    fi
    wait "$1"
    rc=$?
}

# 1. SIGTERM, SIGINT and SIGHUP to headroom reach the job, whose trap says so.
for sig in TERM INT HUP; do
    rm -f "$TMP/ready"
    "$HR" run --no-record --quiet -- sh -c "trap 'echo got-$sig; exit 7' $sig
        echo ok > '$TMP/ready'; while :; do sleep 0.05; done" >"$TMP/$sig.out" 2>&1 &
    hr=$!
    wait_file "$TMP/ready" 3000 || fail "$sig: the job did not start"
    kill -"$sig" $hr
    wait_pid $hr 3000 || fail "$sig: headroom did not end"
    [ "$rc" -eq 7 ] || fail "$sig: exit $rc, not the job's 7"
    grep -q "got-$sig" "$TMP/$sig.out" || fail "$sig: the job never got it: $(cat "$TMP/$sig.out")"
done

# 2. A job that ignores SIGTERM keeps running; headroom waits and returns 0.
rm -f "$TMP/ready"
"$HR" run --no-record --quiet -- sh -c "trap '' TERM; echo ok > '$TMP/ready'; sleep 0.6; echo survived" \
    >"$TMP/ign.out" 2>&1 &
hr=$!
wait_file "$TMP/ready" 3000
kill -TERM $hr
sleep 0.1
kill -0 $hr 2>/dev/null || fail "headroom ended although the job ignores SIGTERM"
wait_pid $hr 3000
[ "$rc" -eq 0 ] || fail "ignoring job: exit $rc"
grep -q survived "$TMP/ign.out" || fail "the job ignoring SIGTERM did not survive"

# 3. A job that forks workers: a break stops every member (one caught
#    between vfork and exec shows D: it cannot run either), its end resumes
#    them all; a SIGINT during the next break resumes the job, then reaches it.
WORKERS='echo $$ > "$1"
for w in 1 2; do (while :; do sleep 0.05; done) & done
i=0
while :; do echo "step=$i" >&$HEADROOM_STEP_FD; i=$((i + 1)); sleep 0.25; done'
rm -f "$TMP/pid"
"$HR" run --no-record --policy batch --batch-size 2 --break 1 -- sh -c "$WORKERS" job "$TMP/pid" \
    >"$TMP/w.out" 2>"$TMP/w.err" &
hr=$!
wait_file "$TMP/pid" 3000
job=$(cat "$TMP/pid")
t0=$(now_ms)
while ! grep -q 'cooling' "$TMP/w.err" && [ $(($(now_ms) - t0)) -lt 3000 ]; do sleep 0.01; done
t0=$(now_ms)
sleep 0.1
states=$(group_states "$job")
[ ${#states} -ge 3 ] || fail "expected 3+ members in the job's group, saw '$states'"
case $states in *[!TD]*) fail "not every member stopped during the break: '$states'" ;; esac
case $states in *T*) ;; *) fail "no member stopped during the break: '$states'" ;; esac
# The break lasts 1 s (ended within a tick of 250 ms); the next one comes
# two steps (0.5 s) later: in between, nobody is stopped.
resumed=0
sleep 0.9
while [ $(($(now_ms) - t0)) -lt 1700 ]; do
    case $(group_states "$job") in *T*) sleep 0.02 ;; *) resumed=1; break ;; esac
done
[ $resumed -eq 1 ] || fail "members still stopped after the break: $(group_states "$job")"
# Wait for the next break, then Ctrl-C.
t0=$(now_ms)
while [ "$(grep -c cooling "$TMP/w.err")" -lt 2 ] && [ $(($(now_ms) - t0)) -lt 3000 ]; do sleep 0.01; done
sleep 0.1
case $(group_states "$job") in *T*) ;; *) fail "the second break did not stop the job" ;; esac
t0=$(now_ms)
kill -INT $hr
wait_pid $hr 2000 || fail "SIGINT during a break did not end the job"
[ "$rc" -eq 130 ] || fail "SIGINT during a break: exit $rc, not 130"
[ $(($(now_ms) - t0)) -lt 1000 ] || fail "SIGINT during a break took $(($(now_ms) - t0)) ms"
# The background workers ignore SIGINT (as in any non-interactive shell):
# they may live on, but never stopped.
sleep 0.1
case $(group_states "$job") in *T*) fail "members left stopped after SIGINT: $(group_states "$job")" ;; esac
kill -KILL -- "-$job" 2>/dev/null

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ok"
