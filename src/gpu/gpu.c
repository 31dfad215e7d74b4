/* gpu.c: the static backend table, enumeration and dispatch. */
#include "gpu/gpu_backend.h"

#include <stdlib.h>
#include <string.h>

/* The compiled-in backends, tried in this order. A machine may have several
 * vendors side by side, so every backend is asked. */
static const hr__gpu_backend *const backends[] = {
#ifdef HR_WITH_NVML
    &hr__gpu_nvml,
#endif
#ifdef HR_WITH_AMD_SYSFS
    &hr__gpu_amd_sysfs,
#endif
#ifdef HR_WITH_APPLE
    &hr__gpu_apple_iokit,
#endif
    NULL,
};

#define NBACKENDS (sizeof backends / sizeof backends[0] - 1)

/* Which backend and device number each probe GPU came from. */
typedef struct gpu_slot {
    int backend;
    int dev;
} gpu_slot;

struct hr__gpu_state {
    hr_ctx *ctx;
    void *bstate[NBACKENDS + 1];
    gpu_slot *slots;
};

static hr_source_state state_for(hr_status s) {
    return (s == HR_ENOLIB || s == HR_ENODEV) ? HR_SOURCE_ABSENT : HR_SOURCE_FAILED;
}

static hr_why why_for(hr_status s) {
    switch (s) {
    case HR_ENOLIB: return HR_WHY_NO_LIBRARY;
    case HR_ESYMBOL: return HR_WHY_SYMBOL_MISSING;
    case HR_ENODEV: return HR_WHY_ABSENT;
    case HR_EPERM: return HR_WHY_NO_PERMISSION;
    default: return HR_WHY_DRIVER_ERROR;
    }
}

static hr_status add_devices(struct hr__gpu_state *st, hr_probe *p, int b, int ndev,
                             size_t *cap, size_t *slotcap) {
    for (int d = 0; d < ndev; d++) {
        if (hr__grow((void **)&p->gpus, sizeof *p->gpus, p->ngpus, cap) != HR_OK ||
            hr__grow((void **)&st->slots, sizeof *st->slots, p->ngpus, slotcap) != HR_OK)
            return HR_ENOMEM;
        hr_gpu_info *g = &p->gpus[p->ngpus];
        memset(g, 0, sizeof *g);
        g->index = (int32_t)p->ngpus;
        backends[b]->read_static(st->bstate[b], d, g);
        g->index = (int32_t)p->ngpus;
        backends[b]->refresh(st->bstate[b], d, g);
        st->slots[p->ngpus].backend = b;
        st->slots[p->ngpus].dev = d;
        p->ngpus++;
    }
    return HR_OK;
}

hr_status hr__gpu_open(hr_ctx *ctx, hr_probe *p, struct hr__gpu_state **out) {
    struct hr__gpu_state *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->ctx = ctx;
    size_t cap = 0, slotcap = 0;
    for (size_t b = 0; b < NBACKENDS; b++) {
        char detail[160] = "";
        int ndev = 0;
        hr_status s = backends[b]->init(ctx, &st->bstate[b], &ndev, detail, sizeof detail);
        if (s != HR_OK) {
            st->bstate[b] = NULL;
            hr__probe_report(p, backends[b]->name, state_for(s), why_for(s), "%s", detail);
            continue;
        }
        hr__probe_report(p, backends[b]->name, ndev > 0 ? HR_SOURCE_ANSWERED : HR_SOURCE_ABSENT,
                         ndev > 0 ? HR_WHY_KNOWN : HR_WHY_ABSENT, "%s", detail);
        if (add_devices(st, p, (int)b, ndev, &cap, &slotcap) != HR_OK) {
            hr__gpu_close(st, p);
            return HR_ENOMEM;
        }
    }
    *out = st;
    return HR_OK;
}

hr_status hr__gpu_refresh(struct hr__gpu_state *st, hr_probe *p) {
    if (!st)
        return HR_OK;
    for (size_t i = 0; i < p->ngpus; i++) {
        gpu_slot s = st->slots[i];
        backends[s.backend]->refresh(st->bstate[s.backend], s.dev, &p->gpus[i]);
    }
    return HR_OK;
}

void hr__gpu_close(struct hr__gpu_state *st, hr_probe *p) {
    if (st) {
        for (size_t b = 0; b < NBACKENDS; b++)
            if (st->bstate[b])
                backends[b]->shutdown(st->bstate[b]);
        free(st->slots);
        free(st);
    }
    if (p) {
        free(p->gpus);
        p->gpus = NULL;
        p->ngpus = 0;
    }
}
