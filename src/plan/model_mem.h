/* model_mem.h: the model planner's memory arithmetic, shared by model.c
 * and model_fallbacks.c. Pure. */
#ifndef HR_PLAN_MODEL_MEM_H
#define HR_PLAN_MODEL_MEM_H

#include "plan/plan_internal.h"

/* The inputs of one planning run and the derived constants. */
typedef struct hr__mplan {
    const hr_plan_model_facts *f;
    const hr_plan_device *d;
    const hr_plan_model_opts *o;
    hr_plan_model_result *r;
    int64_t params;      /* total parameters */
    int64_t unquantized; /* parameters bitsandbytes leaves 16-bit */
    int unq_assumed;     /* 1 when unquantized is the 10 % assumption */
    int64_t budget;      /* device budget, bytes */
    int64_t usable;      /* budget less margin */
    int32_t pref;        /* preferred dtype on this device */
} hr__mplan;

/* Memory for one way of loading the model. */
typedef struct hr__mneed {
    int64_t weights, kv, act, runtime, total;
    int kv_known;
} hr__mneed;

/* Computes the need of (DTYPE, QUANT); returns 0 on overflow. */
int hr__mplan_need(const hr__mplan *m, int dtype, int quant, hr__mneed *out);

/* 1 when bitsandbytes can be used here (CUDA and allowed). */
int hr__mplan_bnb_ok(const hr__mplan *m);

/* Usable bytes of host RAM for offload, or -1 when unknown. */
int64_t hr__mplan_host_usable(const hr__mplan *m);

/* Adds the ordered load/generate fallbacks for the chosen plan. */
void hr__mplan_fallbacks(hr__mplan *m);

#endif /* HR_PLAN_MODEL_MEM_H */
