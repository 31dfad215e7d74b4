/* platform.c: the OS layer for platforms headroom does not support. It
 * compiles everywhere and reports every OS value as not applicable, so the
 * CLI still runs and GPU backends still answer. */
#include "platform/platform.h"

#include <stdlib.h>

struct hr__plat_state {
    int unused;
};

static void mark_unknown(hr_reading *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        r[i] = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
}

hr_status hr__plat_open(hr_ctx *ctx, hr_probe *p, struct hr__plat_state **out) {
    (void)ctx;
    struct hr__plat_state *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    mark_unknown((hr_reading *)&p->mem, sizeof p->mem / sizeof(hr_reading));
    hr__probe_report(p, "os", HR_SOURCE_ABSENT, HR_WHY_NOT_APPLICABLE,
                     "this operating system has no headroom OS layer");
    *out = st;
    return HR_OK;
}

hr_status hr__plat_refresh(struct hr__plat_state *st, hr_probe *p) {
    (void)st;
    (void)p;
    return HR_OK;
}

void hr__plat_close(struct hr__plat_state *st, hr_probe *p) {
    (void)p;
    free(st);
}
