#!/usr/bin/env bash
# test_run_cli.sh: `headroom run` behaves like the bare command: exit codes
# (0, 1, 130, 137, 143, 127, 126), output byte for byte on stdout and stderr
# apart, a job that never prints progress, usage errors (exit 2, "headroom:
# run: ..." and a hint), and on a terminal (script(1)) a pseudo-terminal with
# the window size, following SIGWINCH. Env: HEADROOM = the CLI.
set -u
HR=${HEADROOM:?set HEADROOM to the headroom binary}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cd "$TMP" || exit 1

# 1. Exit statuses are the job's own.
expect_rc() {
    local want=$1
    shift
    "$HR" run --no-record --quiet -- "$@" >/dev/null 2>&1
    local rc=$?
    [ $rc -eq "$want" ] || fail "'$*' gave $rc, not $want"
}
expect_rc 0 true
expect_rc 1 false
expect_rc 7 sh -c 'exit 7'
expect_rc 130 sh -c 'kill -INT $$; sleep 1'
expect_rc 137 sh -c 'kill -KILL $$; sleep 1'
expect_rc 143 sh -c 'kill -TERM $$; sleep 1'
expect_rc 127 headroom-no-such-command-here
printf '#!/bin/sh\necho hi\n' >"$TMP/noexec.sh"
chmod 0644 "$TMP/noexec.sh"
expect_rc 126 "$TMP/noexec.sh"
"$HR" run --no-record -- headroom-no-such-command-here 2>"$TMP/nf.err"
grep -q '^headroom: run: command not found' "$TMP/nf.err" || fail "not found message: $(cat "$TMP/nf.err")"
grep -q '^hint: ' "$TMP/nf.err" || fail "no hint for a missing command"

# 2. Output byte for byte, stdout and stderr apart (binary, CRs, escapes, a
#    progress line, no final newline, 1 MiB), compared with the bare command.
head -c 1048576 /dev/urandom >big.bin
JOB='printf "a\000b\r\nc\033[1mbold\033[0m"; printf "to stderr\r" >&2
cat big.bin; printf " 50%%|#   | 1/2 [00:00<00:00,  1.00it/s]\r" >&2
printf "no newline at the end"'
sh -c "$JOB" >bare.out 2>bare.err
"$HR" run --no-record --quiet -- sh -c "$JOB" >hr.out 2>hr.err
cmp -s bare.out hr.out || fail "stdout differs from the bare command's ($(wc -c <bare.out) vs $(wc -c <hr.out) bytes)"
cmp -s bare.err hr.err || fail "stderr differs: $(od -c hr.err | head -3)"
[ "$(wc -c <hr.out)" -gt 1048576 ] || fail "stdout too short"

# 3. A job that never prints progress: no steps, a summary all the same.
"$HR" run --no-record -- sh -c 'sleep 0.2; echo plain' >plain.out 2>plain.err
rc=$?
[ $rc -eq 0 ] || fail "no-progress job exited $rc"
[ "$(cat plain.out)" = plain ] || fail "no-progress output: $(cat plain.out)"
grep -q 'work *0 units in 0 steps' plain.err || fail "no-progress summary: $(cat plain.err)"

# 4. Usage errors: exit 2, "headroom: run: ..." and a hint.
usage_err() {
    "$HR" run "$@" >/dev/null 2>"$TMP/u.err"
    local rc=$?
    [ $rc -eq 2 ] || fail "'run $*' exited $rc, not 2"
    grep -q '^headroom: run: ' "$TMP/u.err" || fail "'run $*': $(cat "$TMP/u.err")"
    grep -q '^hint: ' "$TMP/u.err" || fail "'run $*': no hint"
}
usage_err
usage_err --
usage_err --policy fast -- true
usage_err --threshold 0.9 -- true
usage_err --break soon -- true
usage_err --critical-units 0 -- true
usage_err --critical-units many -- true
usage_err --hz 0 -- true
usage_err --io tty -- true
usage_err --no-such-option -- true
"$HR" run --help >help.out || fail "--help exited $?"
grep -q -- '--policy' help.out || fail "--help lacks --policy"

