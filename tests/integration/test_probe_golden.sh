#!/usr/bin/env bash
# test_probe_golden.sh: `headroom probe` on every Linux fixture scenario (and
# on the fake NVML scenarios) matches the golden JSON and text output.
# UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
set -euo pipefail
: "${HEADROOM:?}" "${HR_FIXTURES:?}" "${HR_BUILD_DIR:?}"
golden=$HR_FIXTURES/golden/probe
norm=$(dirname "$0")/normalise_probe.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
checked=0

compare() { # name file
    local name=$1 file=$2
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$file" "$golden/$name"
        return
    fi
    if [ ! -f "$golden/$name" ]; then
        echo "FAIL $name: no golden file (run with UPDATE_GOLDEN=1 to create it)"
        fail=1
    elif ! diff -u "$golden/$name" "$file" >"$work/diff"; then
        echo "FAIL $name differs from its golden file:"
        head -40 "$work/diff"
        fail=1
    fi
    checked=$((checked + 1))
}

# Fixture roots never see a real NVML: point it at a path that does not exist.
nonvml=/nonexistent/headroom-test/libnvidia-ml.so.1

for dir in "$HR_FIXTURES"/linux/*/; do
    scenario=$(basename "$dir")
    "$HEADROOM" probe --json --interval 0 --root "$dir" --nvml-library "$nonvml" |
        python3 "$norm" >"$work/$scenario.json"
    compare "$scenario.json" "$work/$scenario.json"
    "$HEADROOM" probe --verbose --interval 0 --root "$dir" --nvml-library "$nonvml" |
        cat >"$work/$scenario.txt"
    compare "$scenario.txt" "$work/$scenario.txt"
done

fake=$HR_BUILD_DIR/tests/fakes/libnvidia-ml.so.1
if [ -f "$fake" ]; then
    for scen in "$HR_FIXTURES"/nvml/*.json; do
        name=nvml-$(basename "$scen" .json)
        lib=$fake
        # The old-driver scenario runs against the variant that lacks new symbols.
        [ "$name" = nvml-old-driver ] && lib=$HR_BUILD_DIR/tests/fakes/old-driver/libnvidia-ml.so.1
        FAKE_NVML_SCENARIO=$scen "$HEADROOM" probe --json --interval 0 \
            --root "$HR_FIXTURES/linux/sensorless-vm" --nvml-library "$lib" |
            python3 "$norm" >"$work/$name.json" || true
        compare "$name.json" "$work/$name.json"
    done
fi

[ "${UPDATE_GOLDEN:-0}" = 1 ] && { echo "golden files rewritten in $golden"; exit 0; }
echo "$checked golden outputs compared"
exit $fail
