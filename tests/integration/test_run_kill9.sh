#!/usr/bin/env bash
# test_run_kill9.sh: kill -9 of `headroom run` while the job is paused for a
# cooling break, many times over: the guardian resumes the job within a
# second, the job finishes, its output (relayed through pipes or a pty)
# still reaches the file headroom's stdout went to, and its step writes do
# not break it. Env: HEADROOM = the CLI. Skips (77) without /proc.
set -u
HR=${HEADROOM:?set HEADROOM to the headroom binary}
[ -r /proc/self/stat ] || { echo "skip: no /proc"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The states of the members of process group $1, one letter each ("" when none).
group_states() {
    # cat, not awk on the files: awk gives up at the first process that ended.
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pg="$1" '{ sub(/.*\) /, ""); if ($3 == pg) printf "%s", $1 }'
}

# State letter of PID ("" when gone or a zombie).
state() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    s=${s##*) }
    s=${s%% *}
    [ "$s" = Z ] || echo "$s"
}

now_ms() { date +%s%3N; }

# The pids of the members of process group $1.
group_pids() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pg="$1" '{ pid = $1; sub(/.*\) /, ""); if ($3 == pg) print pid }'
}

# Waits up to $2 ms until none of the pids in $1 is stopped (T); reading
# only those keeps the check itself fast on a busy machine.
wait_resumed() {
    local pids=$1 limit=$2 t0 p s stopped
    t0=$(now_ms)
    while [ $(($(now_ms) - t0)) -lt "$limit" ]; do
        stopped=0
        for p in $pids; do
            s=$(state "$p")
            [ "$s" = T ] && stopped=1
        done
        [ $stopped -eq 0 ] && return 0
        sleep 0.005
    done
    return 1
}

# The job: 24 lines, one step per line on the step channel; the batch policy
# pauses it after 3 steps for 60 s, so it is stopped when headroom dies.
JOB='echo $$ > "$1"; i=0
while [ $i -lt 24 ]; do
  echo "line $i"
  echo "step=$i units=1" >&$HEADROOM_STEP_FD
  i=$((i + 1)); sleep 0.01
done
echo done'

run_once() {
    local io=$1 n=$2 out="$TMP/out.$n" pidf="$TMP/pid.$n" hr job t0 resumed_ms
    rm -f "$pidf"
    "$HR" run --no-record --io "$io" --policy batch --batch-size 3 --break 60 \
        -- sh -c "$JOB" job "$pidf" >"$out" 2>"$TMP/err.$n" &
    hr=$!
    t0=$(now_ms)
    while [ ! -s "$pidf" ] && [ $(($(now_ms) - t0)) -lt 3000 ]; do sleep 0.01; done
    job=$(cat "$pidf" 2>/dev/null)
    [ -n "$job" ] || { fail "$io #$n: the job never started"; kill -9 $hr; return; }
    # The break has begun when headroom says so; the group is stopped then
    # (a member caught between vfork and exec shows D until it is resumed).
    t0=$(now_ms)
    while ! grep -q 'headroom: cooling' "$TMP/err.$n" && [ $(($(now_ms) - t0)) -lt 3000 ]; do
        sleep 0.01
    done
    case $(group_states "$job") in
    *T*) ;;
    *) fail "$io #$n: no member of the job is stopped ('$(group_states "$job")', job $job, $(cat "$TMP/err.$n"), $(tr '\n' ' ' <"$out"))"
       kill -9 $hr 2>/dev/null; wait $hr 2>/dev/null; return ;;
    esac
    local members
    members=$(group_pids "$job")
    kill -9 $hr
    wait $hr 2>/dev/null
    t0=$(now_ms)
    if ! wait_resumed "$members" 1000; then
        fail "$io #$n: the job is still stopped 1 s after headroom died"
        kill -CONT -- "-$job"
    fi
    resumed_ms=$(($(now_ms) - t0))
    [ "$resumed_ms" -gt "$max_resume_ms" ] && max_resume_ms=$resumed_ms
    t0=$(now_ms)
    while [ -n "$(state "$job")" ] && [ $(($(now_ms) - t0)) -lt 5000 ]; do sleep 0.02; done
    [ -z "$(state "$job")" ] || { fail "$io #$n: the job did not finish"; kill -9 "$job"; }
    # The guardian relays the rest, then leaves: give it a moment.
    t0=$(now_ms)
    while ! grep -q '^done' "$out" && [ $(($(now_ms) - t0)) -lt 2000 ]; do sleep 0.02; done
    local lines
    lines=$(tr -d '\r' <"$out" | grep -c '^line ')
    grep -q '^done' "$out" || fail "$io #$n: 'done' never reached the output"
    [ "$lines" -eq 24 ] || fail "$io #$n: $lines of 24 lines reached the output"
}

max_resume_ms=0
for n in $(seq 1 14); do run_once pipes "$n"; done
for n in $(seq 15 20); do run_once pty "$n"; done
echo "20 kills of a paused run: slowest resume ${max_resume_ms} ms"

# No guardian is left behind once the jobs are done.
sleep 0.3
left=$(grep -l '^headroom-guard' /proc/[0-9]*/comm 2>/dev/null | while read -r f; do
    d=${f%/comm}; if grep -q "$TMP" "$d/cmdline" 2>/dev/null || ls -l "$d/fd" 2>/dev/null | grep -q "$TMP"; then echo "${d#/proc/}"; fi
done)
[ -z "$left" ] || fail "guardians still alive: $left"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ok"
