#!/usr/bin/env bash
# test_stress.sh: `headroom stress` does the load it is asked for, prints
# tqdm-style steps, stops cleanly on signals and rejects bad arguments.
# Env: HEADROOM = path of the CLI. Exit 77 (skip) without /proc.
set -u
HR=${HEADROOM:?set HEADROOM to the headroom binary}
[ -r /proc/self/stat ] || { echo "skip: no /proc"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# CPU seconds (user + system) of PID from /proc/PID/stat; the command name
# may hold spaces, so fields are counted after its closing parenthesis.
cpu_s() {
    local stat rest
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    rest=${stat##*) }
    set -- $rest
    echo "${12} ${13} $(getconf CLK_TCK)" | awk '{ printf "%.3f", ($1 + $2) / $3 }'
}

now_s() { date +%s.%N; }

# 1. Duty cycle: load 0.5 on one worker, measured over 3 s in the middle of
#    the run: between 0.3 and 0.8 CPU-seconds per second (the box is shared).
"$HR" stress --cpu 1 --load 0.5 --duration 6 >"$TMP/duty.out" 2>"$TMP/duty.err" &
pid=$!
sleep 1
c0=$(cpu_s $pid); t0=$(now_s)
sleep 3
c1=$(cpu_s $pid); t1=$(now_s)
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "duty run exited $rc: $(cat "$TMP/duty.err")"
rate=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.3f", (b - a) / (e - s) }')
echo "load 0.5: $rate CPU-s/s"
awk -v r="$rate" 'BEGIN { exit !(r >= 0.3 && r <= 0.8) }' || fail "load 0.5 gave $rate CPU-s/s"
grep -Eq '^stress: 1 worker, load 0\.50 constant, ' "$TMP/duty.out" || fail "summary: $(cat "$TMP/duty.out")"

# 2. Load 0 does (almost) nothing.
"$HR" stress --load 0 --duration 2 >/dev/null 2>&1 &
pid=$!
sleep 0.5; c0=$(cpu_s $pid); sleep 1; c1=$(cpu_s $pid)
wait $pid
awk -v a="$c0" -v b="$c1" 'BEGIN { exit !(b - a < 0.1) }' || fail "load 0 used $c0 -> $c1 CPU-s"

# 3. Steps: tqdm's opening 0/N line, then one tqdm-style line per step on
#    stderr when not a terminal.
"$HR" stress --load 1 --steps 5 --units-per-step 3 >"$TMP/steps.out" 2>"$TMP/steps.err"
rc=$?
[ $rc -eq 0 ] || fail "steps run exited $rc"
re='^ +[0-9]+%\|[# ]{10}\| [0-9]+/5 \[[0-9]{2}:[0-9]{2}<([0-9]{2}:[0-9]{2}|\?), +([0-9]+\.[0-9]{2}(it/s|s/it)|\?it/s)\]$'
[ "$(wc -l <"$TMP/steps.err")" -eq 6 ] || fail "expected 6 progress lines, got: $(cat "$TMP/steps.err")"
head -n 1 "$TMP/steps.err" | grep -Eq '^ +0%\|          \| 0/5 \[00:00<\?, \?it/s\]$' ||
    fail "no opening 0/5 line: $(head -n 1 "$TMP/steps.err")"
bad=$(grep -Evc "$re" "$TMP/steps.err")
[ "$bad" -eq 0 ] || fail "progress lines not in tqdm form: $(cat "$TMP/steps.err")"
for i in 1 2 3 4 5; do
    grep -Eq "^ +$((i * 20))%\|#{$((i * 2))} *\| $i/5 \[" "$TMP/steps.err" || fail "no line for step $i"
done
tail -n 1 "$TMP/steps.err" | grep -Eq '^ 100%\|##########\| 5/5 \[' || fail "last line not 100%"
grep -q ', 5/5 steps$' "$TMP/steps.out" || fail "steps summary: $(cat "$TMP/steps.out")"

# A bare --steps means 50 steps, and may be followed by another option.
"$HR" stress --load 1 --steps --units-per-step 1 >"$TMP/bare.out" 2>"$TMP/bare.err" || fail "bare --steps failed"
[ "$(wc -l <"$TMP/bare.err")" -eq 51 ] || fail "bare --steps: expected 51 lines"
tail -n 1 "$TMP/bare.err" | grep -Eq '^ 100%\|##########\| 50/50 \[' || fail "bare --steps: last line"

# 4. Signals: a clean stop, exit 128 + signal, well before the duration.
for sig in INT TERM; do
    "$HR" stress --cpu 2 --load 0.3 --duration 60 >"$TMP/sig.out" 2>&1 &
    pid=$!
    sleep 1
    t0=$(now_s)
    kill -s $sig $pid
    wait $pid; rc=$?
    t1=$(now_s)
    want=$([ $sig = INT ] && echo 130 || echo 143)
    [ $rc -eq $want ] || fail "SIG$sig: exit $rc, expected $want"
    awk -v s="$t0" -v e="$t1" 'BEGIN { exit !(e - s < 2) }' || fail "SIG$sig: took too long to stop"
    grep -q '^stress: 2 workers' "$TMP/sig.out" || fail "SIG$sig: no summary"
done

# 5. Bad arguments: exit 2 and a message naming the option and the value.
check_usage() {
    local want=$1; shift
    "$HR" stress "$@" >"$TMP/u.out" 2>"$TMP/u.err"
    local rc=$?
    [ $rc -eq 2 ] || fail "stress $*: exit $rc, expected 2"
    grep -qF "$want" "$TMP/u.err" || fail "stress $*: stderr '$(head -n 1 "$TMP/u.err")', wanted '$want'"
}
check_usage "headroom: stress: --load: must be between 0 and 1 (got 1.5)" --load 1.5
check_usage "headroom: stress: --load: must be between 0 and 1 (got abc)" --load abc
check_usage "headroom: stress: --cpu: must be a whole number from 1 to" --cpu 0
check_usage "headroom: stress: --pattern: must be constant, ramp, square or sine (got zigzag)" --pattern zigzag
check_usage "headroom: stress: --duration: must be a positive time" --duration -3
check_usage "headroom: stress: --period: must be a time of at least 100ms" --period 0
check_usage "headroom: stress: --steps: must be a whole number from 1 (got 1.5)" --steps 1.5
check_usage "headroom: stress: --units-per-step: needs --steps" --units-per-step 4
check_usage "headroom: stress: unknown option '--fast'" --fast
check_usage "headroom: stress: --cpu: needs a value" --cpu
check_usage "see 'headroom stress --help'" --load=2

# 6. --help: usage on stdout, exit 0.
"$HR" stress --help >"$TMP/help.out" 2>&1 || fail "--help exited non-zero"
grep -q '^usage: headroom stress' "$TMP/help.out" || fail "--help: no usage line"
for opt in --cpu --load --pattern --duration --period --steps --units-per-step; do
    grep -q -- "$opt" "$TMP/help.out" || fail "--help does not mention $opt"
done

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ok"
