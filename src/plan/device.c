/* device.c: the device a plan is for, assumed from flags (pure). The probe
 * adapter lives in from_probe.c. */
#include <string.h>

#include "core/apple.h"
#include "plan/plan_internal.h"

void hr_plan_device_init(hr_plan_device *d) {
    memset(d, 0, sizeof *d);
    d->size = sizeof *d;
    d->bf16 = HR_PLAN_UNKNOWN;
    hr_reading none = {0, HR_WHY_ABSENT, 0};
    d->total_bytes = none;
    d->ceiling_bytes = none;
    d->budget_bytes = none;
    for (int i = 0; i < HR_PLAN_MAX_GPUS; i++)
        d->gpu_budget_bytes[i] = none;
    d->host_available_bytes = none;
    d->pressure_level = none;
}

/* The macOS layer's rule (core/apple.h): 2/3 of RAM up to 32 GiB, 3/4
 * above, unless iogpu.wired_limit_mb is set, which a real Mac's probe reads
 * and an assumed one does not have. */
int64_t hr_plan_apple_working_set_bytes(int64_t ram_bytes) {
    int64_t ws = hr__apple_working_set_bytes(ram_bytes, 0);
    return ws > 0 ? ws : 0;
}

static void assume_gpus(hr_plan_device *d, int kind, int64_t total, int64_t free_b, int gpus) {
    d->ngpus = gpus < 1 ? 1 : gpus;
    d->unified_memory = 0;
    hr__strlcpy(d->torch_device, "cuda:0", sizeof d->torch_device);
    d->total_bytes = hr__known(total);
    d->ceiling_bytes = hr__known(total);
    d->budget_bytes = hr__known(free_b);
    for (int i = 0; i < d->ngpus; i++)
        d->gpu_budget_bytes[i] = hr__known(free_b);
    d->bf16 = HR_PLAN_UNKNOWN;
    hr__snprintf(d->bf16_reason, sizeof d->bf16_reason,
                 "unknown for an assumed %s GPU (bf16 needs compute capability 8.0+ on NVIDIA, "
                 "CDNA2+/RDNA3 on AMD)", kind == HR_ACCEL_CUDA ? "CUDA" : "ROCm");
    char b[32];
    hr__plan_fmt_bytes(b, sizeof b, free_b);
    hr__snprintf(d->budget_source, sizeof d->budget_source,
                 "assumed: %s free VRAM per GPU%s", b, free_b == total ? " (all of it)" : "");
}

static void assume_mps(hr_plan_device *d, int64_t total, int64_t free_b) {
    int64_t ws = hr_plan_apple_working_set_bytes(total);
    d->unified_memory = 1;
    hr__strlcpy(d->torch_device, "mps", sizeof d->torch_device);
    d->total_bytes = hr__known(total);
    d->ceiling_bytes = hr__known(ws);
    d->budget_bytes = hr__known(ws < free_b ? ws : free_b);
    d->host_available_bytes = hr__known(free_b);
    d->bf16 = HR_PLAN_UNKNOWN;
    hr__strlcpy(d->bf16_reason, "unknown for an assumed Mac (MPS has bf16 from macOS 14)",
                sizeof d->bf16_reason);
    char w[32], t[32], f[32];
    hr__plan_fmt_bytes(w, sizeof w, ws);
    hr__plan_fmt_bytes(t, sizeof t, total);
    hr__plan_fmt_bytes(f, sizeof f, free_b);
    hr__snprintf(d->budget_source, sizeof d->budget_source,
                 "assumed: Metal working set %s (%s of %s RAM) within %s free", w,
                 total <= 32 * HR__GIB ? "2/3" : "3/4", t, f);
}

static void assume_cpu(hr_plan_device *d, int64_t total, int64_t free_b) {
    d->unified_memory = 1;
    hr__strlcpy(d->torch_device, "cpu", sizeof d->torch_device);
    d->total_bytes = hr__known(total);
    d->ceiling_bytes = hr__known(total);
    d->budget_bytes = hr__known(free_b);
    d->host_available_bytes = hr__known(free_b);
    d->bf16 = HR_PLAN_YES;
    hr__strlcpy(d->bf16_reason, "PyTorch runs bf16 on any CPU (fast with AVX512-BF16/AMX)",
                sizeof d->bf16_reason);
    char f[32];
    hr__plan_fmt_bytes(f, sizeof f, free_b);
    hr__snprintf(d->budget_source, sizeof d->budget_source, "assumed: %s available RAM", f);
}

hr_status hr_plan_device_assume(int kind, int64_t total_bytes, int64_t free_bytes, int gpus,
                                hr_plan_device *out, hr_plan_error *err) {
    if (kind < HR_ACCEL_CPU || kind > HR_ACCEL_MPS)
        return hr__plan_fail(err, HR_EINVAL, "--assume-device", "use one of cuda, rocm, mps, cpu",
                             "unknown device kind %d", kind);
    if (total_bytes <= 0)
        return hr__plan_fail(err, HR_EINVAL, "--assume-memory", "give the memory, e.g. 16G",
                             "memory must be positive");
    if (free_bytes > total_bytes)
        return hr__plan_fail(err, HR_EINVAL, "--assume-free", "free memory cannot exceed the total",
                             "free memory is larger than --assume-memory");
    if (gpus < 0 || gpus > HR_PLAN_MAX_GPUS)
        return hr__plan_fail(err, HR_EINVAL, "--assume-gpus", "use 1 to 16",
                             "%d GPUs is out of range", gpus);
    if (gpus > 1 && kind != HR_ACCEL_CUDA && kind != HR_ACCEL_ROCM)
        return hr__plan_fail(err, HR_EINVAL, "--assume-gpus", "only cuda and rocm have several GPUs",
                             "%d GPUs given for %s", gpus, hr_plan_device_kind_name(kind));
    int64_t free_b = free_bytes < 0 ? total_bytes : free_bytes;
    hr_plan_device_init(out);
    out->kind = kind;
    out->assumed = 1;
    hr__snprintf(out->name, sizeof out->name, "assumed %s", hr_plan_device_kind_name(kind));
    if (kind == HR_ACCEL_CUDA || kind == HR_ACCEL_ROCM)
        assume_gpus(out, kind, total_bytes, free_b, gpus);
    else if (kind == HR_ACCEL_MPS)
        assume_mps(out, total_bytes, free_b);
    else
        assume_cpu(out, total_bytes, free_b);
    if (kind != HR_ACCEL_CPU && kind != HR_ACCEL_MPS) {
        /* Nothing is known about the host of an assumed GPU: offload needs RAM,
         * so a plan that offloads says it assumed none. */
        out->host_available_bytes = hr__unknown(HR_WHY_ABSENT, 0);
    }
    return HR_OK;
}