# 5. The session file: default name, refused when it exists without --force.
"$HR" run --quiet -- true || fail "recorded run failed"
ls run-*.db >/dev/null 2>&1 || fail "no run-YYYYmmdd-HHMMSS.db made"
"$HR" run --quiet -o s.db -- true
"$HR" run --quiet -o s.db -- true 2>exists.err
[ $? -eq 1 ] || fail "an existing session file was not refused"
"$HR" run --quiet -o s.db --force -- true || fail "--force did not replace the file"

# 6. Leftovers: the main process exits while a background child still holds
#    stdout. headroom reports the exit at once; the guardian relays the rest.
t0=$(date +%s%3N)
"$HR" run --no-record --quiet -- sh -c '(sleep 1.5; echo late) & echo early' >left.out 2>left.err
rc=$?
ms=$(($(date +%s%3N) - t0))
[ $rc -eq 0 ] || fail "leftover run exited $rc"
[ $ms -lt 1400 ] || fail "headroom waited ${ms} ms for the leftover"
n=0
while ! grep -q late left.out && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.05; done
[ "$(tr '\n' ' ' <left.out)" = "early late " ] || fail "leftover output: $(cat left.out)"

# 7. On a terminal: the job gets a pseudo-terminal of the same size, and a
#    resize reaches it.
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
    # (script answers the end of its own stdin by typing a NUL or EOF into
    # the terminal, which the job's pty may echo as "^@": not anchored.)
    script -qec "stty cols 91 rows 17; $HR run --no-record --quiet -- sh -c 'test -t 1 && echo TTY; stty size'" \
        /dev/null >tty.out 2>&1 </dev/null
    grep -q TTY tty.out || fail "the job did not get a terminal: $(cat tty.out)"
    grep -q '17 91' tty.out || fail "window size not passed on: $(cat tty.out)"
    # The job polls its size until the resize arrives (or 5 s pass), so a
    # slow machine cannot make it read the size before the resize.
    script -qec "stty cols 80 rows 24; ($HR run --no-record --quiet -- sh -c 'n=0; while [ \"\$(stty size </dev/tty)\" != \"11 77\" ] && [ \$n -lt 100 ]; do n=\$((n+1)); sleep 0.05; done; stty size </dev/tty' &
        sleep 0.3; stty cols 77 rows 11; wait)" /dev/null >winch.out 2>&1 </dev/null
    grep -q '11 77' winch.out || fail "SIGWINCH not followed: $(cat winch.out)"
    # Ctrl-C typed on the terminal reaches the job (exit 130), and what is
    # typed reaches its stdin through the pty. Keys are typed once the job
    # has started (it leaves a marker), and headroom is exec'd so that the
    # shell script(1) starts (dash on Debian dies of the same ^C) is not in
    # the way; script -e returns headroom's own status.
    wait_for() { n=0; while [ ! -e "$1" ] && [ $n -lt 200 ]; do n=$((n + 1)); sleep 0.05; done; }
    rm -f started
    (wait_for started; sleep 0.2; printf '\003'; sleep 1) |
        script -qec "exec $HR run --no-record --quiet -- sh -c ': >started; exec sleep 5'" /dev/null >ctrlc.out 2>&1
    rc=$?
    [ $rc -eq 130 ] || fail "Ctrl-C on the terminal: exit $rc: $(cat ctrlc.out)"
    rm -f ready
    (wait_for ready; sleep 0.2; printf 'typed\r'; sleep 1) |
        script -qec "exec $HR run --no-record --quiet -- sh -c ': >ready; exec head -1'" /dev/null >typed.out 2>&1
    rc=$?
    [ "$(tr -d '\r' <typed.out | grep -c '^typed$')" -ge 2 ] && [ $rc -eq 0 ] ||
        fail "typed input: exit $rc: $(od -c typed.out | head -3)"
else
    echo "note: script(1) unavailable; pty checks skipped"
fi

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ok"
