/* derive.c: derived values. See derive.h. */
#include "core/derive.h"

#include <string.h>

/* CPU temperature sources in order of preference: a package/die sensor
 * describes the CPU; ACPI zones often describe the board, so they come last. */
static const struct {
    const char *chip;
    const char *label; /* NULL matches any label */
} cpu_sensor_rank[] = {
    {"coretemp", "Package id 0"}, {"k10temp", "Tdie"}, {"k10temp", "Tctl"}, {"zenpower", "Tdie"},
    {"zenpower", "Tctl"},         {"coretemp", NULL},  {"k10temp", NULL},   {"cpu_thermal", NULL},
    {"soc_thermal", NULL},
};

static const char *const cpu_zone_rank[] = {"x86_pkg_temp", "cpu-thermal", "cpu_thermal",
                                            "soc_thermal", "acpitz"};

static int sensor_matches(const hr_sensor *s, const char *chip, const char *label) {
    return s->kind == HR_SENSOR_TEMP && HR_IS_KNOWN(s->value) && strcmp(s->chip, chip) == 0 &&
           (!label || strcmp(s->label, label) == 0);
}

static int pick_sensor(hr_probe *p) {
    for (size_t r = 0; r < sizeof cpu_sensor_rank / sizeof cpu_sensor_rank[0]; r++) {
        for (size_t i = 0; i < p->nsensors; i++) {
            const hr_sensor *s = &p->sensors[i];
            if (!sensor_matches(s, cpu_sensor_rank[r].chip, cpu_sensor_rank[r].label))
                continue;
            p->cpu.temp_mc = s->value;
            p->cpu.temp_crit_mc = HR_IS_KNOWN(s->crit) ? s->crit : s->max;
            hr__snprintf(p->cpu.temp_source, sizeof p->cpu.temp_source, "hwmon %s %s", s->chip,
                         s->label);
            return 1;
        }
    }
    return 0;
}

static hr_reading zone_crit(const hr_thermal_zone *z) {
    for (int t = 0; t < z->ntrips && t < HR_MAX_TRIPS; t++)
        if (strcmp(z->trips[t].type, "critical") == 0 && HR_IS_KNOWN(z->trips[t].temp_mc))
            return z->trips[t].temp_mc;
    return hr__unknown(HR_WHY_ABSENT, 0);
}

static int pick_zone(hr_probe *p) {
    for (size_t r = 0; r < sizeof cpu_zone_rank / sizeof cpu_zone_rank[0]; r++) {
        for (size_t i = 0; i < p->nzones; i++) {
            const hr_thermal_zone *z = &p->zones[i];
            if (strcmp(z->type, cpu_zone_rank[r]) != 0 || !HR_IS_KNOWN(z->temp_mc))
                continue;
            p->cpu.temp_mc = z->temp_mc;
            p->cpu.temp_crit_mc = zone_crit(z);
            hr__snprintf(p->cpu.temp_source, sizeof p->cpu.temp_source, "thermal %s (%s)", z->name,
                         z->type);
            return 1;
        }
    }
    return 0;
}

void hr__derive_cpu_temp(hr_probe *p) {
    if (pick_sensor(p) || pick_zone(p))
        return;
    /* Keep a reason the OS layer may have set (e.g. macOS: no sudoless source). */
    if (p->cpu.temp_mc.why == HR_WHY_NOT_READ || HR_IS_KNOWN(p->cpu.temp_mc)) {
        p->cpu.temp_mc = hr__unknown(HR_WHY_ABSENT, 0);
        p->cpu.temp_crit_mc = hr__unknown(HR_WHY_ABSENT, 0);
    }
    p->cpu.temp_source[0] = '\0';
}

