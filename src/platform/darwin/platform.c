/* platform.c: the macOS OS layer, composed of its per-concern modules. */
#include "platform/platform.h"

#include <stdlib.h>

#include "platform/darwin/darwin.h"

struct hr__plat_state {
    hr_ctx *ctx;
    struct hr__dw_cpu *cpu;
    struct hr__dw_mem *mem;
    struct hr__dw_thermal *thermal;
};

hr_status hr__plat_open(hr_ctx *ctx, hr_probe *p, struct hr__plat_state **out) {
    *out = NULL;
    struct hr__plat_state *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->ctx = ctx;
    hr__dw_host_read(p);
    hr_status s = hr__dw_cpu_open(p, &st->cpu);
    if (s == HR_OK)
        s = hr__dw_mem_open(p, &st->mem);
    if (s == HR_OK)
        s = hr__dw_thermal_open(p, &st->thermal);
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
    hr__dw_host_refresh(p);
    hr__dw_cpu_refresh(st->cpu, p);
    hr__dw_mem_refresh(st->mem, p);
    hr__dw_thermal_refresh(st->thermal, p);
    return HR_OK;
}

void hr__plat_close(struct hr__plat_state *st, hr_probe *p) {
    if (!st)
        return;
    hr__dw_thermal_close(st->thermal, p);
    hr__dw_mem_close(st->mem, p);
    hr__dw_cpu_close(st->cpu, p);
    free(st);
}
