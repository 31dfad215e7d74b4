/* efficiency.h: the recorder's RLE feed: one hr_rle per component (the CPU
 * package, each GPU), its inputs taken from the probe on the sampling
 * thread, its outputs stored as channels <component>/rle, rle_raw, ... and
 * its collapses as events, on the writing side. */
#ifndef HR_RECORD_EFFICIENCY_H
#define HR_RECORD_EFFICIENCY_H

#include <stddef.h>
#include <stdint.h>

#include "headroom/hr_record.h"
#include "headroom/hr_rle.h"

/* The RLE channels of one component, in this order after the first id. */
typedef enum hr__eff_metric {
    HR__EFF_RLE = 0,      /* rle_smoothed */
    HR__EFF_RLE_RAW,
    HR__EFF_RLE_NORM,
    HR__EFF_E_TH,
    HR__EFF_E_PW,
    HR__EFF_A_LOAD,
    HR__EFF_T_SUSTAIN,    /* milliseconds */
    HR__EFF_ROLLING_PEAK,
    HR__EFF_COLLAPSE,     /* 1 while a collapse event is open */
    HR__EFF_ALERTS,       /* HR_RLE_ALERT_* bits */
    HR__EFF_COUNT
} hr__eff_metric;

/* The metric's channel name ("rle", "rle_raw", ...). */
const char *hr__eff_metric_name(hr__eff_metric m);

typedef struct hr__eff_comp {
    char name[16];        /* "cpu", "gpu0" */
    int32_t gpu_index;    /* -1 for the CPU */
    char gpu_uuid[96];
    hr_rle *rle;
    int32_t first_channel; /* session channel id of HR__EFF_RLE */
    int32_t reserved;
    int64_t open_event;   /* id of the open collapse event, 0 when none */
} hr__eff_comp;

typedef struct hr__eff {
    hr__eff_comp *c;
    size_t n;
} hr__eff;

/* Creates one component per CPU package view and GPU of P, adds their
 * channels to S, and creates their calculators with CFG's RLE configs.
 * Returns HR_OK, HR_EINVAL (an invalid RLE config; WHY says which field),
 * HR_ENOMEM, or the session's error. */
hr_status hr__eff_init(hr__eff *e, const hr_probe *p, hr_session *s, const hr_record_config *cfg,
                       char *why, size_t cap);

/* Takes component I's inputs from P at T_MONO_NS (sampling thread). */
void hr__eff_inputs(const hr__eff *e, size_t i, const hr_probe *p, int64_t t_mono_ns,
                    hr_rle_sample *out);

/* Pushes IN into component I's calculator; writes its channel values into
 * VALUES (indexed by channel id - 1) and fills RES. Returns the push status. */
hr_status hr__eff_push(hr__eff *e, size_t i, const hr_rle_sample *in, hr_reading *values,
                       hr_rle_result *res);

void hr__eff_free(hr__eff *e);

#endif /* HR_RECORD_EFFICIENCY_H */
