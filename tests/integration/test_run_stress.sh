#!/usr/bin/env bash
# test_run_stress.sh: `headroom stress --steps` governed end to end on this
# machine: the batch policy forced to pause (a 1 s break every 2 steps),
# steps read from stress's tqdm-style progress, the breaks taken and printed,
# the job finished, and everything in the session (steps, cooling_break
# events, the policy and its parameters) and the JSON summary.
# Env: HEADROOM = the CLI.
set -u
HR=${HEADROOM:?set HEADROOM to the headroom binary}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cd "$TMP" || exit 1

t0=$(date +%s%3N)
"$HR" run --policy batch --batch-size 2 --break 1 --hz 5 -o s.db --json-summary sum.json \
    -- "$HR" stress --cpu 1 --load 0.5 --steps 6 --units-per-step 30 >out.txt 2>err.txt
rc=$?
ms=$(($(date +%s%3N) - t0))
echo "governed stress run: ${ms} ms"
[ $rc -eq 0 ] || fail "exit $rc: $(cat err.txt)"
grep -q '6/6 steps' out.txt || fail "stress did not finish: $(cat out.txt)"
# Progress passes through (stress writes it on stderr).
grep -q '6/6 \[' err.txt || fail "stress's progress was not passed through"
breaks=$(grep -c '^headroom: cooling 1 s: ' err.txt)
[ "$breaks" -ge 2 ] || fail "expected 2+ break lines, saw $breaks: $(cat err.txt)"
# The job was paused: it took at least the breaks' time.
[ "$ms" -ge 2000 ] || fail "the run took only $ms ms with 2 breaks of 1 s"
grep -Eq '^  cooling breaks +[0-9]+, ' err.txt || fail "no summary: $(cat err.txt)"

# The JSON summary: its numbers agree with each other.
python3 - sum.json "$breaks" <<'EOF' || fail "JSON summary: $(cat sum.json)"
import json, sys
s = json.load(open(sys.argv[1]))
lines = int(sys.argv[2])
assert s["exit_code"] == 0, s
assert s["policy"] == "batch", s
assert s["breaks"] == lines == s["batch_breaks"], s
assert s["steps"] == s["steps_from_progress"] == 5, s   # 2..6 (0/6 opens the bar)
assert s["units"] == 6, s   # the first step covers 0..2: no unit is lost
assert 0.9 * lines <= s["break_total_s"] <= 1.5 * lines, s
assert abs(s["paused_s"] - s["break_total_s"]) < 0.3, s
assert s["productive_s"] > 0 and s["productive_s"] < s["job_s"], s
if s["efficiency"] is not None:
    assert 0 < s["efficiency"] <= 1, s
assert s["session"] == "s.db", s
EOF

# The session: steps, events, the policy and its parameters.
"$HR" export s.db -o x.csv >/dev/null || fail "export failed"
[ "$(tail -n +2 x.steps.csv | wc -l)" -eq 5 ] || fail "steps in the session: $(cat x.steps.csv)"
[ "$(grep -c ',cooling_break,' x.events.csv)" -eq "$breaks" ] || fail "cooling_break events: $(cat x.events.csv)"
grep -q ',job_start,' x.events.csv || fail "no job_start event"
grep -q ',job_exit,.*exited with 0' x.events.csv || fail "no job_exit event"
python3 - x.csv.meta.json <<'EOF' || fail "session metadata"
import json, sys
m = json.load(open(sys.argv[1]))["meta"]
assert m["created_by"] == "headroom run", m
assert m["run_policy"] == "batch", m
assert m["job_exit_code"] == 0, m
g = json.loads(m["governor_config"])
assert g["policy"] == "batch" and g["batch_size"] == 2 and g["batch_break_s"] == 1, g
assert "stress" in m["job_command"], m
EOF

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ok"
