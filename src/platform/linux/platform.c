/* platform.c: the Linux OS layer, composed of its per-concern modules. */
#include "platform/platform.h"

#include <stdlib.h>

#include "platform/linux/linux.h"

struct hr__plat_state {
    hr_ctx *ctx;
    struct hr__lx_cpu *cpu;
    struct hr__lx_mem *mem;
    struct hr__lx_hwmon *hwmon;
    struct hr__lx_thermal *thermal;
    struct hr__lx_rapl *rapl;
};

hr_status hr__plat_open(hr_ctx *ctx, hr_probe *p, struct hr__plat_state **out) {
    *out = NULL;
    struct hr__plat_state *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->ctx = ctx;
    hr_status s = hr__lx_host_read(ctx, p);
    if (s == HR_OK)
        s = hr__lx_cpu_open(ctx, p, &st->cpu);
    if (s == HR_OK)
        s = hr__lx_mem_open(ctx, p, &st->mem);
    if (s == HR_OK)
        s = hr__lx_hwmon_open(ctx, p, &st->hwmon);
    if (s == HR_OK)
        s = hr__lx_thermal_open(ctx, p, &st->thermal);
    if (s == HR_OK)
        s = hr__lx_rapl_open(ctx, p, &st->rapl);
    if (s != HR_OK) {
        hr__plat_close(st, p);
        return s;
    }
    *out = st;
    return HR_OK;
}

hr_status hr__plat_refresh(struct hr__plat_state *st, hr_probe *p) {
    if (!st)
        return HR_EINVAL;
    hr__lx_cpu_refresh(st->cpu, p);
    hr__lx_mem_refresh(st->mem, p);
    hr__lx_hwmon_refresh(st->hwmon, p);
    hr__lx_thermal_refresh(st->thermal, p);
    hr__lx_rapl_refresh(st->rapl, p);
    return HR_OK;
}

void hr__plat_close(struct hr__plat_state *st, hr_probe *p) {
    if (!st)
        return;
    hr__lx_rapl_close(st->rapl, p);
    hr__lx_thermal_close(st->thermal, p);
    hr__lx_hwmon_close(st->hwmon, p);
    hr__lx_mem_close(st->mem, p);
    hr__lx_cpu_close(st->cpu, p);
    free(st);
}