void hr__derive_mem_budget(hr_mem_info *m) {
    if (!HR_IS_KNOWN(m->available_bytes)) {
        m->budget_bytes = hr__unknown((hr_why)m->available_bytes.why, m->available_bytes.err);
        return;
    }
    int64_t budget = m->available_bytes.v;
    if (HR_IS_KNOWN(m->cgroup_limit_bytes) && HR_IS_KNOWN(m->cgroup_usage_bytes)) {
        int64_t room = m->cgroup_limit_bytes.v - m->cgroup_usage_bytes.v;
        if (room < 0)
            room = 0;
        if (room < budget)
            budget = room;
    }
    m->budget_bytes = hr__known(budget);
}

void hr__derive_pressure(hr_mem_info *m) {
    if (HR_IS_KNOWN(m->pressure_level))
        return;
    const hr_psi *psi = &m->psi_memory;
    if (!HR_IS_KNOWN(psi->some_avg10_ppm)) {
        m->pressure_level = hr__unknown((hr_why)psi->some_avg10_ppm.why, psi->some_avg10_ppm.err);
        return;
    }
    int64_t some = psi->some_avg10_ppm.v;
    int64_t full = HR_IS_KNOWN(psi->full_avg10_ppm) ? psi->full_avg10_ppm.v : 0;
    hr_pressure level = HR_PRESSURE_NORMAL;
    if (full >= 50000 || some >= 400000)
        level = HR_PRESSURE_CRITICAL;
    else if (some >= 100000)
        level = HR_PRESSURE_WARN;
    m->pressure_level = hr__known(level);
}

/* The usable GPU with the most free memory of VENDOR, or -1. */
static int best_gpu(const hr_probe *p, hr_gpu_vendor vendor, int want_unified) {
    int best = -1;
    int64_t best_free = -1;
    for (size_t i = 0; i < p->ngpus; i++) {
        const hr_gpu_info *g = &p->gpus[i];
        if (g->vendor != (int32_t)vendor || g->lost || (g->unified_memory != 0) != want_unified)
            continue;
        int64_t f = HR_IS_KNOWN(g->mem_free_bytes) ? g->mem_free_bytes.v : 0;
        if (best < 0 || f > best_free) {
            best = (int)i;
            best_free = f;
        }
    }
    return best;
}

/* Position of gpu G among the GPUs of its vendor: the CUDA/HIP ordinal when
 * CUDA_DEVICE_ORDER=PCI_BUS_ID (NVML enumerates in PCI order). */
static int vendor_ordinal(const hr_probe *p, int g) {
    int n = 0;
    for (int i = 0; i < g; i++)
        if (p->gpus[i].vendor == p->gpus[g].vendor)
            n++;
    return n;
}

static void accel_discrete(hr_probe *p, int g, hr_accel_kind kind) {
    hr_accel_info *a = &p->accel;
    const hr_gpu_info *gpu = &p->gpus[g];
    a->kind = kind;
    a->gpu_index = g;
    a->unified_memory = 0;
    hr__snprintf(a->torch_device, sizeof a->torch_device, "cuda:%d", vendor_ordinal(p, g));
    a->ceiling_bytes = gpu->mem_total_bytes;
    if (HR_IS_KNOWN(gpu->mem_free_bytes)) {
        a->budget_bytes = gpu->mem_free_bytes;
    } else if (HR_IS_KNOWN(gpu->mem_total_bytes) && HR_IS_KNOWN(gpu->mem_used_bytes)) {
        a->budget_bytes = hr__known(gpu->mem_total_bytes.v - gpu->mem_used_bytes.v);
    } else {
        a->budget_bytes = hr__unknown((hr_why)gpu->mem_free_bytes.why, gpu->mem_free_bytes.err);
    }
    hr__snprintf(a->budget_source, sizeof a->budget_source, "free VRAM of gpu%d (%s)", g,
                 gpu->name);
}

/* Unified memory: the Metal working-set ceiling less what the GPU holds,
 * capped by the memory the OS can still give, tempered by pressure. */
