/* probe.c: asks the OS layer and the GPU layer, merges, derives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/derive.h"
#include "core/internal.h"
#include "gpu/gpu_backend.h"
#include "platform/platform.h"

struct hr__probe_state {
    hr_ctx *ctx;
    struct hr__plat_state *plat;
    struct hr__gpu_state *gpu;
    size_t sources_cap;
};

void hr__probe_report(hr_probe *p, const char *name, hr_source_state state, hr_why why,
                      const char *fmt, ...) {
    size_t i = 0;
    while (i < p->nsources && strcmp(p->sources[i].name, name) != 0)
        i++;
    if (i == p->nsources) {
        if (hr__grow((void **)&p->sources, sizeof *p->sources, p->nsources,
                     &p->priv->sources_cap) != HR_OK)
            return;
        p->nsources++;
    }
    hr_source_report *r = &p->sources[i];
    hr__strlcpy(r->name, name, sizeof r->name);
    r->state = (int32_t)state;
    r->why = (int32_t)why;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(r->detail, sizeof r->detail, fmt, ap) < 0)
        r->detail[0] = '\0';
    va_end(ap);
}

hr_ctx *hr__probe_ctx(const hr_probe *p) { return p->priv ? p->priv->ctx : NULL; }

static void derive_all(hr_probe *p) {
    hr__derive_cpu_temp(p);
    hr__derive_mem_budget(&p->mem);
    hr__derive_pressure(&p->mem);
    hr__derive_accel(p);
}

hr_status hr_probe_open(hr_ctx *ctx, hr_probe **out) {
    if (!ctx || !out)
        return ctx ? hr__fail(ctx, HR_EINVAL, 0, "hr_probe_open: out is NULL") : HR_EINVAL;
    *out = NULL;
    hr_probe *p = calloc(1, sizeof *p);
    struct hr__probe_state *st = calloc(1, sizeof *st);
    if (!p || !st) {
        free(p);
        free(st);
        return hr__fail(ctx, HR_ENOMEM, 0, "probe: out of memory");
    }
    p->size = sizeof *p;
    p->priv = st;
    st->ctx = ctx;
    p->t_mono_ns = hr__now_mono_ns();
    p->t_wall_ns = hr__now_wall_ns();
    hr_status s = hr__plat_open(ctx, p, &st->plat);
    if (s == HR_OK)
        s = hr__gpu_open(ctx, p, &st->gpu);
    if (s != HR_OK) {
        hr_probe_free(p);
        return s == HR_ENOMEM ? hr__fail(ctx, s, 0, "probe: out of memory") : s;
    }
    derive_all(p);
    *out = p;
    return HR_OK;
}

hr_status hr_probe_refresh(hr_probe *p) {
    if (!p || !p->priv)
        return HR_EINVAL;
    p->t_mono_ns = hr__now_mono_ns();
    p->t_wall_ns = hr__now_wall_ns();
    hr_status s = hr__plat_refresh(p->priv->plat, p);
    hr_status g = hr__gpu_refresh(p->priv->gpu, p);
    derive_all(p);
    return s != HR_OK ? s : g;
}

void hr_probe_free(hr_probe *p) {
    if (!p)
        return;
    if (p->priv) {
        hr__gpu_close(p->priv->gpu, p);
        hr__plat_close(p->priv->plat, p);
        free(p->priv);
    }
    free(p->sources);
    free(p);
}
