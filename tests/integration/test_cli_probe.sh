#!/usr/bin/env bash
# test_cli_probe.sh: the CLI's conventions on `probe` (help, version, exit
# codes, error format) and the live machine's probe invariants.
set -euo pipefail
: "${HEADROOM:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$HEADROOM" --version | grep -Eq '^headroom [0-9]+\.[0-9]+\.[0-9]+ ' || fail "--version"
"$HEADROOM" --help | grep -q 'probe' || fail "--help lists probe"
"$HEADROOM" probe --help | grep -q -- '--root DIR' || fail "probe --help"

set +e
"$HEADROOM" probe --bogus 2>"$work/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown option exits 2 (got $rc)"
grep -q "^headroom: probe: unknown option '--bogus'" "$work/err" || fail "error format: $(cat "$work/err")"
grep -q '^hint: ' "$work/err" || fail "hint line"

set +e
"$HEADROOM" probe --root /no/such/root 2>"$work/err"; rc=$?
"$HEADROOM" probe --interval banana 2>"$work/err2"; rc2=$?
"$HEADROOM" nosuchcommand 2>/dev/null; rc3=$?
"$HEADROOM" 2>/dev/null; rc4=$?
set -e
[ $rc -eq 2 ] || fail "bad --root exits 2 (got $rc)"
grep -q '/no/such/root' "$work/err" || fail "bad --root names the path"
[ $rc2 -eq 2 ] || fail "bad --interval exits 2"
grep -q "interval" "$work/err2" || fail "bad --interval names the option"
[ $rc3 -eq 2 ] || fail "unknown command exits 2"
[ $rc4 -eq 2 ] || fail "no command exits 2"

# The live machine: values it has are sane, values it lacks are unknown with a reason.
"$HEADROOM" probe --json --interval 0.1 >"$work/live.json"
python3 - "$work/live.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "headroom.probe/1"
m = d["memory"]
assert m["total_bytes"] >= m["available_bytes"] > 0, m
assert d["host"]["cpus_logical"] >= 1
assert d["host"]["os"] == "linux"
for c in d["cores"]:
    if "utilization_ratio" in c:
        assert 0.0 <= c["utilization_ratio"] <= 1.0, c
def walk(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "unknown":
                for f, r in v.items():
                    assert r["reason"] not in ("known", "not_read"), (path, f, r)
                    assert f not in o, f"{path}.{f} both known and unknown"
            elif k.endswith("_celsius") and isinstance(v, (int, float)):
                assert 0 <= v <= 120, (path, k, v)
            walk(v, path + "." + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            walk(v, f"{path}[{i}]")
walk(d)
acc = d["accelerator"]
assert acc["kind"] in ("cpu", "cuda", "rocm", "mps")
print("live probe ok:", acc["torch_device"], m["total_bytes"], "bytes")
PY
"$HEADROOM" probe --interval 0 | grep -q '^Memory' || fail "text output has a Memory section"
echo "cli probe ok"