static void accel_unified(hr_probe *p, int g) {
    hr_accel_info *a = &p->accel;
    const hr_gpu_info *gpu = &p->gpus[g];
    a->kind = gpu->vendor == HR_GPU_APPLE ? HR_ACCEL_MPS : HR_ACCEL_ROCM;
    a->gpu_index = g;
    a->unified_memory = 1;
    hr__strlcpy(a->torch_device, a->kind == HR_ACCEL_MPS ? "mps" : "cuda:0",
                sizeof a->torch_device);
    a->ceiling_bytes = gpu->mem_total_bytes;
    if (!HR_IS_KNOWN(gpu->mem_total_bytes) || !HR_IS_KNOWN(p->mem.available_bytes)) {
        a->budget_bytes = HR_IS_KNOWN(gpu->mem_total_bytes)
                              ? p->mem.available_bytes
                              : hr__unknown((hr_why)gpu->mem_total_bytes.why, 0);
        hr__strlcpy(a->budget_source, "unknown: GPU ceiling or available memory unreadable",
                    sizeof a->budget_source);
        return;
    }
    int64_t used = HR_IS_KNOWN(gpu->mem_used_bytes) ? gpu->mem_used_bytes.v : 0;
    int64_t room = gpu->mem_total_bytes.v - used;
    if (room > p->mem.available_bytes.v)
        room = p->mem.available_bytes.v;
    if (room < 0)
        room = 0;
    const char *tempered = "";
    if (HR_IS_KNOWN(p->mem.pressure_level) && p->mem.pressure_level.v == HR_PRESSURE_WARN) {
        room = room / 4 * 3;
        tempered = ", x0.75 for warning memory pressure";
    } else if (HR_IS_KNOWN(p->mem.pressure_level) &&
               p->mem.pressure_level.v == HR_PRESSURE_CRITICAL) {
        room /= 2;
        tempered = ", x0.5 for critical memory pressure";
    }
    a->budget_bytes = hr__known(room);
    hr__snprintf(a->budget_source, sizeof a->budget_source,
                 "GPU working-set ceiling less GPU use, within available RAM%s", tempered);
}

static void accel_cpu(hr_probe *p) {
    hr_accel_info *a = &p->accel;
    a->kind = HR_ACCEL_CPU;
    a->gpu_index = -1;
    a->unified_memory = 1;
    hr__strlcpy(a->torch_device, "cpu", sizeof a->torch_device);
    a->budget_bytes = p->mem.budget_bytes;
    a->ceiling_bytes = p->mem.total_bytes;
    if (HR_IS_KNOWN(p->mem.cgroup_limit_bytes) && HR_IS_KNOWN(p->mem.total_bytes) &&
        p->mem.cgroup_limit_bytes.v < p->mem.total_bytes.v)
        a->ceiling_bytes = p->mem.cgroup_limit_bytes;
    hr__strlcpy(a->budget_source,
                HR_IS_KNOWN(p->mem.cgroup_limit_bytes) ? "available RAM within the cgroup limit"
                                                       : "available RAM",
                sizeof a->budget_source);
}

void hr__derive_accel(hr_probe *p) {
    memset(&p->accel, 0, sizeof p->accel);
    int g = best_gpu(p, HR_GPU_NVIDIA, 0);
    if (g >= 0) {
        accel_discrete(p, g, HR_ACCEL_CUDA);
        return;
    }
    g = best_gpu(p, HR_GPU_AMD, 0);
    if (g >= 0) {
        accel_discrete(p, g, HR_ACCEL_ROCM);
        return;
    }
    g = best_gpu(p, HR_GPU_APPLE, 1);
    if (g >= 0) {
        accel_unified(p, g);
        return;
    }
    /* An AMD APU (ROCm on unified memory) after any discrete GPU. */
    g = best_gpu(p, HR_GPU_AMD, 1);
    if (g >= 0) {
        accel_unified(p, g);
        return;
    }
    accel_cpu(p);
}
