/* from_probe.c: describes the probe's accelerator for the planner. The
 * probe already chose the accelerator and its budget (core/derive.c); this
 * adds the GPUs a split could use, the RAM for offload, the pressure and
 * whether bf16 is usable. Unknown readings stay unknown. */
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

/* GPU names of NVIDIA parts with compute capability 8.0 or newer (Ampere,
 * Ada, Hopper, Blackwell) and of older parts without bf16. The probe has
 * no compute capability yet; the name is the best evidence it gives. */
static const char *const nv_bf16_yes[] = {
    "A100", "A800", "A10", "A16", "A30", "A40", "A2 ", "A6000", "A5000", "A4500", "A4000",
    "A2000", "H100", "H200", "H800", "H20", "GH200", "B100", "B200", "GB200", "L4", "L40",
    "RTX 30", "RTX 40", "RTX 50", "Ada", "Blackwell", "RTX PRO"};
static const char *const nv_bf16_no[] = {"V100", "T4", "P100", "P40", "P4", "K80", "M60",
                                         "GTX", "RTX 20", "TITAN", "Quadro"};
/* AMD: CDNA2+ (MI200, MI300) and RDNA3+ (RX 7000, RX 9000, W7000). */
static const char *const amd_bf16_yes[] = {"MI2", "MI3", "RX 7", "RX 9", "W7", "Radeon PRO W7"};

static int name_in(const char *name, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strstr(name, list[i]))
            return 1;
    return 0;
}

static void bf16_gpu(hr_plan_device *d, const hr_gpu_info *g) {
    int nv = g->vendor == HR_GPU_NVIDIA;
    if (nv && name_in(g->name, nv_bf16_no, sizeof nv_bf16_no / sizeof nv_bf16_no[0]) &&
        !name_in(g->name, nv_bf16_yes, sizeof nv_bf16_yes / sizeof nv_bf16_yes[0])) {
        d->bf16 = HR_PLAN_NO;
        hr__snprintf(d->bf16_reason, sizeof d->bf16_reason,
                     "%s predates compute capability 8.0 (no bf16 tensor cores)", g->name);
    } else if (nv && name_in(g->name, nv_bf16_yes, sizeof nv_bf16_yes / sizeof nv_bf16_yes[0])) {
        d->bf16 = HR_PLAN_YES;
        hr__snprintf(d->bf16_reason, sizeof d->bf16_reason,
                     "%s has compute capability 8.0 or newer", g->name);
    } else if (!nv && name_in(g->name, amd_bf16_yes, sizeof amd_bf16_yes / sizeof amd_bf16_yes[0])) {
        d->bf16 = HR_PLAN_YES;
        hr__snprintf(d->bf16_reason, sizeof d->bf16_reason, "%s is CDNA2+/RDNA3+", g->name);
    } else {
        d->bf16 = HR_PLAN_UNKNOWN;
        hr__snprintf(d->bf16_reason, sizeof d->bf16_reason,
                     "not known for '%s' (needs compute capability 8.0+ / CDNA2+)", g->name);
    }
}

/* MPS bf16 needs macOS 14 (Sonoma) or newer. */
static void bf16_mps(hr_plan_device *d, const hr_probe *p) {
    const char *rel = p->host.os_release;
    long major = rel[0] ? strtol(rel, NULL, 10) : 0;
    if (major <= 0) {
        d->bf16 = HR_PLAN_UNKNOWN;
        hr__strlcpy(d->bf16_reason, "macOS version unknown (MPS has bf16 from macOS 14)",
                    sizeof d->bf16_reason);
        return;
    }
    d->bf16 = major >= 14 ? HR_PLAN_YES : HR_PLAN_NO;
    hr__snprintf(d->bf16_reason, sizeof d->bf16_reason, "macOS %s %s", rel,
                 major >= 14 ? "has MPS bf16 (14+)" : "predates MPS bf16 (needs 14+)");
}

/* Every usable GPU of the accelerator's vendor, the chosen one first. */
static void collect_gpus(hr_plan_device *d, const hr_probe *p) {
    const hr_gpu_info *chosen = &p->gpus[p->accel.gpu_index];
    d->gpu_budget_bytes[0] = p->accel.budget_bytes;
    int n = 1;
    for (size_t i = 0; i < p->ngpus && n < HR_PLAN_MAX_GPUS; i++) {
        const hr_gpu_info *g = &p->gpus[i];
        if ((int)i == p->accel.gpu_index || g->lost || g->vendor != chosen->vendor ||
            g->unified_memory)
            continue;
        d->gpu_budget_bytes[n++] = g->mem_free_bytes;
    }
    d->ngpus = n;
}

hr_status hr_plan_device_from_probe(const hr_probe *p, hr_plan_device *out) {
    if (!p || !out)
        return HR_EINVAL;
    const hr_accel_info *a = &p->accel;
    hr_plan_device_init(out);
    out->kind = a->kind;
    out->unified_memory = a->unified_memory;
    hr__strlcpy(out->torch_device, a->torch_device[0] ? a->torch_device : "cpu",
                sizeof out->torch_device);
    out->budget_bytes = a->budget_bytes;
    out->ceiling_bytes = a->ceiling_bytes;
    hr__strlcpy(out->budget_source, a->budget_source, sizeof out->budget_source);
    out->host_available_bytes = p->mem.budget_bytes;
    out->pressure_level = p->mem.pressure_level;
    int has_gpu = a->gpu_index >= 0 && (size_t)a->gpu_index < p->ngpus;
    if (has_gpu) {
        const hr_gpu_info *g = &p->gpus[a->gpu_index];
        hr__strlcpy(out->name, g->name, sizeof out->name);
        out->total_bytes = a->kind == HR_ACCEL_MPS ? p->mem.total_bytes : g->mem_total_bytes;
    } else {
        hr__strlcpy(out->name, p->host.cpu_model[0] ? p->host.cpu_model : "CPU", sizeof out->name);
        out->total_bytes = p->mem.total_bytes;
    }
    if (has_gpu && !a->unified_memory)
        collect_gpus(out, p);
    if (a->kind == HR_ACCEL_MPS) {
        bf16_mps(out, p);
    } else if (has_gpu) {
        bf16_gpu(out, &p->gpus[a->gpu_index]);
    } else {
        out->bf16 = HR_PLAN_YES;
        hr__strlcpy(out->bf16_reason, "PyTorch runs bf16 on any CPU (fast with AVX512-BF16/AMX)",
                    sizeof out->bf16_reason);
    }
    return HR_OK;
}
