#!/usr/bin/env bash
# test_plan_cli.sh: `headroom plan` end to end. Plans for assumed machines
# and fixture model directories must print exactly the golden --json files
# (tests/fixtures/plan/golden; HR_UPDATE_GOLDEN=1 rewrites them, review the
# diff), and bad input must exit 2 with "headroom: plan: WHAT: WHY" and a
# "hint:" line on stderr. Runs from tests/fixtures/plan so that paths in the
# output are relative. Needs HEADROOM (the CLI) and HR_FIXTURES.
set -u
: "${HEADROOM:?set HEADROOM to the headroom binary}" "${HR_FIXTURES:?set HR_FIXTURES}"
fx="$HR_FIXTURES/plan"
golden="$fx/golden"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# Only this script's own settings may reach the planner.
while IFS='=' read -r name _; do
    case "$name" in HEADROOM_* | DIFFUSIONAPI_*) unset "$name" ;; esac
done < <(env)
cd "$fx" || exit 1

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# golden NAME RC ARGS...: --json output equals golden/NAME.json, exit RC.
golden() {
    local name=$1 want=$2
    shift 2
    "$HEADROOM" plan "$@" --json >"$tmp/$name.json" 2>"$tmp/$name.err"
    local rc=$?
    [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want: $(cat "$tmp/$name.err")"
    [ -s "$tmp/$name.err" ] && fail "$name: unexpected stderr: $(cat "$tmp/$name.err")"
    if [ "${HR_UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$tmp/$name.json" "$golden/$name.json"
    elif ! diff -u "$golden/$name.json" "$tmp/$name.json" >"$tmp/$name.diff"; then
        fail "$name: output differs from golden/$name.json"
        head -40 "$tmp/$name.diff" >&2
    fi
}

# bad NAME WHAT-PATTERN ARGS...: exit 2, first stderr line "headroom: plan: ...", a hint.
bad() {
    local name=$1 pattern=$2
    shift 2
    "$HEADROOM" plan "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    local rc=$?
    [ "$rc" = 2 ] || fail "$name: exit $rc, want 2"
    [ -s "$tmp/$name.out" ] && fail "$name: wrote to stdout"
    head -1 "$tmp/$name.err" | grep -q "^headroom: plan: $pattern" ||
        fail "$name: stderr '$(head -1 "$tmp/$name.err")' does not match '$pattern'"
    sed -n 2p "$tmp/$name.err" | grep -q '^hint: ' || fail "$name: no hint line"
}

# --- seed 003: a 16 GB M3 ---
golden model-seed003-3b-m3 0 model --model-id Qwen/Qwen2.5-3B-Instruct --assume-device mps --assume-memory 16G
golden model-seed003-omni3b-m3 0 model --model-id Qwen/Qwen2.5-Omni-3B --assume-device mps --assume-memory 16G
golden model-seed003-7b-m3 1 model --model-id Qwen/Qwen2.5-7B-Instruct --assume-device mps --assume-memory 16G
golden model-13b-cuda24 0 model --model-id meta-llama/Llama-2-13b-hf --assume-device cuda --assume-memory 24G
golden model-70b-2x80 0 model --params 70B --assume-device cuda --assume-memory 80G --assume-gpus 2
golden model-8x7b-offload 0 model --params 8x7B --assume-device cuda --assume-memory 24G --assume-ram 128G --no-quantization
golden model-cpu-7b 0 model --params 7B --assume-device cpu --assume-memory 32G
golden model-dir-qwen05 0 model --model-dir models/qwen2.5-0.5b --assume-device cuda --assume-memory 8G --context 32768
golden model-dir-llama7b-split 0 model --model-dir models/llama-2-7b-sharded --assume-device cuda --assume-memory 12G --assume-gpus 2
golden model-dir-llama7b-index 1 model --model-dir models/llama-2-7b-index-only --assume-device cuda --assume-memory 8G

# --- seed 002: diffusion ---
golden diffusion-seed002-doc 0 diffusion --size 2048x2048 --model sdxl --config configs/seed002-doc-example.json --assume-device mps --assume-memory 16G --assume-free 8.5G --explain
golden diffusion-cuda-vram 0 diffusion --size 1536x1536 --model sdxl --assume-device cuda --assume-memory 8G --assume-ram 64G
HEADROOM_MAX_IMAGE_SIZE=1024x1024 DIFFUSIONAPI_ENABLE_CPU_OFFLOAD=false HEADROOM_CONFIG=configs/disable-tiling.json \
    golden diffusion-layers 0 diffusion --size 1280x1280 --assume-device cuda --assume-memory 24G --enable enable_vae_tiling --set device_settings.cuda.tile_size=256 --explain

# --- seed 001: pixel caches on a 16 GB card beside SigLIP2-so400m ---
golden cache-5000-384 0 cache --count 5000 --size 384 --model-mem 1.6G --per-sample-mem 50M --assume-device cuda --assume-memory 16G
golden cache-10000-384 0 cache --count 10000 --size 384 --model-mem 1.6G --assume-device cuda --assume-memory 16G
golden cache-10000-384-m3ultra 0 cache --count 10000 --size 384 --model-mem 1.6G --per-sample-mem 50M --assume-device mps --assume-memory 96G

# --- bad input: exit 2, what and why, a hint ---
bad params-unit '--params: .7Q.: unknown unit' model --params 7Q --assume-device cuda --assume-memory 8G
bad params-negative '--params: .-7B. is negative' model --params -7B --assume-device cuda --assume-memory 8G
bad params-absurd '--params: .99999T. is absurd' model --params 99999T --assume-device cuda --assume-memory 8G
bad size-unknown 'model size: the parameter count of .gpt2. is unknown' model --model-id gpt2 --assume-device cuda --assume-memory 8G
bad no-model 'model size: no model given' model --assume-device cuda --assume-memory 8G
bad memory-unit '--assume-memory: .16X.: unknown unit' model --params 7B --assume-device cuda --assume-memory 16X
bad memory-zero '--assume-memory: .0G. is zero' model --params 7B --assume-device cuda --assume-memory 0G
bad device-kind '--assume-device: .tpu. is not a device kind' model --params 7B --assume-device tpu --assume-memory 16G
bad needs-device '--assume-memory: needs --assume-device' model --params 7B --assume-memory 16G
bad needs-memory '--assume-device: needs --assume-memory' model --params 7B --assume-device cuda
bad free-above-total '--assume-free: ' model --params 7B --assume-device cuda --assume-memory 8G --assume-free 9G
bad int4-on-mps '--dtype: int4 needs bitsandbytes' model --params 7B --assume-device mps --assume-memory 16G --dtype int4
bad context '--context: .0. is not a whole number' model --params 7B --assume-device cuda --assume-memory 8G --context 0
bad ambiguous-id '--model-id: .org/m-7B-13B. names two sizes' model --model-id org/m-7B-13B --assume-device cuda --assume-memory 8G
bad truncated 'models/truncated-header/model.safetensors: the file ends inside' model --model-dir models/truncated-header --assume-device cuda --assume-memory 8G
bad no-dir 'models/nope: No such file' model --model-dir models/nope --assume-device cuda --assume-memory 8G
bad unknown-option 'option: unknown option .--frobnicate.' model --frobnicate
bad wrong-subcommand-option "--params: not an option of 'plan diffusion'" diffusion --params 7B --size 512
bad no-such-plan 'train: no such plan' train
bad diffusion-no-size '--size: the image size is required' diffusion --assume-device cuda --assume-memory 8G
bad diffusion-size '--size: .2048x. is not WxH' diffusion --size 2048x --assume-device cuda --assume-memory 8G
bad diffusion-model '--model: .sd9. is not a pipeline' diffusion --size 512 --model sd9 --assume-device cuda --assume-memory 8G
bad config-unknown-key 'configs/unknown-key.json:5:3: optimisations: unknown key' diffusion --size 512 --config configs/unknown-key.json --assume-device cuda --assume-memory 8G
bad config-bad-type 'configs/bad-type.json:5:7: device_settings.cuda.aggressive_cleanup: expected true or false' diffusion --size 512 --config configs/bad-type.json --assume-device cuda --assume-memory 8G
bad config-syntax 'configs/bad-syntax.json:4:3: ' diffusion --size 512 --config configs/bad-syntax.json --assume-device cuda --assume-memory 8G
bad config-missing 'configs/nope.json: No such file' diffusion --size 512 --config configs/nope.json --assume-device cuda --assume-memory 8G
bad config-thresholds 'file configs/thresholds-not-increasing.json: memory_thresholds.medium = 18 is not above memory_thresholds.low = 20' diffusion --size 512 --config configs/thresholds-not-increasing.json --assume-device cuda --assume-memory 8G
HEADROOM_ENABLE_VAE_TILING=yes bad env-bool 'HEADROOM_ENABLE_VAE_TILING: optimizations.enable_vae_tiling: .yes. is not a boolean' diffusion --size 512 --assume-device cuda --assume-memory 8G
DIFFUSIONAPI_MEMORY_CONFIG=configs/nope.json bad env-config 'configs/nope.json: No such file' diffusion --size 512 --assume-device cuda --assume-memory 8G
HEADROOM_ENABLE_VAE_TILNG=1 bad env-typo 'HEADROOM_ENABLE_VAE_TILNG: no such option' diffusion --size 512 --assume-device cuda --assume-memory 8G
bad set-unknown '--set memory_thresholds.lo: unknown setting' diffusion --size 512 --set memory_thresholds.lo=3 --assume-device cuda --assume-memory 8G
bad set-form '--set: expected KEY=VALUE' diffusion --size 512 --set memory_thresholds.low --assume-device cuda --assume-memory 8G
bad cache-count '--count: .0. is not a whole number' cache --count 0 --size 224 --assume-device cuda --assume-memory 8G
bad cache-dtype '--dtype: int4 is not a tensor cache dtype' cache --count 10 --size 224 --dtype int4 --assume-device cuda --assume-memory 8G
bad cache-no-size '--size: is required' cache --count 10 --assume-device cuda --assume-memory 8G

# --- help and usage ---
for sub in "" model diffusion cache; do
    # shellcheck disable=SC2086
    "$HEADROOM" plan $sub --help >"$tmp/help.out" 2>&1 || fail "plan $sub --help: exit $?"
    grep -q '^usage: headroom plan' "$tmp/help.out" || fail "plan $sub --help: no usage line"
done
"$HEADROOM" plan >/dev/null 2>"$tmp/noargs.err"
[ $? = 2 ] || fail "plan without a subcommand: exit not 2"
"$HEADROOM" --help | grep -q '^  plan ' || fail "headroom --help does not list plan"

# --- an unknown budget is said, not taken as 0: exit 1 ---
mkdir -p "$tmp/emptyroot"
HEADROOM_ROOT="$tmp/emptyroot" HEADROOM_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1 \
    "$HEADROOM" plan model --params 7B >"$tmp/unknown.out" 2>"$tmp/unknown.err"
rc=$?
[ "$rc" = 1 ] || fail "unknown budget: exit $rc, want 1"
grep -q -- '--assume-device' "$tmp/unknown.out" "$tmp/unknown.err" || fail "unknown budget: no --assume hint"
grep -q '0 bytes usable' "$tmp/unknown.out" && fail "unknown budget shown as 0 bytes"

# --- NO_COLOR: colour only on a terminal and only without NO_COLOR ---
if command -v script >/dev/null 2>&1; then
    cmd="'$HEADROOM' plan model --params 1B --assume-device cuda --assume-memory 8G"
    script -qec "$cmd" /dev/null >"$tmp/tty.out" 2>&1
    grep -q $'\033\[32m' "$tmp/tty.out" || fail "no colour on a terminal"
    NO_COLOR=1 script -qec "$cmd" /dev/null >"$tmp/tty.out" 2>&1
    grep -q $'\033\[' "$tmp/tty.out" && fail "colour despite NO_COLOR"
fi
"$HEADROOM" plan model --params 1B --assume-device cuda --assume-memory 8G | grep -q $'\033\[' &&
    fail "colour on a pipe"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "plan CLI: all cases passed"
