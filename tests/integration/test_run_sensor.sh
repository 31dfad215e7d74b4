#!/usr/bin/env bash
# test_run_sensor.sh: the sensor policy drives real pauses from the
# recorder's samples: a GPU (the fake libnvidia-ml, tests/fakes) at 87 °C, 2 °C
# from its slowdown threshold, with HW thermal slowdown active, makes
# `headroom run --policy sensor` pause the job at once, print the reason,
# record the break and the throttle interval, and resume it at the maximum
# break (the GPU stays hot). The same without a session (--no-record: the
# sensors come from headroom's own probe).
# Env: HEADROOM = the CLI, HR_BUILD_DIR, HR_FIXTURES. Skips (77) without the fake.
set -u
HR=${HEADROOM:?set HEADROOM to the headroom binary}
FAKE=${HR_BUILD_DIR:-}/tests/fakes/libnvidia-ml.so.1
[ -f "$FAKE" ] || { echo "skip: no fake NVML at $FAKE"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cd "$TMP" || exit 1

python3 - "${HR_FIXTURES:?}/nvml/h100.json" hot.json <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
d = s["devices"][0]
d["temperature"] = 87
d["margin"] = 2
d["throttle"] = {"current": "0x40", "supported": "0x1ff"}
json.dump(s, open(sys.argv[2], "w"))
EOF
export HEADROOM_NVML_LIBRARY=$FAKE FAKE_NVML_SCENARIO=$TMP/hot.json

t0=$(date +%s%3N)
"$HR" run --policy sensor --max-break 1 --hz 10 -o s.db --json-summary sum.json \
    -- sh -c 'i=0; while [ $i -lt 10 ]; do sleep 0.08; i=$((i + 1)); done; echo finished' \
    >out.txt 2>err.txt
rc=$?
ms=$(($(date +%s%3N) - t0))
[ $rc -eq 0 ] || fail "exit $rc: $(cat err.txt)"
grep -q finished out.txt || fail "the job did not finish"
grep -Eq '^headroom: cooling up to 1 s: .*(87|HW thermal)' err.txt || fail "no sensor break line: $(cat err.txt)"
# (a sleep's time runs on while it is stopped; the loop's iterations do not)
[ "$ms" -ge 1500 ] || fail "a 0.8 s job with a 1 s break took only $ms ms"
python3 - sum.json <<'EOF' || fail "summary: $(cat sum.json)"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["policy"] == "sensor" and s["exit_code"] == 0, s
assert s["sensor_breaks"] >= 1 and s["breaks"] >= 1, s
assert 0.9 <= s["break_total_s"] <= 1.6 * s["breaks"], s
EOF
"$HR" export s.db -o x.csv >/dev/null || fail "export failed"
grep -q ',cooling_break,' x.events.csv || fail "no cooling_break event: $(cat x.events.csv)"
grep -Eq ',throttle,.*gpu0 thermal: .*[Hh][Ww]' x.events.csv || fail "no throttle interval: $(cat x.events.csv)"

# Without a session: headroom reads the sensors itself.
"$HR" run --no-record --policy sensor --max-break 1 -- sh -c 'sleep 0.5' >/dev/null 2>err2.txt
rc=$?
[ $rc -eq 0 ] || fail "--no-record exit $rc"
grep -q '^headroom: cooling up to 1 s: ' err2.txt || fail "--no-record: no sensor break: $(cat err2.txt)"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ok"
