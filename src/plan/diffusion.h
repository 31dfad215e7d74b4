/* diffusion.h: shared state of the diffusion planner (diffusion.c,
 * diffusion_savers.c). Pure. */
#ifndef HR_PLAN_DIFFUSION_H
#define HR_PLAN_DIFFUSION_H

#include "plan/dconf.h"

/* Working memory of the denoiser and the VAE decode, in bytes per output
 * megapixel at 16 bits, untiled: an SDXL 1024x1024 run peaks near 9.5-10
 * GiB with ~6.5 GiB of weights, so ~3 GiB per megapixel, of which the VAE
 * decode is about two thirds and the denoiser (SDPA attention) one third.
 * VAE tiling bounds the decode to one tile at a time. Estimates,
 * documented as such in docs/PLANNER.md. */
#define HR__DIFF_WORK_PER_MP (3LL * HR__GIB)

typedef struct hr__dplan {
    const hr_plan_dconf *c;
    const hr_plan_device *d;
    const hr_plan_diffusion_req *req;
    hr_plan_diffusion_result *r;
    const char *dev;        /* "mps", "cuda" or "cpu": which tables apply */
    int sdxl;               /* 1 for SDXL (attention processor, MPS VAE size) */
    int64_t weights;        /* pipeline weights at dtype; 0 when unknown */
    int64_t largest;        /* largest component at dtype */
    int64_t runtime;
    int tiling;             /* VAE tiling decided on */
} hr__dplan;

/* Working memory for the output size with or without VAE tiling. */
int64_t hr__dplan_work(const hr__dplan *p, int tiled);

/* Decides the 13 optimisation switches and the verdict. */
void hr__dplan_savers(hr__dplan *p);

#endif /* HR_PLAN_DIFFUSION_H */
